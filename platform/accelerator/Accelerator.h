// Accelerator: the whole chip, built from a validated Config.
//
//   chip
//   ├── tile<i>            TileController, i < chip.tiles
//   │   ├── buffer         LocalBuffer (tile SRAM)
//   │   └── macro<j>       MramMacro, j < tile.macros (chip-wide id i*tile.macros + j)
//   ├── noc                Interconnect (initiators: tiles, then the host port)
//   ├── gbuf               GlobalBuffer
//   ├── progmem            ProgramMemory (the program image: instructions, tables, weight blocks)
//   └── (tile<i>.inbox)    activation inboxes on the interconnect, for pipelined programs
//
// The host side is one TLM target socket, `host`, with the memory map of
// platform/accelerator/HostMap.h (docs/memory-map.md); any SystemC initiator can drive it.
//
// Runtime sequence (platform/host/HostDriver), from an SC_THREAD:
//   write the program image (models/tile/ProgramImage.h) at kProgBase, IMAGE_SIZE = its
//   bytes, CONTROL = LOAD (decodes and checks it, allocates tensors; STATUS.ERROR and a
//   generic error response if it is malformed) -- or, from sc_main, acc.load_program();
//   write CSR IRQ_ENABLE = 1 (optional), CONTROL = SETUP;  wait(acc.done_event());
//   for each batch of inputs:
//     write float32 inputs at acc.tensor_address(program.input_tensor) (or CSR INPUT_ADDR)
//     write CONTROL = RUN;  wait(acc.done_event());   // or wait on `irq`, or poll STATUS
//     check STATUS.ERROR (acc.error_message() says what failed), read the output tensor
// A run starts at the host's local time (sc_time_stamp() + delay of the CONTROL write).
// Without a host thread, `run_blocking()` does the same from sc_main via sc_start.
// The chip never sets the TLM global quantum: the platform (or sc_main) owns it.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <string>
#include <vector>

#include "models/common/CsrTable.h"
#include "models/common/Stats.h"
#include "models/config/Config.h"
#include "models/noc/Interconnect.h"
#include "models/tile/GlobalBuffer.h"
#include "models/tile/Program.h"
#include "models/tile/MulticastHub.h"
#include "models/tile/TileBarrier.h"
#include "models/tile/TileController.h"
#include "platform/accelerator/HostMap.h"
#include "platform/accelerator/ProgramMemory.h"

namespace sotsim {

class Accelerator : public sc_core::sc_module, public StatsSource {
public:
    // Optional: a chip driven only through run_blocking() needs no host attached.
    tlm_utils::simple_target_socket_optional<Accelerator> host;
    // Interrupt output: high while IRQ_STATUS.DONE and IRQ_ENABLE.DONE are both set. Bind it
    // to a platform's sc_signal<bool> (one writer: the chip's own irq process); a chip
    // driven without interrupts may leave it unbound.
    sc_core::sc_port<sc_core::sc_signal_inout_if<bool>, 1, sc_core::SC_ZERO_OR_MORE_BOUND> irq;

    sc_core::sc_vector<TileController> tiles;
    Interconnect noc;
    GlobalBuffer gbuf;
    ProgramMemory progmem;

    SC_HAS_PROCESS(Accelerator);
    Accelerator(sc_core::sc_module_name name, const Config& cfg);

    // ---- runtime API -------------------------------------------------------------------
    // The loader's path (no simulated time passes): encode `p` as a program image, place it
    // in program memory and load it as CONTROL.LOAD would, for runs of `batch` samples.
    // Throws std::runtime_error with one clear message when the program does not fit.
    void load_program(const Program& p, int batch);
    // Decode and check the image in program memory [0, bytes) and make it the program
    // (what CONTROL.LOAD does with IMAGE_SIZE). Throws on a malformed or misfit image.
    void load_image(std::uint64_t bytes, int batch);
    // The image of `p` for this chip (what `sotsim compile --image` writes).
    std::vector<std::uint8_t> image_of(const Program& p) const;
    // Change the batch (reallocates tensors, contents are lost). Throws while busy.
    void set_batch(int batch);
    // Host address of a global tensor (float32 row-major, B*rows_per_sample x width).
    std::uint64_t tensor_address(int tensor) const;
    // Notified when a SETUP or RUN finished (kernel time = the run's end time).
    const sc_core::sc_event& done_event() const { return done_ev_; }
    bool busy() const { return busy_; }
    bool done() const { return done_; }
    bool failed() const { return !error_.empty(); }
    const std::string& error_message() const { return error_; }
    // Start and end time of the last completed SETUP or RUN.
    sc_core::sc_time last_run_start() const { return run_start_; }
    sc_core::sc_time last_run_end() const { return run_end_; }
    // From sc_main (no host thread): start `setup` or run code now, simulate until done.
    // Returns the run's duration; throws std::runtime_error if the run failed.
    sc_core::sc_time run_blocking(bool setup);

    void set_trace(TraceSink* sink);
    const Config& config() const { return cfg_; }
    const Program* program() const { return program_.get(); }
    int batch() const { return batch_; }
    MramMacro& macro(int tile, int m) { return tiles[static_cast<std::size_t>(tile)].macros[static_cast<std::size_t>(m)]; }

    // StatsSource: the chip-level host interface.
    std::string component_kind() const override { return "chip"; }
    const ActionCounter& actions() const override { return no_actions_; }
    std::vector<StatValue> stats() const override;
    std::map<std::string, double> area_items() const override { return {{"host_interface", 1}}; }

private:
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    void finish_run();
    void declare_csrs();                                   // the HostMap.h registers into csr_
    bool control(std::uint32_t value, const sc_core::sc_time& at);  // a CONTROL write
    bool start(bool setup, const sc_core::sc_time& offset);
    void tile_done(int tile);
    void update_irq();
    void drive_irq();  // SC_METHOD: the only writer of `irq`
    void allocate_tensors();
    void install(Program p, int batch);

    const Config cfg_;  // held by value
    tlm_utils::simple_initiator_socket<Accelerator> host_port_;   // into the interconnect
    std::unique_ptr<Program> program_;   // decoded from the image in program memory
    image::Layout layout_;               // where its blocks and instructions are
    std::uint32_t image_size_ = 0;       // CSR IMAGE_SIZE
    std::uint64_t image_id_ = 0;         // LOADs so far: tiles refetch streams of a new image
    int batch_ = 0;
    std::vector<TileJob> jobs_;
    TileBarrier barrier_;
    MulticastHub multicast_;
    int running_ = 0;
    bool busy_ = false, done_ = false;
    bool irq_enable_ = false, irq_status_ = false;
    std::string error_;
    sc_core::sc_time run_start_, run_end_;
    std::uint64_t runs_ = 0;
    sc_core::sc_event done_ev_, irq_ev_;
    bool irq_line_ = false;
    ActionCounter no_actions_;
    tlmx::CsrTable csr_;                 // refers to this object's members
};

}  // namespace sotsim
