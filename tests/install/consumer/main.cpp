// Attaches the installed sotsim chip to a minimal initiator, as a user's virtual platform
// would: load the installed preset, elaborate, read the ID and MACROS CSRs over `host`.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <cstring>
#include <iostream>

#include "platform/accelerator/Accelerator.h"
#include "platform/config/ConfigLoader.h"

struct Cpu : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Cpu> bus{"bus"};
    std::uint32_t id = 0, macros = 0;
    bool ok = true;
    SC_HAS_PROCESS(Cpu);
    explicit Cpu(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(main); }
    std::uint32_t read(std::uint64_t addr) {
        std::uint32_t v = 0;
        tlm::tlm_generic_payload p;
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(addr);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        p.set_data_length(4);
        p.set_streaming_width(4);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        bus->b_transport(p, d);
        ok = ok && p.is_response_ok();
        return v;
    }
    void main() {
        id = read(sotsim::host_map::kCsrBase + sotsim::host_map::kId);
        macros = read(sotsim::host_map::kCsrBase + sotsim::host_map::kMacros);
    }
};

int sc_main(int, char**) {
    const sotsim::Config cfg = sotsim::config::load_config(SOTSIM_PRESET);
    sotsim::Accelerator chip("chip", cfg);
    Cpu cpu("cpu");
    cpu.bus.bind(chip.host);
    sc_core::sc_start();
    std::cout << "id 0x" << std::hex << cpu.id << std::dec << ", macros " << cpu.macros << "\n";
    const bool pass = cpu.ok && cpu.id == sotsim::host_map::kIdValue &&
                      cpu.macros == static_cast<std::uint32_t>(cfg.total_macros());
    return pass ? 0 : 1;
}
