// trace.gtkw and the layer-name translate file: GTKWave save-file syntax, only signals the
// VCD holds, layer groups with their macros, translated layer ids, zoom fitted to the run.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "FakeStatsSource.h"
#include "platform/report/TraceView.h"

using namespace sotsim;
using namespace sotsim::report;

namespace {
std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream is(s);
    for (std::string l; std::getline(is, l);) out.push_back(l);
    return out;
}
bool has(const std::vector<std::string>& v, const std::string& l) { return std::find(v.begin(), v.end(), l) != v.end(); }
}  // namespace

TEST_CASE("trace view: save file groups layers with their macros and names layers", "[report][vcd]") {
    VcdWriter w(test::test_tech(), 10e-9);
    w.declare("chip.tile0.layer", 16);
    w.declare("chip.tile0.macro0.busy", 1);
    w.declare("chip.tile0.macro0.mvm_count", 32);
    w.declare("chip.tile0.macro1.busy", 1);      // holds no block: hidden
    w.declare("chip.tile1.macro0.busy", 1);
    w.declare("chip.noc.occupancy", 1);
    w.hide_scope("chip.tile0.macro1");
    w.set_group_leakage_W(0, 1e-6);
    w.set_group_leakage_W(-1, 1e-6);
    TraceView v;
    v.header = {"sotsim test, seed 7"};
    TraceView::Layer a;
    a.index = 0; a.name = "fc1"; a.tiles = {0}; a.tile_scopes = {"chip.tile0"}; a.macro_scopes = {"chip.tile0.macro0"};
    TraceView::Layer b;
    b.index = 1; b.name = "fc2"; b.tiles = {1}; b.tile_scopes = {"chip.tile1"}; b.macro_scopes = {"chip.tile1.macro0"};
    v.layers = {a, b};
    v.shared_scopes = {"chip.noc"};
    CHECK(layer_translate_text(v) == "0 fc1\n1 fc2\n");

    const std::uint64_t end_ps = 1000000;
    auto g = lines(gtkw_text(w, v, "trace.vcd", "trace.layers.txt", end_ps));
    CHECK(g.at(0) == "[*] sotsim test, seed 7");
    CHECK(has(g, "[dumpfile] \"trace.vcd\""));
    CHECK(has(g, "-layer 0 fc1 (1 macros)"));
    CHECK(has(g, "+{tile0/macro0/busy} chip.tile0.macro0.busy"));
    CHECK(has(g, "+{tile1/macro0/busy} chip.tile1.macro0.busy"));
    CHECK(has(g, "+{noc/occupancy} chip.noc.occupancy"));
    CHECK(has(g, "+{total_W} power.total_W"));
    CHECK(has(g, "^1 trace.layers.txt"));
    for (const auto& l : g) CHECK(l.find("macro1") == std::string::npos);   // hidden: not listed
    // The layer id is shown decimal and file-translated (flags dec|rjustify|ftranslated).
    auto it = std::find(g.begin(), g.end(), "+{tile0/layer} chip.tile0.layer");
    REQUIRE(it != g.end());
    CHECK(*(it - 1) == "^1 trace.layers.txt");
    CHECK(*(it - 2) == "@2024");
    // Groups open and close in pairs (GTKWave rejects an unbalanced file).
    int depth = 0;
    for (std::size_t i = 0; i + 1 < g.size(); ++i) {
        if (g[i] == "@800200") ++depth;
        if (g[i] == "@1000200") --depth;
        CHECK(depth >= 0);
    }
    CHECK(depth == 0);
    // Zoom fits the run: a longer run zooms out (a more negative zoom), by log2 of the ratio.
    auto zoom_of = [&](std::uint64_t e) {
        for (const auto& l : lines(gtkw_text(w, v, "t.vcd", "t.txt", e)))
            if (!l.empty() && l[0] == '*') return std::stod(l.substr(1));
        return std::nan("");
    };
    CHECK(zoom_of(8 * end_ps) - zoom_of(end_ps) == Approx(-3.0));
}
