#include <catch2/catch.hpp>

#include <cmath>

#include "FakeStatsSource.h"
#include "platform/report/Collect.h"
#include "platform/report/EnergyModel.h"

using namespace sotsim;
using namespace sotsim::report;

TEST_CASE("energy: counts x table equals the hand computation, per category", "[report][energy]") {
    EnergyModel em(test::test_tech());
    ActionCounter ac;
    ac.add("row_drive", 256 * 4);          // 256 rows x 4 input bit cycles
    ac.add("adc_conversion", 128 * 4);
    ac.add("buffer_read_byte", 1000);
    ac.add("bus_byte", 64);
    ac.add("digital_add", 512);
    ac.add_energy("array_read", 3.25e-12);
    ac.add_energy("cell_write", 1e-12);
    ac.add("cell_write", 10);

    EnergyBreakdown b = em.energy(ac);
    CHECK(b[EnergyCategory::Drivers] == Approx(1024 * 2e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::Adc] == Approx(512 * 50e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::Buffer] == Approx(1000 * 1e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::Interconnect] == Approx(64 * 8e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::Digital] == Approx(512 * 0.1e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::Array] == Approx(3.25e-12).epsilon(1e-14));
    CHECK(b[EnergyCategory::Write] == Approx(1e-12 + 10 * 100e-15).epsilon(1e-14));
    CHECK(b[EnergyCategory::SenseAmp] == 0.0);
    CHECK(b[EnergyCategory::Leakage] == 0.0);
    const double hand = 1024 * 2e-15 + 512 * 50e-15 + 1000 * 1e-15 + 64 * 8e-15 + 512 * 0.1e-15 + 3.25e-12 +
                        1e-12 + 10 * 100e-15;
    CHECK(b.total_J() == Approx(hand).epsilon(1e-13));
    CHECK(em.energy_J(ac) == b.total_J());
}

TEST_CASE("energy: breakdown sums to total within 1e-12 relative", "[report][energy]") {
    EnergyModel em(test::test_tech());
    ActionCounter ac;
    // Every vocabulary action with an awkward count, plus both physics energies.
    double n = 1.0;
    for (const auto& [action, e] : test::test_tech().energy) ac.add(action, (n *= 3.7));
    ac.add_energy("array_read", 1.234567e-9);
    ac.add_energy("cell_write", 9.87e-11);
    EnergyBreakdown b = em.energy(ac);
    double sum = 0.0;
    for (EnergyCategory c : all_categories()) sum += b[c];
    double direct = 0.0;
    ac.for_each_count([&](const std::string& action, double cnt) { direct += cnt * em.per_action_J(action); });
    direct += 1.234567e-9 + 9.87e-11;
    CHECK(std::fabs(sum - b.total_J()) <= 1e-12 * b.total_J());
    CHECK(std::fabs(direct - b.total_J()) <= 1e-12 * b.total_J());
}

