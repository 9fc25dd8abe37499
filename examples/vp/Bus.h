// A simple bus: one target socket for the CPU, one initiator socket per mapped target,
// address decode by range. The bus subtracts the range's base before forwarding (each
// target sees addresses from 0) and adds it back to DMI ranges and invalidations.
// A transaction to an unmapped address gets TLM_ADDRESS_ERROR_RESPONSE.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <vector>

class Bus : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Bus> cpu;
    tlm_utils::multi_passthrough_initiator_socket<Bus> targets;

    // `hop`: added to every routed transaction (assumption: one cycle of a 1 GHz bus).
    Bus(sc_core::sc_module_name name, sc_core::sc_time hop);

    // Target `index` (the order of targets.bind) answers [base, base + size).
    void map(int index, std::uint64_t base, std::uint64_t size, std::string what);

private:
    struct Range {
        int index;
        std::uint64_t base, size;
        std::string what;
    };
    const Range* decode(std::uint64_t addr) const;
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(int index, sc_dt::uint64 start, sc_dt::uint64 end);

    std::vector<Range> ranges_;
    sc_core::sc_time hop_;
};
