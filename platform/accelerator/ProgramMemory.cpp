#include "platform/accelerator/ProgramMemory.h"

#include <algorithm>
#include <cstring>

namespace sotsim {

using namespace sc_core;

ProgramMemory::ProgramMemory(sc_module_name name, const ChipConfig& cfg, std::uint64_t window_bytes)
    : sc_module(name), port("port"), cfg_(cfg), window_(window_bytes) {
    port.register_b_transport(this, &ProgramMemory::b_transport);
    port.register_transport_dbg(this, &ProgramMemory::transport_dbg);
    port.register_get_direct_mem_ptr(this, &ProgramMemory::get_direct_mem_ptr);
}

void ProgramMemory::invalidate_dmi() {
    if (!dmi_granted_) return;
    dmi_granted_ = false;
    port->invalidate_direct_mem_ptr(0, window_ - 1);
}

// Growing may move the storage: no granted pointer survives it.
void ProgramMemory::grow(std::uint64_t bytes) {
    if (bytes <= mem_.size()) return;
    invalidate_dmi();
    mem_.resize(bytes, 0);
}

void ProgramMemory::set_locked(bool locked) {
    if (locked && !locked_) invalidate_dmi();  // read-write pointers must not outlive the unlock
    locked_ = locked;
}

bool ProgramMemory::get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) {
    const std::uint64_t a = t.get_address();
    if (a >= mem_.size()) {  // never written: nothing to point at
        d.set_start_address(mem_.size());
        d.set_end_address(window_ - 1);
        d.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        return false;
    }
    d.set_dmi_ptr(mem_.data());
    d.set_start_address(0);
    d.set_end_address(mem_.size() - 1);
    d.set_granted_access(locked_ ? tlm::tlm_dmi::DMI_ACCESS_READ : tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
    // One port access of gbuf_width_bytes per bus cycle.
    d.set_read_latency(tlmx::cycles(1, cfg_.bus_clock));
    d.set_write_latency(tlmx::cycles(1, cfg_.bus_clock));
    dmi_granted_ = true;
    return true;
}

void ProgramMemory::place(const std::vector<std::uint8_t>& image) {
    if (image.size() > window_)
        throw std::runtime_error("program image of " + std::to_string(image.size()) + " bytes exceeds program memory (" +
                                 std::to_string(window_) + " bytes)");
    grow(image.size());
    std::copy(image.begin(), image.end(), mem_.begin());
}

void ProgramMemory::loaded(const image::Layout& l) {
    offsets_.assign(l.block_offsets.begin(), l.block_offsets.end());
    weight_bits_ = l.block_weight_bits;
    modelled_bytes_ = image::modelled_bytes(l);
}

bool ProgramMemory::access(tlm::tlm_generic_payload& t, bool debug) {
    if (!t.is_read() && !t.is_write()) {
        tlmx::command_error(t);
        return false;
    }
    if (!tlmx::plain_access(t, debug)) return false;
    const std::uint64_t a = t.get_address(), len = t.get_data_length();
    if (a > window_ || len > window_ - a) {
        tlmx::address_error(t);
        return false;
    }
    if (t.is_read()) {
        if (a + len > mem_.size()) {  // never written: nothing there to read
            tlmx::address_error(t);
            return false;
        }
        std::memcpy(t.get_data_ptr(), mem_.data() + a, len);
    } else {
        if (debug) {  // a debugger may not rewrite the program under a run
            tlmx::command_error(t);
            return false;
        }
        grow(a + len);
        std::memcpy(mem_.data() + a, t.get_data_ptr(), len);
    }
    tlmx::ok(t);
    return true;
}

void ProgramMemory::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    if (!access(t, false)) return;
    // Modelled size: the initiator's TrafficExtension, else a weight block's precision.
    std::uint64_t bytes = t.get_data_length();
    if (t.get_extension<tlmx::TrafficExtension>()) {
        bytes = tlmx::modelled_bytes(t);
    } else if (t.is_read()) {
        auto it = std::upper_bound(offsets_.begin(), offsets_.end(), t.get_address());
        if (it != offsets_.begin())
            bytes = tlmx::bytes_at(t.get_data_length() / 4, weight_bits_[static_cast<std::size_t>(it - offsets_.begin() - 1)]);
    }
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.gbuf_width_bytes);
    auto g = port_busy_.reserve(sc_time_stamp() + delay, tlmx::cycles(static_cast<double>((bytes + w - 1) / w), cfg_.bus_clock),
                                tlmx::layer_of(t));
    delay = g.end - sc_time_stamp();
    actions_.add(tlmx::layer_of(t), t.is_read() ? action::kGbufRead : action::kGbufWrite, static_cast<double>(bytes));
}

unsigned ProgramMemory::transport_dbg(tlm::tlm_generic_payload& t) {
    return access(t, true) ? t.get_data_length() : 0;
}

std::vector<StatValue> ProgramMemory::stats() const {
    return {{"busy_time_s", port_busy_.busy_time().to_seconds(), "s", "port busy time"},
            {"image_bytes", static_cast<double>(modelled_bytes_), "B", "program stored (weights at their modelled precision)"}};
}

}  // namespace sotsim
