// Every error class: exact "FILE:LINE:COL: error: " prefix and the right position.
#include <catch2/catch.hpp>

#include <string>

#include "ConfigTestUtil.h"

using cfgtest::bad_config;
using cfgtest::load_error;

namespace {
void check_error(const std::string& file, int line, int col, const std::string& fragment) {
    auto e = load_error(file);
    INFO(e.what());
    CHECK(e.file() == file);
    CHECK(e.line() == line);
    CHECK(e.col() == col);
    std::string prefix = file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: ";
    CHECK(std::string(e.what()).rfind(prefix, 0) == 0);
    CHECK(e.message().find(fragment) != std::string::npos);
}
}  // namespace

TEST_CASE("unknown key: position of the key and a did-you-mean", "[errors]") {
    check_error(bad_config("unknown_key.yaml"), 4, 3,
                "unknown key 'device.tmrr', did you mean 'device.tmr'?");
}

TEST_CASE("wrong unit: position of the value, expected and given units", "[errors]") {
    check_error(bad_config("wrong_unit.yaml"), 5, 8, "expected Ohm (resistance), got ns");
}

TEST_CASE("wrong type and bad enum value", "[errors]") {
    check_error(bad_config("wrong_type.yaml"), 3, 9, "'array.rows' expects an integer, got 'many'");
    check_error(bad_config("bad_enum.yaml"), 3, 12, "did you mean 'exact'?");
}

TEST_CASE("out of range", "[errors]") {
    check_error(bad_config("out_of_range.yaml"), 4, 11,
                "periphery.adc.bits = 17 is out of range (must be 1 .. 16)");
}

TEST_CASE("inconsistent combination points at the offending key", "[errors]") {
    check_error(bad_config("inconsistent_summation.yaml"), 3, 14, "needs periphery.readout = tdc");
    check_error(bad_config("levels_not_ascending.yaml"), 3, 22, "strictly ascending");
    check_error(bad_config("too_many_macros.yaml"), 5, 11, "5000 macros exceeds the limit of 4096");
}

TEST_CASE("YAML syntax error carries yaml-cpp's mark", "[errors]") {
    auto e = load_error(bad_config("syntax_error.yaml"));
    INFO(e.what());
    CHECK(e.message().rfind("YAML syntax error: ", 0) == 0);
    // The unclosed '[' opened on line 3; yaml-cpp reports where it gave up (line >= 3).
    CHECK(e.line() >= 3);
    CHECK(e.col() >= 1);
    CHECK(std::string(e.what()).rfind(bad_config("syntax_error.yaml") + ":" + std::to_string(e.line()) + ":", 0) == 0);
}

TEST_CASE("include cycle names the chain at the include that closes it", "[errors]") {
    auto e = load_error(bad_config("cycle_a.yaml"));
    INFO(e.what());
    CHECK(e.file() == bad_config("cycle_b.yaml"));
    CHECK(e.line() == 2);
    CHECK(e.col() == 10);
    CHECK(e.message() == "include cycle: cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml");
}

TEST_CASE("missing include points at the include entry", "[errors]") {
    check_error(bad_config("missing_include.yaml"), 2, 49, "included file");
    auto e = load_error(bad_config("missing_include.yaml"));
    CHECK(e.message().find("does_not_exist.yaml': no such file") != std::string::npos);
}

TEST_CASE("empty file, non-map top level, duplicate key, section as value", "[errors]") {
    check_error(bad_config("empty.yaml"), 1, 1, "empty configuration file");
    check_error(bad_config("not_a_map.yaml"), 2, 1, "top level must be a map");
    check_error(bad_config("duplicate_key.yaml"), 4, 3, "duplicate key 'rows' (first given at line 3)");
    check_error(bad_config("section_scalar.yaml"), 2, 9, "'device' is a section");
}

TEST_CASE("missing file and directory are errors without a position", "[errors]") {
    auto missing = load_error(bad_config("no_such_file.yaml"));
    CHECK(std::string(missing.what()) == bad_config("no_such_file.yaml") + ": error: no such file");
    auto dir = load_error(bad_config(""));
    CHECK(std::string(dir.what()) ==
          bad_config("") + ": error: is a directory, not a file");
}

TEST_CASE("an error inside an included file points at that file", "[errors]") {
    cfgtest::TempDir d("incerr");
    std::string bad = d.write("parts/bad.yaml", "array:\n  rows: 64\n  cols: 0\n");
    std::string top = d.write("top.yaml", "include: parts/bad.yaml\nchip:\n  tiles: 2\n");
    auto e = load_error(top);
    INFO(e.what());
    CHECK(e.file() == bad);
    CHECK(e.line() == 3);
    CHECK(e.col() == 9);
    CHECK(e.message().find("array.cols = 0 is out of range") != std::string::npos);
}

TEST_CASE("range checks of the required keys", "[errors]") {
    cfgtest::TempDir d("ranges");
    struct Bad { const char* yaml; const char* fragment; };
    const Bad cases[] = {
        {"device:\n  r_p: 0 Ohm\n", "device.r_p = 0 Ohm is out of range (must be > 0)"},
        {"device:\n  r_p: -1 kOhm\n", "must be > 0"},
        {"device:\n  tmr: -5 %\n", "device.tmr = -0.05 is out of range"},
        {"device:\n  sigma_p: -0.1\n", "device.sigma_p"},
        {"device:\n  sigma_ap: -1 %\n", "device.sigma_ap"},
        {"array:\n  rows: 0\n", "array.rows = 0"},
        {"array:\n  cols: 5000\n", "array.cols = 5000"},
        {"array:\n  r_wire_row: -1 Ohm\n", "array.r_wire_row"},
        {"periphery:\n  adc:\n    bits: 0\n", "periphery.adc.bits = 0"},
        {"chip:\n  tiles: 0\n", "chip.tiles = 0"},
        {"tile:\n  macros: 0\n", "tile.macros = 0"},
        {"array:\n  rows: 4096\n  cols: 4096\nchip:\n  tiles: 4\ntile:\n  macros: 8\n", "cells exceeds"},
        {"array:\n  multibit: multi_level\ndevice:\n  stack: 1\n", "multi_level needs more than 2 levels"},
        {"periphery:\n  readout: tdc\n", "needs array.summation = resistance"},
        {"array:\n  cols: 255\n", "must be even"},
        {"sim:\n  seed: -3\n", "sim.seed"},
        {"macro:\n  calibration: maybe\n", "expects true or false"},
        {"device:\n  ra: 20 kOhm*um^2\n", "must be given together"},
        {"device:\n  r_p: 1 MOhm\n  ra: 20 kOhm*um^2\n  diameter: 90 nm\n", "conflicts with device.ra"},
        {"tech:\n  energy:\n    adc_convresion: 42 fJ\n", "did you mean 'adc_conversion'?"},
        {"tech:\n  energy:\n    adc_conversion: 42 fF\n", "expected J (energy)"},
        {"device:\n  r_p:\n", "missing value for 'device.r_p'"},
        {"device:\n  level_resistances: 3\n", "expects a list"},
    };
    int i = 0;
    for (const auto& c : cases) {
        std::string f = d.write("bad" + std::to_string(i++) + ".yaml", c.yaml);
        auto e = load_error(f);
        INFO(c.yaml << " -> " << e.what());
        CHECK(e.message().find(c.fragment) != std::string::npos);
        CHECK(e.file() == f);
        CHECK(e.line() >= 1);
    }
}
