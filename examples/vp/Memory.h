// A plain memory (the platform's DRAM): b_transport with a fixed access latency,
// transport_dbg for the boot loader and debuggers, and DMI read/write on all of it.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <vector>

class Memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Memory> socket;

    // `latency`: per access, whatever its length (assumption of this example: a DRAM
    // page hit, not a model of any particular part).
    Memory(sc_core::sc_module_name name, std::uint64_t bytes, sc_core::sc_time latency);

    std::uint64_t size() const { return data_.size(); }
    // Backdoor for the boot loader in sc_main (before the simulation starts).
    unsigned char* data() { return data_.data(); }

private:
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
    bool access(tlm::tlm_generic_payload& t);

    std::vector<unsigned char> data_;
    sc_core::sc_time latency_;
};
