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
