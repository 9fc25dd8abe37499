// --set overrides typed by the schema; schema queries; to_yaml -> load_config round trip.
#include <catch2/catch.hpp>

#include <fstream>

#include "ConfigTestUtil.h"
#include "platform/config/Schema.h"

using cfgtest::configs;
using sotsim::config::load_config;
using sotsim::config::to_yaml;

TEST_CASE("overrides (--set) are typed by the schema, units with or without space", "[set]") {
    auto c = load_config(configs("myung_72macro.yaml"),
                         {"device.r_p=2.5MOhm", "device.tmr = 120 %", "array.rows=128",
                          "array.ir_drop=exact", "macro.calibration=false", "sim.seed=18446744073709551615",
                          "tile.buffer_bytes=32 KiB", "tech.energy.bus_byte=1 pJ",
                          "device.level_resistances=[1 MOhm, 2 MOhm, 4MOhm]", "tech.node=7nm"});
    CHECK(c.device.r_p == Approx(2.5e6));
    CHECK(c.device.tmr == Approx(1.2));
    CHECK(c.array.rows == 128);
    CHECK(c.array.ir_drop == sotsim::IrDropMode::Exact);
    CHECK_FALSE(c.macro.calibration);
    CHECK(c.sim.seed == 18446744073709551615ull);
    CHECK(c.tile.buffer_bytes == 32768.0);
    CHECK(c.tech.energy.at("bus_byte") == Approx(1e-12));
    REQUIRE(c.device.level_resistances.size() == 3);
    CHECK(c.device.level_resistances[2] == Approx(4e6));
    CHECK(c.tech.node == "7nm");
    CHECK(c.total_macros() == 72);   // untouched
}

TEST_CASE("a map override merges per entry like an include", "[set]") {
    auto c = load_config(configs("carletti_sot.yaml"), {"tech.energy={bus_byte: 2 pJ, row_drive: 1 fJ}"});
    CHECK(c.tech.energy.at("bus_byte") == Approx(2e-12));
    CHECK(c.tech.energy.at("row_drive") == Approx(1e-15));
    CHECK(c.tech.energy.at("digital_add") == Approx(0.04e-12));   // kept from the 22 nm table
}

TEST_CASE("later --set wins over earlier ones and over files", "[set]") {
    auto c = load_config(configs("jung_64x64.yaml"), {"array.cols=32", "array.cols=16"});
    CHECK(c.array.cols == 16);
}

TEST_CASE("override (--set) errors name the override", "[set]") {
    auto e = cfgtest::load_error(configs("myung_72macro.yaml"), {"device.r_pp=1"});
    CHECK(std::string(e.what()) ==
          "--set device.r_pp=1: error: unknown key 'device.r_pp', did you mean 'device.r_p'?");
    CHECK(e.line() == 0);

    auto u = cfgtest::load_error(configs("myung_72macro.yaml"), {"device.r_p=3ns"});
    CHECK(std::string(u.what()).rfind("--set device.r_p=3ns: error: device.r_p: wrong unit", 0) == 0);

    auto r = cfgtest::load_error(configs("myung_72macro.yaml"), {"periphery.adc.bits=17"});
    CHECK(std::string(r.what()) ==
          "--set periphery.adc.bits=17: error: periphery.adc.bits = 17 is out of range (must be 1 .. 16)");

    auto y = cfgtest::load_error(configs("myung_72macro.yaml"), {"device.level_resistances=[1, 2"});
    CHECK(y.line() == 0);
    CHECK(std::string(y.what()).rfind("--set device.level_resistances=[1, 2: error: YAML syntax error", 0) == 0);

    auto s = cfgtest::load_error(configs("myung_72macro.yaml"), {"device=3"});
    CHECK(s.message() == "'device' is a section, not a key");

    CHECK(cfgtest::load_error(configs("myung_72macro.yaml"), {"noequals"}).message() == "expected key.path=value");
    CHECK(cfgtest::load_error(configs("myung_72macro.yaml"), {"array.rows="}).message() ==
          "missing value for 'array.rows'");
    // A consistency error caused by an override points at the override.
    auto x = cfgtest::load_error(configs("myung_72macro.yaml"), {"array.summation=resistance"});
    CHECK(x.file() == "--set array.summation=resistance");
}

