// ProcessingElement: the level between a tile and its macros (NeuroSim's PE). The macros of
// a tile share one input broadcast and one adder tree beside their converters:
//  * input broadcast: the input lines hold the slice last read from the tile buffer; an
//    MVM on another macro that needs the same slice of the same data (units of one layer
//    at the same row block) is driven from them without another buffer read;
//  * adder tree: each macro's output codes (one partial sum per row block and column) are
//    added into the PE's output registers at the width the sum needs
//    (models/pe/ReductionWidth.h), so partial sums never travel through tile SRAM.
// Tightly coupled to its TileController (direct calls, like LocalBuffer). Timing: the tree
// performs `pe.adders` additions per tile-clock cycle, on a reservation calendar. Counts
// pe_add_bit (one per bit of every addition; the register write is part of it).
#pragma once

#include <systemc>

#include <map>
#include <tuple>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"

namespace sotsim {

class ProcessingElement : public sc_core::sc_module, public StatsSource {
public:
    // `macros`: macros in this PE (their output registers), `tile`: power group.
    ProcessingElement(sc_core::sc_module_name name, const Config& cfg, int macros, int tile);

    void set_trace(TraceSink* sink);

    // Add `values` partial sums of `bits` bits into the output registers, arriving at
    // `arrival`; returns when the last sum is in its register.
    sc_core::sc_time reduce(const sc_core::sc_time& arrival, double values, int bits, int layer);

    // Input broadcast. `version` identifies the contents of `tensor` (its ready time).
    // Returns true and sets `ready` when the lines still hold [r0, r0 + rows) of that
    // version (it was the last slice read); broadcast_store records a new read.
    bool broadcast_hit(int tensor, int r0, int rows, const sc_core::sc_time& version, sc_core::sc_time& ready);
    void broadcast_store(int tensor, int r0, int rows, const sc_core::sc_time& version, const sc_core::sc_time& ready);
    // A new run starts: nothing is on the broadcast lines.
    void reset_broadcast() { lines_valid_ = false; }
    // Output registers: one per column of each macro (the partial sums it can hold at once).
    double registers() const { return static_cast<double>(macros_) * cols_; }

    std::string component_kind() const override { return "pe"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    std::map<int, double> layer_busy_s() const override { return tree_.layer_busy_s(); }
    // Adders and output registers at the built width (one register per column of each
    // macro: a PE can hold as many column blocks as it has macros).
    std::map<std::string, double> area_items() const override;
    int power_group() const override { return tile_; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    const PeConfig pe_;
    int macros_, cols_, tile_;
    sc_core::sc_time cycle_;
    BusyResource tree_;
    LayeredActions actions_;
    std::uint64_t reductions_ = 0, broadcast_hits_ = 0;
    // What the broadcast lines hold: (tensor, r0, rows), its version and read end.
    std::tuple<int, int, int> lines_{-1, 0, 0};
    sc_core::sc_time lines_version_, lines_ready_;
    bool lines_valid_ = false;
    TraceSink* sink_ = nullptr;
    TraceChannel tr_reduce_;
};

}  // namespace sotsim
