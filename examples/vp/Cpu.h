// A CPU-like traffic generator: the driver a real SoC would run, as one SC_THREAD that
// talks to DRAM and the accelerator over the bus. Loosely timed: each access adds to a
// local time offset (tlm_utils::tlm_quantumkeeper) and the thread yields to the kernel
// only when the quantum is used up or it has to wait for the accelerator's interrupt.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <string>
#include <vector>

// What the boot loader left in DRAM (CPU addresses).
struct BootInfo {
    std::uint64_t image_addr = 0, image_bytes = 0;  // program image (sotsim compile --image)
    std::uint64_t pixels_addr = 0;                  // digits x pixels bytes, row-major
    std::uint64_t labels_addr = 0;                  // digits bytes
    int digits = 0, pixels = 0;
    int batch = 1;                                  // digits per accelerator run
};

class Cpu : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<Cpu> bus;
    sc_core::sc_in<bool> irq;

    SC_HAS_PROCESS(Cpu);
    Cpu(sc_core::sc_module_name name, BootInfo boot);

    // Results, valid after the simulation ended.
    std::vector<int> labels, predictions;
    std::string error;                   // empty: the program ran to the end
    sc_core::sc_time setup_time, inference_time;

private:
    void main();
    void transfer(bool write, std::uint64_t addr, void* data, std::size_t bytes, std::uint64_t modelled_bytes = 0);
    std::uint32_t read_csr(std::uint32_t reg);
    void write_csr(std::uint32_t reg, std::uint32_t v);
    void command(std::uint32_t control, const char* what);  // CONTROL write, then wait for the IRQ
    void wait_irq();
    void copy_to_accelerator(std::uint64_t from, std::uint64_t to, std::uint64_t bytes);

    BootInfo boot_;
    tlm_utils::tlm_quantumkeeper qk_;
};
