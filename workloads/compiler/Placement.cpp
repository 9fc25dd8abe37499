#include "workloads/compiler/Placement.h"

#include <algorithm>

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

namespace {
// Layer l on the n[l] consecutive tiles after layer l-1's, its units round-robin over them;
// a resident layer's row blocks on consecutive free macros of their tile.
void assign_groups(PlacementPlan& plan, const std::vector<StageDemand>& layers, const std::vector<int>& n,
                   const std::vector<char>& resident) {
    const std::size_t L = layers.size();
    plan.resident = true;
    plan.units.assign(L, {});
    plan.stage_tiles.assign(L, {});
    int first = 0;
    for (std::size_t l = 0; l < L; ++l) {
        std::vector<int> next_free(static_cast<std::size_t>(n[l]), 0);
        for (int i = 0; i < n[l]; ++i) plan.stage_tiles[l].push_back(first + i);
        for (int u = 0; u < layers[l].units; ++u) {
            const int g = u % n[l];
            UnitPlacement p;
            p.tile = first + g;
            if (resident[l])
                for (int r = 0; r < layers[l].row_blocks; ++r) p.macros.push_back(next_free[g]++);
            plan.units[l].push_back(p);
        }
        first += n[l];
    }
}
}  // namespace

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
    assign_groups(plan, layers, n, std::vector<char>(L, 1));
    return plan;
}

}  // namespace sotsim::workloads

namespace sotsim::workloads {

namespace {
int ceil_div(int a, int b) { return (a + b - 1) / b; }
}  // namespace

PlacementPlan place_multiplexed_stages(const std::vector<StageDemand>& layers, int tiles, int macros_per_tile) {
    PlacementPlan plan;
    const std::size_t L = layers.size();
    const int M = macros_per_tile;
    if (L == 0 || static_cast<int>(L) > tiles || M < 1) return plan;
    for (const StageDemand& d : layers)
        if (d.units < 1 || d.row_blocks < 1) return plan;
    // Tiles a layer needs to be resident (0: a unit does not fit one tile).
    auto resident_tiles = [&](const StageDemand& d) {
        return d.row_blocks > M ? 0 : ceil_div(d.units, M / d.row_blocks);
    };
    auto rounds = [&](std::size_t l, int n) { return ceil_div(ceil_div(layers[l].units, n) * layers[l].row_blocks, M); };
    std::vector<int> n(L, 1);
    std::vector<char> res(L, 0);
    std::vector<std::size_t> order(L);
    for (std::size_t l = 0; l < L; ++l) order[l] = l;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return layers[a].units * layers[a].row_blocks < layers[b].units * layers[b].row_blocks;
    });
    int used = static_cast<int>(L);
    for (std::size_t l : order) {
        const int need = resident_tiles(layers[l]);
        if (need < 1 || used - 1 + need > tiles) continue;
        used += need - 1;
        n[l] = need;
        res[l] = 1;
    }
    int spare = tiles - used;
    // The multiplexed stage with the most rounds gets the fewest extra tiles that lower them
    // (rounds fall in steps: ceil(units / n) changes only at some n).
    for (;;) {
        std::size_t best = L;
        int best_n = 0;
        for (std::size_t l = 0; l < L; ++l) {
            if (res[l]) continue;
            int m = n[l] + 1;
            while (m <= n[l] + spare && m <= layers[l].units && rounds(l, m) >= rounds(l, n[l])) ++m;
            if (m > n[l] + spare || m > layers[l].units) continue;
            if (best == L || rounds(l, n[l]) > rounds(best, n[best])) best = l, best_n = m;
        }
        if (best == L) break;
        spare -= best_n - n[best];
        n[best] = best_n;
        if (rounds(best, n[best]) == 1) res[best] = 1;  // now fits its group
    }
    auto load = [&](std::size_t l) { return ceil_div(layers[l].units, n[l]) * layers[l].ops_per_unit; };
    for (; spare > 0; --spare) {  // resident stages: by work per sample, as place_stages
        std::size_t best = L;
        for (std::size_t l = 0; l < L; ++l)
            if (res[l] && n[l] < layers[l].units && (best == L || load(l) > load(best))) best = l;
        if (best == L) break;
        ++n[best];
    }
    assign_groups(plan, layers, n, res);
    plan.stage_resident = res;
    for (std::size_t l = 0; l < L; ++l) plan.stage_rounds.push_back(rounds(l, n[l]));
    return plan;
}

}  // namespace sotsim::workloads
