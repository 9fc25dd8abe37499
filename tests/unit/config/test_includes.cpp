// include: resolution relative to the including file, override order, deep merge, lists.
#include <catch2/catch.hpp>

#include "ConfigTestUtil.h"

using sotsim::config::load_config;

TEST_CASE("later includes override earlier ones, own keys override all", "[include]") {
    cfgtest::TempDir d("order");
    d.write("lib/a.yaml", "device:\n  r_p: 1 MOhm\n  tmr: 1.0\n  sigma_p: 1 %\narray:\n  rows: 64\n");
    d.write("lib/b.yaml", "device:\n  r_p: 2 MOhm\n  sigma_ap: 2 %\n");
    std::string top = d.write("top.yaml",
                              "include: [lib/a.yaml, lib/b.yaml]\ndevice:\n  sigma_p: 3 %\n");
    auto c = load_config(top);
    CHECK(c.device.r_p == Approx(2e6));        // b after a
    CHECK(c.device.tmr == Approx(1.0));        // only in a: deep merge keeps it
    CHECK(c.device.sigma_ap == Approx(0.02));  // only in b
    CHECK(c.device.sigma_p == Approx(0.03));   // own key wins even though written after include
    CHECK(c.array.rows == 64);
    CHECK(c.array.cols == sotsim::Config{}.array.cols);   // untouched: named default
    CHECK(c.source == top);

    // Reversed order: a wins over b for r_p.
    std::string rev = d.write("rev.yaml", "include:\n  - lib/b.yaml\n  - lib/a.yaml\n");
    CHECK(load_config(rev).device.r_p == Approx(1e6));
}

TEST_CASE("own keys win even when include comes last in the file", "[include]") {
    cfgtest::TempDir d("last");
    d.write("base.yaml", "array:\n  rows: 64\n  cols: 64\n");
    std::string top = d.write("top.yaml", "array:\n  rows: 128\ninclude: base.yaml\n");
    auto c = load_config(top);
    CHECK(c.array.rows == 128);
    CHECK(c.array.cols == 64);
}

TEST_CASE("nested includes resolve relative to each including file", "[include]") {
    cfgtest::TempDir d("nested");
    d.write("shared/tech.yaml", "tech:\n  node: \"7nm\"\n  energy:\n    row_drive: 10 fJ\n    adc_conversion: 1 pJ\n");
    d.write("chips/mid/chip.yaml", "include: ../../shared/tech.yaml\nchip:\n  tiles: 3\n");
    std::string top = d.write("runs/top.yaml",
                              "include: ../chips/mid/chip.yaml\ntech:\n  energy:\n    adc_conversion: 2 pJ\n");
    auto c = load_config(top);
    CHECK(c.chip.tiles == 3);
    CHECK(c.tech.node == "7nm");
    CHECK(c.tech.energy.at("row_drive") == Approx(10e-15));     // deep merge of tech.energy
    CHECK(c.tech.energy.at("adc_conversion") == Approx(2e-12)); // per-entry override
}

TEST_CASE("absolute include paths and a diamond (same file twice) are fine", "[include]") {
    cfgtest::TempDir d("abs");
    std::string common = d.write("common.yaml", "sim:\n  seed: 42\n");
    d.write("x.yaml", "include: common.yaml\nchip:\n  tiles: 2\n");
    d.write("y.yaml", "include: " + common + "\ntile:\n  macros: 3\n");
    std::string top = d.write("top.yaml", "include: [x.yaml, y.yaml]\n");
    auto c = load_config(top);
    CHECK(c.sim.seed == 42u);
    CHECK(c.total_macros() == 6);
}

TEST_CASE("include of a non-path is an error at the include", "[include]") {
    cfgtest::TempDir d("badinc");
    std::string f = d.write("top.yaml", "include:\n  nested: map\n");
    auto e = cfgtest::load_error(f);
    CHECK(e.line() == 2);
    CHECK(e.message().find("'include' expects a path or a list of paths") != std::string::npos);
}
