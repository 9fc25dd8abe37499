// ProgramMemory: on-chip memory that holds the weight blocks of the loaded Program, from
// which tile controllers stream weights into macros (Program instructions). TLM target
// behind the interconnect. Layout: block after block (4 KiB aligned), each int32
// row-major rows x cols (`block_offset()`). Read-only over TLM (the image is placed by
// Accelerator::load_program, like an ELF loader of a virtual platform); writes are
// command errors. Timing: `gbuf_width_bytes` per bus cycle; traffic is counted at the
// block's weight precision (gbuf_read_byte, the same SRAM macro as the global buffer).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/tile/Program.h"

namespace sotsim {

class ProgramMemory : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<ProgramMemory> port;

    ProgramMemory(sc_core::sc_module_name name, const ChipConfig& cfg);

    void load(const Program& p);
    std::uint64_t block_offset(int block) const { return offsets_.at(static_cast<std::size_t>(block)); }
    std::uint64_t image_bytes() const { return image_.size() * 4; }

    std::string component_kind() const override { return "program_memory"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    // Storage for the weights at their modelled precision.
    std::map<std::string, double> area_items() const override { return {{"sram_byte", static_cast<double>(modelled_bytes_)}}; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    bool read(tlm::tlm_generic_payload& t, bool debug);

    const ChipConfig cfg_;  // held by value
    std::vector<std::int32_t> image_;
    std::vector<std::uint64_t> offsets_;
    std::vector<int> weight_bits_;        // per block
    std::uint64_t modelled_bytes_ = 0;
    BusyResource port_busy_;
    LayeredActions actions_;
};

}  // namespace sotsim