TEST_CASE("energy: an action without a tech entry throws naming the action", "[report][energy]") {
    TechConfig t = test::test_tech();
    t.energy.erase("adc_conversion");
    EnergyModel em(t);
    ActionCounter ac;
    ac.add("row_drive", 3);
    ac.add("adc_conversion", 1);
    try {
        em.energy(ac);
        FAIL("expected an exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("'adc_conversion'") != std::string::npos);
        CHECK(std::string(e.what()).find("tech.energy") != std::string::npos);
    }
    // A zero count needs no entry.
    ActionCounter zero;
    zero.add("adc_conversion", 0.0);
    CHECK(em.energy_J(zero) == 0.0);
}

TEST_CASE("energy: an action outside the vocabulary and its prefixes throws naming it", "[report][energy]") {
    TechConfig t = test::test_tech();
    t.energy["teleport"] = 1e-15;
    EnergyModel em(t);
    ActionCounter ac;
    ac.add("teleport");
    CHECK_THROWS_WITH(em.energy(ac), Catch::Contains("'teleport'"));
    ActionCounter phys;
    phys.add_energy("magic", 1e-12);
    CHECK_THROWS_WITH(em.energy(phys), Catch::Contains("'magic'"));
    // Prefix classification for actions a model adds later.
    CHECK(category_of_action("buffer_read_word") == EnergyCategory::Buffer);
    CHECK(category_of_action("adc_calibration") == EnergyCategory::Adc);
}

TEST_CASE("energy: leakage from instances; parts without an entry do not leak", "[report][energy]") {
    EnergyModel em(test::test_tech());
    std::map<std::string, double> items = {{"adc", 32}, {"sram_byte", 65536}, {"mtj_cell", 65536}};
    CHECK(em.leakage_W(items) == Approx(32 * 1e-6 + 65536 * 1e-9).epsilon(1e-14));
}

TEST_CASE("area: sum over all sources equals hand computation; missing entry throws", "[report][area]") {
    test::FakeStatsSource macro0, macro1, tile;
    macro0.items = {{"mtj_cell", 256.0 * 256}, {"row_driver", 256}, {"adc", 32}, {"macro_control", 1}};
    macro1.items = macro0.items;
    tile.kind = "tile";
    tile.items = {{"sram_byte", 65536}, {"digital_unit", 1}, {"tile_control", 1}};
    Collection col = collect(std::vector<const StatsSource*>{&macro0, &macro1, &tile});
    REQUIRE(col.components.size() == 3);
    CHECK(col.components[0].name == "macro0");
    CHECK(col.components[1].name == "macro1");
    CHECK(col.components[2].name == "tile0");
    AreaModel am(test::test_tech());
    const double macro_hand = 65536 * 0.05e-12 + 256 * 2e-12 + 32 * 500e-12 + 1000e-12;
    const double tile_hand = 65536 * 0.5e-12 + 20000e-12 + 5000e-12;
    CHECK(am.area_m2(col.total_area_items) == Approx(2 * macro_hand + tile_hand).epsilon(1e-13));

    tile.items["crystal_ball"] = 1;
    Collection bad = collect(std::vector<const StatsSource*>{&macro0, &tile});
    CHECK_THROWS_WITH(am.area_m2(bad.total_area_items), Catch::Contains("'crystal_ball'"));
}

TEST_CASE("collect: totals, layer merge and phase difference", "[report][collect]") {
    test::FakeStatsSource a, b;
    a.ac.add("row_drive", 10);
    a.ac.add_energy("array_read", 1e-12);
    a.track_layers = true;
    a.layers[0].add("row_drive", 4);
    a.spans[0] = {1e-6, 2e-6};
    b.ac.add("row_drive", 5);
    b.track_layers = true;
    b.layers[0].add("row_drive", 1);
    b.spans[0] = {0.5e-6, 1.5e-6};
    Collection start = collect_named({{"chip.m0", &a}, {"chip.m1", &b}});
    CHECK(start.total_actions.get("row_drive") == 15);
    CHECK(start.layer_actions.at(0).get("row_drive") == 5);
    CHECK(start.layer_spans.at(0).first == 0.5e-6);
    CHECK(start.layer_spans.at(0).second == 2e-6);

    a.ac.add("row_drive", 7);
    a.layers[0].add("row_drive", 7);
    Collection end = collect_named({{"chip.m0", &a}, {"chip.m1", &b}});
    Collection d = difference(end, start);
    CHECK(d.total_actions.get("row_drive") == 7);
    CHECK(d.find("chip.m1")->actions.get("row_drive") == 0);
    CHECK(d.layer_actions.at(0).get("row_drive") == 7);
    CHECK(d.total_actions.energies().at("array_read") == 0.0);

    CHECK_THROWS_WITH(collect_named({{"x", &a}, {"x", &b}}), Catch::Contains("duplicate"));
}

TEST_CASE("energy: converter energies follow the design as the model says", "[report][energy]") {
    Config c;
    c.tech = test::test_tech();
    // Table values: fixed whatever the resolution (the case a sweep must be warned about).
    for (int bits : {4, 6, 8}) {
        c.periphery.adc.bits = bits;
        CHECK(EnergyModel(c).per_action_J(action::kAdc) == Approx(50e-15));
    }
    // Walden: fom x 2^bits, so +2 bits = 4x.
    c.periphery.adc.fom = 1e-15;
    c.periphery.adc.bits = 4;
    const double e4 = EnergyModel(c).per_action_J(action::kAdc);
    c.periphery.adc.bits = 6;
    const double e6 = EnergyModel(c).per_action_J(action::kAdc);
    CHECK(e4 == Approx(16e-15));
    CHECK(e6 == Approx(64e-15));
    // PWM / DAC: dac_fom x 2^bits per conversion; the table otherwise.
    c.periphery.input.bits = 4;
    CHECK(EnergyModel(c).per_action_J(action::kDac) == Approx(3e-15));
    c.periphery.input.dac_fom = 2e-15;
    CHECK(EnergyModel(c).per_action_J(action::kDac) == Approx(32e-15));
    c.periphery.input.bits = 2;
    CHECK(EnergyModel(c).per_action_J(action::kDac) == Approx(8e-15));
    // TDC: a fixed part per conversion plus one energy per counter increment.
    ActionCounter ac;
    ac.add(action::kTdc, 10);
    ac.add(action::kTdcCount, 80);
    CHECK(EnergyModel(c).energy(ac)[EnergyCategory::Adc] == Approx(10 * 20e-15 + 80 * 1e-15));
}
