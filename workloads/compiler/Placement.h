// Where weight blocks live: resident (one macro each, programmed once before inference)
// when the whole network fits the chip, otherwise time-multiplexed: per layer (layer by
// layer) or per pipeline stage whose tiles reprogram round by round for every step.
#pragma once

#include <vector>

namespace sotsim::workloads {

// One column block ("unit") of a layer: all its row blocks must sit on one tile so the
// partial sums accumulate in that tile's buffer.
struct UnitDemand {
    int layer = 0;
    int unit = 0;
    int row_blocks = 0;
};

struct UnitPlacement {
    int tile = -1;
    std::vector<int> macros;   // resident: tile-local macro of each row block; empty otherwise
};

struct PlacementPlan {
    bool resident = false;
    std::vector<std::vector<UnitPlacement>> units;   // [layer][unit]
    std::vector<std::vector<int>> stage_tiles;       // pipelined: the tiles of each layer (empty otherwise)
    // Pipelined with time-multiplexed stages (place_multiplexed_stages): per layer, whether
    // its blocks stay on their macros, and otherwise the rounds of at most macros_per_tile
    // blocks its busiest tile reprograms per step.
    std::vector<char> stage_resident;
    std::vector<int> stage_rounds;
};

// A layer as a pipeline stage: its units and the work each unit adds per sample to the
// tile that holds it (digital unit and adder-tree operations; every block's MVM runs on
// its own macro in parallel, so MVM time does not depend on how units share tiles).
struct StageDemand {
    int units = 0;
    int row_blocks = 0;
    double ops_per_unit = 0;
};

// `units[l]` lists the units of layer l. Resident placement puts each unit on the tile with
// the most free macros (spreading a layer over tiles for parallelism); if any unit does not
// fit, the whole network is time-multiplexed: units of a layer go round-robin over tiles.
PlacementPlan place_units(const std::vector<std::vector<UnitDemand>>& units, int tiles,
                          int macros_per_tile);

// Pipelined placement: every layer gets its own group of consecutive tiles, at least as
// many as its units need macros; the spare tiles go one at a time to the stage whose
// busiest tile has the most work per sample (ceil(units / tiles) * ops_per_unit), so the
// stages balance. Units spread round-robin over their group. Returns a plan with
// resident == false when the layers need more tiles than the chip has.
PlacementPlan place_stages(const std::vector<StageDemand>& layers, int tiles, int macros_per_tile);

// Pipelined placement of a network that does not fit the chip (what ISAAC/PUMA-style chips
// do when a layer exceeds its tiles): every layer still gets its own group of consecutive
// tiles; a layer whose blocks fit its group stays resident, the others are time-multiplexed
// stages whose tiles reprogram their macros round by round for every step of samples.
// Resident layers are chosen smallest first while the rest still get one tile each. A
// round (write ~us) costs far more than a step's MVMs and digital work (ns per sample), so
// spare tiles go first to the multiplexed stage with the most rounds per step while that
// lowers its rounds, then to resident stages as in place_stages. Units spread round-robin
// over their group (a multiplexed unit's row blocks may span rounds: its partial sums stay
// in the PE). `resident` is false when the chip has fewer tiles than layers.
PlacementPlan place_multiplexed_stages(const std::vector<StageDemand>& layers, int tiles, int macros_per_tile);

}  // namespace sotsim::workloads
