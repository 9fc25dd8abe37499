#include "Bus.h"

#include <algorithm>
#include <stdexcept>

Bus::Bus(sc_core::sc_module_name name, sc_core::sc_time hop)
    : sc_module(name), cpu("cpu"), targets("targets"), hop_(hop) {
    cpu.register_b_transport(this, &Bus::b_transport);
    cpu.register_transport_dbg(this, &Bus::transport_dbg);
    cpu.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
    targets.register_invalidate_direct_mem_ptr(this, &Bus::invalidate_direct_mem_ptr);
}

void Bus::map(int index, std::uint64_t base, std::uint64_t size, std::string what) {
    for (const Range& r : ranges_)
        if (base < r.base + r.size && r.base < base + size)
            throw std::runtime_error("bus: " + what + " overlaps " + r.what);
    ranges_.push_back({index, base, size, std::move(what)});
}

const Bus::Range* Bus::decode(std::uint64_t addr) const {
    for (const Range& r : ranges_)
        if (addr >= r.base && addr - r.base < r.size) return &r;
    return nullptr;
}

void Bus::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    const std::uint64_t addr = t.get_address();
    const Range* r = decode(addr);
    if (!r || t.get_data_length() > r->size - (addr - r->base))
        return t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    delay += hop_;
    t.set_address(addr - r->base);
    targets[r->index]->b_transport(t, delay);
    t.set_address(addr);  // the initiator sees its own address again
}

unsigned Bus::transport_dbg(tlm::tlm_generic_payload& t) {
    const std::uint64_t addr = t.get_address();
    const Range* r = decode(addr);
    if (!r) {
        t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    t.set_address(addr - r->base);
    const unsigned n = targets[r->index]->transport_dbg(t);
    t.set_address(addr);
    return n;
}

bool Bus::get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
    const std::uint64_t addr = t.get_address();
    const Range* r = decode(addr);
    if (!r) return false;
    t.set_address(addr - r->base);
    const bool granted = targets[r->index]->get_direct_mem_ptr(t, dmi);
    t.set_address(addr);
    // Back into the CPU's addresses, clipped to the range the bus gives this target.
    dmi.set_start_address(dmi.get_start_address() + r->base);
    dmi.set_end_address(std::min<std::uint64_t>(dmi.get_end_address(), r->size - 1) + r->base);
    return granted;
}

void Bus::invalidate_direct_mem_ptr(int index, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const Range& r : ranges_)
        if (r.index == index && start < r.size)
            cpu->invalidate_direct_mem_ptr(r.base + start, r.base + std::min<std::uint64_t>(end, r.size - 1));
}
