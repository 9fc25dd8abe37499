// Every shipped preset validates, and carries the published values it claims.
#include <catch2/catch.hpp>

#include <cmath>

#include "ConfigTestUtil.h"
#include "platform/config/Schema.h"

using cfgtest::configs;
using sotsim::config::load_config;

namespace {
void check_complete_tech(const sotsim::Config& c) {
    for (const auto& a : sotsim::config::known_actions()) {
        INFO("action " << a);
        REQUIRE(c.tech.energy.count(a) == 1);
        CHECK(c.tech.energy.at(a) > 0.0);
        CHECK(c.tech.energy.at(a) < 1e-10);   // no action costs 100 pJ
    }
    for (const auto& k : sotsim::config::known_components()) {
        INFO("component " << k);
        REQUIRE(c.tech.area.count(k) == 1);
        REQUIRE(c.tech.leakage.count(k) == 1);
        CHECK(c.tech.area.at(k) > 0.0);
        CHECK(c.tech.area.at(k) < 1e-6);       // below 1 mm^2 per instance
        CHECK(c.tech.leakage.at(k) >= 0.0);
    }
}
}  // namespace

TEST_CASE("technology tables are complete and ordered by node", "[presets]") {
    auto t14 = load_config(configs("tech/cmos_14nm.yaml"));
    auto t22 = load_config(configs("tech/cmos_22nm.yaml"));
    auto t28 = load_config(configs("tech/cmos_28nm.yaml"));
    check_complete_tech(t14);
    check_complete_tech(t22);
    check_complete_tech(t28);
    CHECK(t14.tech.node == "14nm");
    CHECK(t28.tech.node == "28nm");
    // Horowitz 32-bit add 0.1 pJ at 45 nm, x0.3 at 14 nm, x0.5 at 28 nm.
    CHECK(t14.tech.energy.at("digital_add") == Approx(0.03e-12));
    CHECK(t28.tech.energy.at("digital_add") == Approx(0.05e-12));
    // NeuroSim column SAR 5 b at 22 nm: 42 fJ.
    CHECK(t22.tech.energy.at("adc_conversion") == Approx(42e-15));
    for (const auto& a : sotsim::config::known_actions()) {
        INFO(a);
        CHECK(t14.tech.energy.at(a) <= t22.tech.energy.at(a));
        CHECK(t22.tech.energy.at(a) <= t28.tech.energy.at(a));
    }
    for (const auto& k : sotsim::config::known_components()) {
        INFO(k);
        CHECK(t14.tech.area.at(k) <= t22.tech.area.at(k));
        CHECK(t22.tech.area.at(k) <= t28.tech.area.at(k));
    }
}

TEST_CASE("myung 72-macro preset", "[presets]") {
    for (const char* f : {"myung_72macro.yaml"}) {
        auto c = load_config(configs(f));
        INFO(f);
        CHECK(c.total_macros() == 72);
        CHECK(c.chip.tiles == 9);
        CHECK(c.tile.macros == 8);
        CHECK(c.tech.node == "14nm");
        CHECK(c.array.multibit == sotsim::MultiBitMode::MultiLevel);
        CHECK(c.device.stack == 4);
        CHECK(c.macro.calibration);
        CHECK(c.device.write == sotsim::WriteMechanism::Sot);
        CHECK(c.tile.buffer_bytes == 65536.0);
        // A Walden FOM: the energy model derives fom x 2^bits per conversion (test_energy_model).
        REQUIRE(c.periphery.adc.fom > 0);
        check_complete_tech(c);
    }
}

TEST_CASE("carletti, jung, zand and program-verify presets", "[presets]") {
    auto carletti = load_config(configs("carletti_sot.yaml"));
    CHECK(carletti.array.rows == 256);
    CHECK(carletti.array.cols == 256);
    CHECK(carletti.array.ir_drop == sotsim::IrDropMode::Exact);
    CHECK(carletti.macro.weight_bits == 1);
    CHECK(carletti.device.r_p == Approx(3.1e6));
    CHECK(carletti.total_macros() == 72);
    check_complete_tech(carletti);

    auto jung = load_config(configs("jung_64x64.yaml"));
    CHECK(jung.array.rows == 64);
    CHECK(jung.array.cols == 64);
    CHECK(jung.array.summation == sotsim::Summation::Resistance);
    CHECK(jung.periphery.readout == sotsim::ReadoutKind::Tdc);
    CHECK(jung.periphery.tdc.bits == 4);
    CHECK(jung.macro.clock == Approx(11.1e6));
    CHECK(jung.device.write == sotsim::WriteMechanism::Stt);
    CHECK(jung.device.v_write == Approx(1.5));
    CHECK(jung.device.r_p == Approx(13e3));
    CHECK(jung.device.r_p * (1 + jung.device.tmr) == Approx(26e3));
    CHECK(jung.device.sigma_p == Approx(1.6 / 13).epsilon(0.01));
    CHECK(jung.device.sigma_ap == Approx(2.0 / 26).epsilon(0.01));
    CHECK(jung.tech.node == "28nm");
    check_complete_tech(jung);

    auto zand = load_config(configs("zand_mlp.yaml"));
    CHECK(zand.device.r_p == Approx(8.5e3));
    CHECK(zand.device.r_p * (1 + zand.device.tmr) == Approx(25.5e3));
    CHECK(zand.periphery.readout == sotsim::ReadoutKind::SigmoidNeuron);
    CHECK(zand.macro.weight_bits == 1);
    CHECK(zand.array.rows >= 784);   // single-cycle: a whole 784-input dot product per column
    check_complete_tech(zand);

    auto nvm = load_config(configs("nvm_program_verify.yaml"));
    CHECK(nvm.device.t_pulse == Approx(1e-6));
    CHECK(nvm.device.verify_max_iter > 1);
    CHECK(nvm.device.t_pulse / carletti.device.t_pulse >= 100.0);
    CHECK(nvm.device.e_driver_write > carletti.tech.energy.at("cell_write"));
    CHECK(nvm.total_macros() == carletti.total_macros());   // same chip, only the write differs
}
