#include "platform/host/TraceSetup.h"

#include <algorithm>
#include <map>
#include <set>

#include "platform/report/EnergyModel.h"

namespace sotsim::host {

namespace {

// (tile, tile-local macro) pairs that hold a block, per layer, in placement order.
std::map<int, std::vector<std::pair<int, int>>> macros_by_layer(const Program& p) {
    std::map<int, std::vector<std::pair<int, int>>> out;
    for (const auto& b : p.blocks) {
        if (b.tile < 0 || b.macro < 0) continue;
        auto& v = out[b.layer];
        if (std::find(v.begin(), v.end(), std::make_pair(b.tile, b.macro)) == v.end()) v.emplace_back(b.tile, b.macro);
    }
    return out;
}

}  // namespace

report::TraceView trace_view(Accelerator& acc, const Program& program) {
    report::TraceView view;
    // Tiles whose instruction stream marks the start of a layer run it.
    std::map<int, std::set<int>> tiles_of;
    for (std::size_t t = 0; t < program.tile_code.size(); ++t)
        for (const auto& in : program.tile_code[t])
            if (in.op == OpCode::Layer && in.layer >= 0) tiles_of[in.layer].insert(static_cast<int>(t));
    const auto placed = macros_by_layer(program);
    for (std::size_t i = 0; i < program.layers.size(); ++i) {
        report::TraceView::Layer l;
        l.index = static_cast<int>(i);
        l.name = program.layers[i].name;
        // The tiles holding the layer's blocks; a layer without blocks (pooling, digital
        // post-ops) shows the tiles whose stream marks it.
        std::set<int> tiles;
        if (auto it = placed.find(l.index); it != placed.end())
            for (const auto& [t, m] : it->second) {
                tiles.insert(t);
                l.macro_scopes.push_back(acc.macro(t, m).name());
            }
        if (tiles.empty()) tiles = tiles_of[l.index];
        for (int t : tiles) {
            l.tiles.push_back(t);
            l.tile_scopes.push_back(acc.tiles[static_cast<std::size_t>(t)].name());
        }
        view.layers.push_back(std::move(l));
    }
    view.shared_scopes = {acc.noc.name(), acc.gbuf.name()};
    return view;
}

void hide_unmapped_macros(report::VcdWriter& vcd, Accelerator& acc, const Program& program) {
    std::set<std::pair<int, int>> mapped;
    for (const auto& b : program.blocks) mapped.emplace(b.tile, b.macro);
    for (std::size_t t = 0; t < acc.tiles.size(); ++t)
        for (std::size_t m = 0; m < acc.tiles[t].macros.size(); ++m)
            if (!mapped.count({static_cast<int>(t), static_cast<int>(m)}))
                vcd.hide_scope(acc.tiles[t].macros[m].name());
}

void set_trace_leakage(report::VcdWriter& vcd, const Config& cfg, const report::Collection& tree) {
    const report::EnergyModel em(cfg.tech);
    std::map<int, double> leak;
    for (const auto& c : tree.components) leak[c.power_group] += em.leakage_W(c.area_items);
    for (const auto& [g, w] : leak) vcd.set_group_leakage_W(g, w);
}

}  // namespace sotsim::host
