// ProgramMemory: the on-chip memory that holds the program image (models/tile/ProgramImage.h,
// docs/program-image.md): instruction records, tensor and layer tables, and the weight
// blocks tile controllers stream into macros. TLM target behind the interconnect.
//
// Plain memory for the host: it writes the image over the host socket (any byte address
// and length inside the window, no byte enables), then sets IMAGE_SIZE and CONTROL.LOAD
// (platform/accelerator/HostMap.h). Tiles only read. Timing: `gbuf_width_bytes` per bus
// cycle. Weight reads are counted at the block's weight precision (gbuf_read_byte, the
// same SRAM macro as the global buffer), writes at their byte count (gbuf_write_byte).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/tile/ProgramImage.h"

namespace sotsim {

class ProgramMemory : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<ProgramMemory> port;

    ProgramMemory(sc_core::sc_module_name name, const ChipConfig& cfg, std::uint64_t window_bytes);

    // The loader's path (no simulated time, nothing counted): place `image` at offset 0.
    void place(const std::vector<std::uint8_t>& image);
    // Contents as written so far (the image is at offset 0).
    const std::uint8_t* data() const { return mem_.data(); }
    std::uint64_t size() const { return mem_.size(); }
    // After a successful LOAD: where the blocks are (for the modelled width of weight reads
    // that carry no TrafficExtension) and how many bytes the area model stores.
    void loaded(const image::Layout& l);
    // DMI (get_direct_mem_ptr): the written part of the memory, read-write, or read only
    // while `locked` (a run is in progress: the program may not change under it). Locking,
    // growing the memory (a write past its end, place()) invalidate every granted pointer.
    // DMI accesses bypass the port calendar and the energy count, as a debugger's would;
    // the chip's own tiles never use DMI.
    void set_locked(bool locked);

    std::string component_kind() const override { return "program_memory"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    std::map<int, double> layer_busy_s() const override { return port_busy_.layer_busy_s(); }
    // Storage for the weights at their modelled precision plus instructions and tables.
    std::map<std::string, double> area_items() const override { return {{"sram_byte", static_cast<double>(modelled_bytes_)}}; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    bool access(tlm::tlm_generic_payload& t, bool debug);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d);
    void invalidate_dmi();
    void grow(std::uint64_t bytes);
    bool locked_ = false, dmi_granted_ = false;

    const ChipConfig cfg_;  // held by value
    std::uint64_t window_;
    std::vector<std::uint8_t> mem_;
    std::vector<std::uint64_t> offsets_;  // per block
    std::vector<int> weight_bits_;        // per block
    std::uint64_t modelled_bytes_ = 0;
    BusyResource port_busy_;
    LayeredActions actions_;
};

}  // namespace sotsim
