// Where weight blocks live: resident (one macro each, programmed once before inference)
// when the whole network fits the chip, otherwise time-multiplexed per layer.
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
};

// `units[l]` lists the units of layer l. Resident placement puts each unit on the tile with
// the most free macros (spreading a layer over tiles for parallelism); if any unit does not
// fit, the whole network is time-multiplexed: units of a layer go round-robin over tiles.
PlacementPlan place_units(const std::vector<std::vector<UnitDemand>>& units, int tiles,
                          int macros_per_tile);

}  // namespace sotsim::workloads
