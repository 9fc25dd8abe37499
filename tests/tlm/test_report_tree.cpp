// The report's sc_object tree walk: finds every StatsSource below the roots, depth first,
// under SystemC hierarchical names, and skips plain modules.
#include <catch2/catch.hpp>

#include <systemc>

#include "platform/report/Report.h"
#include "platform/report/ScTreeWalk.h"

using namespace sotsim;

namespace {

struct CountingLeaf : sc_core::sc_module, StatsSource {
    ActionCounter ac;
    std::string kind;
    CountingLeaf(sc_core::sc_module_name n, std::string k, double drives) : sc_module(n), kind(std::move(k)) {
        ac.add("row_drive", drives);
    }
    std::string component_kind() const override { return kind; }
    const ActionCounter& actions() const override { return ac; }
    std::vector<StatValue> stats() const override { return {{"busy_time_s", 1e-6, "s", "busy"}}; }
    std::map<std::string, double> area_items() const override { return {{"row_driver", 256}}; }
};

struct PlainGroup : sc_core::sc_module {   // not a StatsSource: only its children count
    CountingLeaf m0, m1;
    explicit PlainGroup(sc_core::sc_module_name n) : sc_module(n), m0("macro0", "macro", 10), m1("macro1", "macro", 20) {}
};

struct Tile : sc_core::sc_module, StatsSource {
    ActionCounter ac;
    PlainGroup macros;
    explicit Tile(sc_core::sc_module_name n) : sc_module(n), macros("macros") { ac.add("digital_add", 5); }
    std::string component_kind() const override { return "tile"; }
    const ActionCounter& actions() const override { return ac; }
    std::vector<StatValue> stats() const override { return {}; }
    std::map<std::string, double> area_items() const override { return {{"tile_control", 1}}; }
    int power_group() const override { return 0; }
};

struct Chip : sc_core::sc_module {
    Tile tile0;
    CountingLeaf noc;
    explicit Chip(sc_core::sc_module_name n) : sc_module(n), tile0("tile0"), noc("noc", "interconnect", 0) {}
};

}  // namespace

TEST_CASE("report: sc_object tree walk collects every StatsSource with hierarchical names", "[tlm][report]") {
    Chip chip("chip");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    report::Collection col = report::collect(chip);
    REQUIRE(col.components.size() == 4);
    CHECK(col.components[0].name == "chip.tile0");
    CHECK(col.components[0].kind == "tile");
    CHECK(col.components[0].power_group == 0);
    CHECK(col.components[1].name == "chip.tile0.macros.macro0");
    CHECK(col.components[2].name == "chip.tile0.macros.macro1");
    CHECK(col.components[3].name == "chip.noc");
    CHECK(col.total_actions.get("row_drive") == 30);
    CHECK(col.total_area_items.at("row_driver") == 3 * 256);
    CHECK(col.of_kind("macro").size() == 2);

    report::Collection from_tops = report::collect(sc_core::sc_get_top_level_objects());
    CHECK(from_tops.components.size() == 4);

    // The collection feeds a report whose component tree mirrors the hierarchy.
    Config cfg;
    cfg.tech.energy = {{"row_drive", 1e-15}, {"digital_add", 1e-16}};
    cfg.tech.area = {{"row_driver", 1e-12}, {"tile_control", 1e-9}};
    report::RunInfo info;
    info.samples = 1;
    info.inference_time_s = 1e-6;
    report::Report r(cfg, col, info);
    CHECK(r.figures().energy_total_J == Approx(30e-15 + 5e-16));
    report::Json j = r.json();
    CHECK(j.at("components").at("chip").at("children").at("tile0").at("children").at("macros").at("children")
              .at("macro1").at("kind").get<std::string>() == "macro");
}
