#include "platform/accelerator/ProgramMemory.h"

#include <algorithm>
#include <cstring>

namespace sotsim {

using namespace sc_core;

ProgramMemory::ProgramMemory(sc_module_name name, const ChipConfig& cfg) : sc_module(name), port("port"), cfg_(cfg) {
    port.register_b_transport(this, &ProgramMemory::b_transport);
    port.register_transport_dbg(this, &ProgramMemory::transport_dbg);
}

void ProgramMemory::load(const Program& p) {
    offsets_.clear();
    weight_bits_.clear();
    std::uint64_t words = 0;
    modelled_bytes_ = 0;
    for (const auto& b : p.blocks) {
        offsets_.push_back(words * 4);
        weight_bits_.push_back(b.spec.weight_bits);
        words += (static_cast<std::uint64_t>(b.w.size()) + 1023) / 1024 * 1024;  // 4 KiB aligned
        modelled_bytes_ += tlmx::bytes_at(static_cast<std::uint64_t>(b.w.size()), b.spec.weight_bits);
    }
    image_.assign(words, 0);
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
        const auto& w = p.blocks[i].w;
        std::int32_t* dst = image_.data() + offsets_[i] / 4;
        for (Eigen::Index r = 0; r < w.rows(); ++r)
            for (Eigen::Index c = 0; c < w.cols(); ++c) dst[r * w.cols() + c] = w(r, c);
    }
}

bool ProgramMemory::read(tlm::tlm_generic_payload& t, bool debug) {
    if (!t.is_read()) {
        tlmx::command_error(t);
        return false;
    }
    if (!tlmx::plain_access(t, debug)) return false;
    const std::uint64_t a = t.get_address(), len = t.get_data_length();
    if (a % 4 != 0 || len % 4 != 0) {
        tlmx::burst_error(t);
        return false;
    }
    if (a + len > image_bytes()) {
        tlmx::address_error(t);
        return false;
    }
    std::memcpy(t.get_data_ptr(), image_.data() + a / 4, len);
    tlmx::ok(t);
    return true;
}

void ProgramMemory::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    if (!read(t, false)) return;
    // Modelled size: the initiator's TrafficExtension, else the block's weight precision.
    std::uint64_t bytes = t.get_data_length();
    if (t.get_extension<tlmx::TrafficExtension>()) {
        bytes = tlmx::modelled_bytes(t);
    } else {
        auto it = std::upper_bound(offsets_.begin(), offsets_.end(), t.get_address());
        if (it != offsets_.begin())
            bytes = tlmx::bytes_at(t.get_data_length() / 4, weight_bits_[static_cast<std::size_t>(it - offsets_.begin() - 1)]);
    }
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.gbuf_width_bytes);
    auto g = port_busy_.reserve(sc_time_stamp() + delay, tlmx::cycles(static_cast<double>((bytes + w - 1) / w), cfg_.bus_clock));
    delay = g.end - sc_time_stamp();
    actions_.add(tlmx::layer_of(t), action::kGbufRead, static_cast<double>(bytes));
}

unsigned ProgramMemory::transport_dbg(tlm::tlm_generic_payload& t) {
    return read(t, true) ? t.get_data_length() : 0;
}

std::vector<StatValue> ProgramMemory::stats() const {
    return {{"busy_time_s", port_busy_.busy_time().to_seconds(), "s", "port busy time"},
            {"image_bytes", static_cast<double>(modelled_bytes_), "B", "weights stored, at their modelled precision"}};
}

}  // namespace sotsim