TEST_CASE("schema queries for sweeps", "[set]") {
    using namespace sotsim::config;
    CHECK(is_known_key("device.r_p"));
    CHECK(is_known_key("periphery.adc.bits"));
    CHECK(is_known_key("tech.energy.adc_conversion"));
    CHECK_FALSE(is_known_key("device"));
    CHECK_FALSE(is_known_key("device.r_pp"));
    CHECK(suggest_key("device.r_pp") == "device.r_p");
    CHECK(suggest_key("periphery.adc.bit") == "periphery.adc.bits");
    CHECK(suggest_key("aray.rows") == "array.rows");
    CHECK(suggest_key("array.bits").find("bits") != std::string::npos);   // right name, wrong section
    CHECK(suggest_key("completely.unrelated.thing") == "");
}

TEST_CASE("required key paths exist with their exact names", "[set]") {
    for (const char* k : {"device.r_p", "device.tmr", "device.sigma_p", "device.sigma_ap",
                          "device.read_noise", "array.rows", "array.cols", "array.r_wire_row",
                          "array.r_wire_col", "array.ir_drop", "array.summation",
                          "periphery.adc.bits", "chip.tiles", "tile.macros", "sim.seed"}) {
        INFO(k);
        CHECK(sotsim::config::is_known_key(k));
    }
}

namespace {
void check_equal(const sotsim::Config& a, const sotsim::Config& b) {
    for (const auto& k : sotsim::config::schema()) {
        INFO(k.path);
        CHECK(sotsim::config::format_value(k, a) == sotsim::config::format_value(k, b));
    }
    // Exact equality of a few doubles, not only of their text.
    CHECK(a.device.r_p == b.device.r_p);
    CHECK(a.device.sigma_p == b.device.sigma_p);
    CHECK(a.periphery.tdc.t_full == b.periphery.tdc.t_full);
    CHECK(a.tech.energy == b.tech.energy);
    CHECK(a.tech.area == b.tech.area);
    CHECK(a.tech.leakage == b.tech.leakage);
    CHECK(a.device.level_resistances == b.device.level_resistances);
}
}  // namespace

TEST_CASE("to_yaml -> load_config round trip is exact for every preset", "[roundtrip]") {
    cfgtest::TempDir d("rt");
    for (const char* f : {"myung_72macro.yaml", "carletti_sot.yaml", "jung_64x64.yaml", "zand_mlp.yaml",
                          "nvm_program_verify.yaml"}) {
        INFO(f);
        // (jung's xnor_2t2mtj cell holds exactly two levels: no explicit level list there.)
        std::vector<std::string> over = {"tech.node=yes"};  // a string that YAML would read as bool
        if (std::string(f) != "jung_64x64.yaml") over.push_back("device.level_resistances=[1.1 MOhm, 2.3 MOhm, 4.7 MOhm]");
        auto a = load_config(configs(f), over);
        std::string y = to_yaml(a);
        std::string p = d.write("resolved.yaml", y);
        auto b = load_config(p);
        check_equal(a, b);
        CHECK(to_yaml(b).substr(y.find('\n')) .size() > 0);
    }
}

TEST_CASE("to_yaml of a default config lists every key and loads back", "[roundtrip]") {
    sotsim::Config def;
    std::string y = to_yaml(def);
    for (const auto& k : sotsim::config::schema()) {
        std::string leaf = k.path.substr(k.path.rfind('.') + 1);
        INFO(k.path);
        CHECK(y.find(leaf + ":") != std::string::npos);
    }
    cfgtest::TempDir d("rtdef");
    auto b = load_config(d.write("def.yaml", y));
    check_equal(def, b);
}

