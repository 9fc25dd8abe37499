// Point expansion: grid and zip order and counts, seed derivation and stable point ids.
#include <catch2/catch.hpp>

#include <set>

#include "test_sweep_support.h"

using namespace sweep_test;
using namespace sotsim::sweep;

TEST_CASE("sweep points: grid is the cartesian product, first parameter slowest, seeds fastest", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters:\n  device.sigma_p: [0.0, 0.1, 0.2]\n  array.rows: [64, 128]\nseeds: 2\nmetrics: [a]\n");
    const auto pts = expand(spec);
    REQUIRE(pts.size() == 3 * 2 * 2);
    const char* sigma[] = {"0.0", "0.0", "0.0", "0.0", "0.1", "0.1", "0.1", "0.1", "0.2", "0.2", "0.2", "0.2"};
    const char* rows[] = {"64", "64", "128", "128", "64", "64", "128", "128", "64", "64", "128", "128"};
    for (std::size_t i = 0; i < pts.size(); ++i) {
        CHECK(pts[i].index == i);
        CHECK(pts[i].values == std::vector<std::string>{sigma[i], rows[i]});
        CHECK(pts[i].repeat == static_cast<int>(i % 2));
        CHECK(pts[i].seed == derive_seed(42, pts[i].repeat));
    }
}

TEST_CASE("sweep points: zip pairs values element-wise", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "mode: zip\nparameters:\n  device.sigma_p: [0.0, 0.1, 0.2]\n  array.rows: [64, 128, 256]\nseeds: 3\nmetrics: [a]\n");
    const auto pts = expand(spec);
    REQUIRE(pts.size() == 9);
    CHECK(pts[0].values == std::vector<std::string>{"0.0", "64"});
    CHECK(pts[4].values == std::vector<std::string>{"0.1", "128"});
    CHECK(pts[8].values == std::vector<std::string>{"0.2", "256"});
}

TEST_CASE("sweep points: no parameters gives one combination per seed", "[sweep]") {
    TempDir dir;
    const auto pts = expand(load_text(dir, "base: base.yaml\n" + kWorkload + "seeds: 4\nmetrics: [a]\n"));
    REQUIRE(pts.size() == 4);
    std::set<std::uint64_t> seeds;
    for (const auto& p : pts) seeds.insert(p.seed);
    CHECK(seeds.size() == 4);
}

TEST_CASE("sweep seeds: repeat 0 keeps the base seed, others are distinct 53-bit values", "[sweep]") {
    CHECK(derive_seed(42, 0) == 42);
    CHECK(derive_seed(0xFFFFFFFFFFFFFFFFull, 0) == 0xFFFFFFFFFFFFFFFFull);
    std::set<std::uint64_t> seen;
    for (std::uint64_t base = 0; base < 50; ++base)
        for (int k = 1; k < 50; ++k) {
            const std::uint64_t s = derive_seed(base, k);
            CHECK(s < (1ull << 53));
            seen.insert(s);
        }
    CHECK(seen.size() == 50u * 49u);   // no collisions among neighbouring bases and repeats
    // The documented formula: splitmix64(base + k * golden) & (2^53 - 1). Reference value
    // computed independently (Python: see docs/sweeps.md).
    CHECK(derive_seed(1, 1) == (0x910a2dec89025cc1ull & ((1ull << 53) - 1)));
}

TEST_CASE("sweep points: sim.seed as a parameter is the base of its repeats", "[sweep]") {
    TempDir dir;
    const auto pts = expand(load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters: {sim.seed: [7, 9]}\nseeds: 2\nmetrics: [a]\n"));
    REQUIRE(pts.size() == 4);
    CHECK(pts[0].seed == 7);
    CHECK(pts[1].seed == derive_seed(7, 1));
    CHECK(pts[2].seed == 9);
}

TEST_CASE("sweep points: ids are unique, zero-padded and stable across loads", "[sweep]") {
    TempDir dir;
    const std::string text = "base: base.yaml\n" + kWorkload +
        "parameters:\n  device.sigma_p: [0.0, 0.1]\n  array.rows: [64, 128]\nseeds: 2\nmetrics: [a]\n";
    const auto a = expand(load_text(dir, text));
    const auto b = expand(load_text(dir, text));
    std::set<std::string> ids;
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].id == b[i].id);
        CHECK(a[i].id.size() == 4 + 1 + 8);
        CHECK(a[i].id.substr(0, 4) == (i < 10 ? "000" : "00") + std::to_string(i));
        ids.insert(a[i].id);
    }
    CHECK(ids.size() == a.size());
    // Changing a value changes that point's id, so --resume never takes a stale result.
    const auto c = expand(load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters:\n  device.sigma_p: [0.0, 0.15]\n  array.rows: [64, 128]\nseeds: 2\nmetrics: [a]\n"));
    CHECK(c[0].id == a[0].id);
    CHECK(c[4].id != a[4].id);
}

TEST_CASE("sweep points: child command line", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n"
        "workload: {model: model.onnx, dataset: mnist, split: train, samples: 5}\nideal: true\n"
        "parameters: {device.r_p: [2.5 MOhm]}\nset: {array.rows: 64}\nmetrics: [a]\n");
    const auto pts = expand(spec);
    const auto args = runner_arguments(spec, pts[0], "/out/p.tmp");
    const std::vector<std::string> expect = {
        "run", "-c", dir / "base.yaml", "--set", "array.rows=64", "--set", "device.r_p=2.5 MOhm",
        "--seed", "42", "-w", dir / "model.onnx", "--dataset", "mnist", "--split", "train",
        "--samples", "5", "--ideal", "-o", "/out/p.tmp", "-q"};
    CHECK(args == expect);
}
