// GlobalBuffer: chip-level SRAM shared by all tiles, a TLM target behind the interconnect.
//
// It holds the global tensors of the loaded Program. Window layout: tensor after tensor
// (4 KiB aligned), each as float32 row-major (B*rows_per_sample x width), which is also how
// it is stored (one sample's row contiguous); `tensor_base()` gives a tensor's offset. Two
// access forms:
//  * plain read/write (host, debug): any bytes of the float32 image inside one tensor,
//    unaligned heads and tails and byte enables included (bytes copied to and from the image);
//  * tensor slice (tiles' Load/Store): a TensorSliceExtension names the tensor, a column
//    slice and optionally a row range; the address must be the tensor's base and data is
//    rows x cols float32 row-major, or column-major (column after column) when the extension
//    says so (a tile's Load / Store: both ends hold their tensors column-major, so the slice
//    moves without two transposes).
// Timing: one port of `gbuf_width_bytes` per bus-clock cycle, reservation calendar. Traffic and
// energy are counted at the tensor's modelled precision (`bits`), not at float32.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <map>
#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/tile/TensorStore.h"

namespace sotsim {

// rows == 0: all rows of the tensor; otherwise rows [row0, row0 + rows) (one streamed sample).
struct TensorSliceExtension : tlm::tlm_extension<TensorSliceExtension> {
    int tensor = -1;
    int col0 = 0, cols = 0;
    int row0 = 0, rows = 0;
    bool column_major = false;  // the payload's layout (rows x cols)
    TensorSliceExtension(int t = -1, int c0 = 0, int n = 0, int r0 = 0, int nr = 0, bool col_major = false)
        : tensor(t), col0(c0), cols(n), row0(r0), rows(nr), column_major(col_major) {}
    tlm::tlm_extension_base* clone() const override { return new TensorSliceExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const TensorSliceExtension&>(e); }
};

class GlobalBuffer : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::simple_target_socket<GlobalBuffer> port;

    GlobalBuffer(sc_core::sc_module_name name, const ChipConfig& cfg);

    // Drop all tensors / add one (throws when the modelled bytes exceed the capacity).
    void clear();
    std::uint64_t allocate(int id, int rows, int cols, int bits, int samples = 1);
    std::uint64_t tensor_base(int id) const;
    std::uint64_t window_bytes() const { return next_base_; }
    // The stored images: entry `id` holds the tensor's width x rows transpose (column-major),
    // i.e. its row-major image.
    TensorStore& store() { return store_; }
    // Tensor `id` as the program sees it (B*rows_per_sample x width): a view of its image.
    auto tensor(int id) { return store_.at(id).data.transpose(); }
    void set_trace(TraceSink* sink) { sink_ = sink; }

    std::string component_kind() const override { return "global_buffer"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    std::map<int, double> layer_busy_s() const override { return port_busy_.layer_busy_s(); }
    std::map<std::string, double> area_items() const override { return {{"sram_byte", cfg_.global_buffer_bytes}}; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    struct Region {
        int id;
        std::uint64_t base, bytes;
    };
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& t);
    // Moves the data; returns the modelled bytes, 0 with the response set on error.
    std::uint64_t move(tlm::tlm_generic_payload& t, bool debug);
    std::uint64_t move_slice(tlm::tlm_generic_payload& t, const TensorSliceExtension& s);
    const Region* region_at(std::uint64_t addr) const;

    const ChipConfig cfg_;  // held by value
    TensorStore store_;
    std::vector<Region> regions_;
    std::uint64_t next_base_ = 0;
    BusyResource port_busy_;
    LayeredActions actions_;
    TraceSink* sink_ = nullptr;
};

}  // namespace sotsim
