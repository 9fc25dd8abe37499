#include "workloads/compiler/Placement.h"

namespace sotsim::workloads {

PlacementPlan place_units(const std::vector<std::vector<UnitDemand>>& units, int tiles,
                          int macros_per_tile) {
    PlacementPlan plan;
    plan.units.resize(units.size());
    std::vector<int> next_free(static_cast<std::size_t>(tiles), 0);
    bool fits = true;
    for (std::size_t l = 0; l < units.size() && fits; ++l) {
        for (const UnitDemand& u : units[l]) {
            int best = -1;
            for (int t = 0; t < tiles; ++t)
                if (best < 0 || next_free[t] < next_free[best]) best = t;
            if (macros_per_tile - next_free[best] < u.row_blocks) {
                fits = false;
                break;
            }
            UnitPlacement p;
            p.tile = best;
            for (int r = 0; r < u.row_blocks; ++r) p.macros.push_back(next_free[best]++);
            plan.units[l].push_back(p);
        }
    }
    if (fits) {
        plan.resident = true;
        return plan;
    }
    plan.resident = false;
    for (std::size_t l = 0; l < units.size(); ++l) {
        plan.units[l].clear();
        for (std::size_t u = 0; u < units[l].size(); ++u)
            plan.units[l].push_back(UnitPlacement{static_cast<int>(u % static_cast<std::size_t>(tiles)), {}});
    }
    return plan;
}

}  // namespace sotsim::workloads

namespace sotsim::workloads {

PlacementPlan place_stages(const std::vector<StageDemand>& layers, int tiles, int macros_per_tile) {
    PlacementPlan plan;
    const std::size_t L = layers.size();
    std::vector<int> n(L, 0);
    int used = 0;
    for (std::size_t l = 0; l < L; ++l) {
        const StageDemand& d = layers[l];
        if (d.row_blocks < 1 || d.row_blocks > macros_per_tile || d.units < 1) return plan;
        const int per_tile = macros_per_tile / d.row_blocks;  // units one tile holds
        n[l] = (d.units + per_tile - 1) / per_tile;
        used += n[l];
    }
    if (used > tiles) return plan;
    // Spare tiles: to the stage whose busiest tile works longest per sample.
    auto load = [&](std::size_t l) { return ((layers[l].units + n[l] - 1) / n[l]) * layers[l].ops_per_unit; };
    for (int spare = tiles - used; spare > 0; --spare) {
        std::size_t best = L;
        for (std::size_t l = 0; l < L; ++l)
            if (n[l] < layers[l].units && (best == L || load(l) > load(best))) best = l;
        if (best == L) break;
        ++n[best];
    }
    plan.resident = true;
    plan.units.resize(L);
    plan.stage_tiles.resize(L);
    int first = 0;
    for (std::size_t l = 0; l < L; ++l) {
        std::vector<int> next_free(static_cast<std::size_t>(n[l]), 0);
        for (int i = 0; i < n[l]; ++i) plan.stage_tiles[l].push_back(first + i);
        for (int u = 0; u < layers[l].units; ++u) {
            const int g = u % n[l];
            UnitPlacement p;
            p.tile = first + g;
            for (int r = 0; r < layers[l].row_blocks; ++r) p.macros.push_back(next_free[g]++);
            plan.units[l].push_back(p);
        }
        first += n[l];
    }
    return plan;
}

}  // namespace sotsim::workloads
