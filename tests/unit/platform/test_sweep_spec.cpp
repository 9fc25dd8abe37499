// Sweep file parsing: what a valid file yields, and one test per class of error, each
// checking the FILE:LINE:COL position of the offending node.
#include <catch2/catch.hpp>

#include "test_sweep_support.h"

using namespace sweep_test;
using sotsim::sweep::SweepMode;

TEST_CASE("sweep file: a valid file is parsed with resolved paths and SI values", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir,
        "base: base.yaml\n" + kWorkload +
        "ideal: true\n"
        "mode: grid\n"
        "parameters:\n"
        "  device.sigma_p: [0.0, 0.05, 0.1]\n"
        "  device.r_p: [\"2.5 MOhm\", 10 kOhm]\n"
        "seeds: 3\n"
        "metrics: [accuracy.hardware, energy_J.total, tops_per_w]\n"
        "set: {array.rows: 128}\n");
    CHECK(spec.base == dir / "base.yaml");
    CHECK(spec.workload.model == dir / "model.onnx");
    CHECK(spec.workload.dataset == "mnist");
    CHECK(spec.workload.samples == 10);
    CHECK(spec.ideal);
    CHECK(spec.mode == SweepMode::Grid);
    CHECK(spec.seeds == 3);
    CHECK(spec.base_seed == 42);
    REQUIRE(spec.parameters.size() == 2);
    CHECK(spec.parameters[0].key == "device.sigma_p");
    CHECK(spec.parameters[1].key == "device.r_p");
    CHECK(spec.parameters[1].values[0].text == "2.5 MOhm");
    CHECK(std::stod(spec.parameters[1].values[0].csv) == Approx(2.5e6));
    CHECK(std::stod(spec.parameters[1].values[1].csv) == Approx(1e4));
    CHECK(spec.parameters[0].values[2].csv == "0.1");
    CHECK(spec.metrics == std::vector<std::string>{"accuracy.hardware", "energy_J.total", "tops_per_w"});
    CHECK(spec.set == std::vector<std::string>{"array.rows=128"});
}

TEST_CASE("sweep file: quantities appear in the CSV as the exact SI value the point runs with", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters:\n  device.t_pulse: [90 ns, 2e-9]\n  device.sigma_p: [15 %]\n  array.ir_drop: [exact, \"off\"]\n"
        "metrics: [a]\n");
    CHECK(spec.parameters[0].values[0].csv == "9e-08");
    CHECK(spec.parameters[0].values[1].csv == "2e-9");   // plain numbers as written
    CHECK(spec.parameters[1].values[0].csv == "0.15");
    CHECK(spec.parameters[2].values[0].csv == "exact");
    CHECK(spec.parameters[2].values[1].csv == "off");
}

TEST_CASE("sweep file: defaults and absolute paths", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir,
        "base: " + (dir / "base.yaml") + "\n"
        "workload: {model: " + (dir / "model.onnx") + ", dataset: fashion-mnist, samples: 3}\n"
        "parameters: {array.rows: [64]}\n"
        "metrics: [accuracy.hardware]\n");
    CHECK(spec.mode == SweepMode::Grid);
    CHECK(spec.seeds == 1);
    CHECK_FALSE(spec.ideal);
    CHECK(spec.workload.split == "test");
    CHECK(spec.workload.dataset == "fashion-mnist");
    CHECK(spec.base == dir / "base.yaml");
}

namespace {
void check_error(const TempDir& dir, const std::string& yaml, int line, int col, const std::string& fragment) {
    const auto e = error_of(dir, yaml);
    INFO(e.what());
    CHECK(e.file() == dir / "sweep.yaml");
    CHECK(e.line() == line);
    CHECK(e.col() == col);
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    const std::string where = line > 0 ? ":" + std::to_string(line) + ":" + std::to_string(col) : "";
    CHECK(std::string(e.what()).rfind(dir / "sweep.yaml" + where + ": error: ", 0) == 0);
}
const std::string kHead = "base: base.yaml\n" + kWorkload;   // lines 1-2
}  // namespace

TEST_CASE("sweep file errors: unknown keys with did-you-mean", "[sweep]") {
    TempDir dir;
    check_error(dir, kHead + "metrics: [a]\nparamters: {array.rows: [1]}\n", 4, 1, "did you mean 'parameters'");
    check_error(dir, "base: base.yaml\nworkload: {model: model.onnx, dataset: mnist, sample: 3}\nmetrics: [a]\n",
                2, 47, "did you mean 'samples'");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  device.sigma_pp: [0.1]\n", 5, 3,
                "unknown config key 'device.sigma_pp' (did you mean 'device.sigma_p'?)");
    check_error(dir, kHead + "metrics: [a]\nset: {array.rowz: 3}\n", 4, 7, "did you mean 'array.rows'");
}

TEST_CASE("sweep file errors: wrong types and values", "[sweep]") {
    TempDir dir;
    check_error(dir, kHead + "metrics: [a]\nseeds: two\n", 4, 8, "seeds must be an integer");
    check_error(dir, kHead + "metrics: [a]\nseeds: 0\n", 4, 8, "seeds must be >= 1");
    check_error(dir, kHead + "metrics: [a]\nmode: diagonal\n", 4, 7, "mode must be 'grid' or 'zip'");
    check_error(dir, kHead + "metrics: [a]\nideal: maybe\n", 4, 8, "true or false");
    check_error(dir, kHead + "metrics: accuracy\n", 3, 10, "metrics must be a list");
    check_error(dir, kHead + "metrics: [a, a]\n", 3, 14, "duplicate metric");
    check_error(dir, kHead + "metrics: [a..b]\n", 3, 11, "dotted path");
    check_error(dir, "base: base.yaml\nworkload: {model: model.onnx, dataset: cifar, samples: 3}\nmetrics: [a]\n",
                2, 40, "dataset must be 'mnist'");
    check_error(dir, "base: base.yaml\nworkload: {model: model.onnx, dataset: mnist, split: dev, samples: 3}\nmetrics: [a]\n",
                2, 54, "split must be test, train or all");
    check_error(dir, "base: base.yaml\nworkload: {model: model.onnx, dataset: mnist, samples: -5}\nmetrics: [a]\n",
                2, 56, "samples must be > 0");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  array.rows: 128\n", 5, 15, "needs a list of values");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  array.rows: [128, [1]]\n", 5, 21, "must be a single value");
}

TEST_CASE("sweep file errors: missing sections, missing files and empty lists", "[sweep]") {
    TempDir dir;
    check_error(dir, kWorkload + "metrics: [a]\n", 1, 1, "missing 'base'");
    check_error(dir, "base: base.yaml\nmetrics: [a]\n", 1, 1, "missing 'workload'");
    check_error(dir, kHead, 1, 1, "missing 'metrics'");
    check_error(dir, "base: nothere.yaml\n" + kWorkload + "metrics: [a]\n", 1, 7, "base config 'nothere.yaml' not found");
    check_error(dir, "base: base.yaml\nworkload: {model: m.onnx, dataset: mnist, samples: 3}\nmetrics: [a]\n",
                2, 19, "model 'm.onnx' not found");
    check_error(dir, kHead + "metrics: []\n", 3, 10, "metrics list is empty");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  array.rows: []\n", 5, 15, "empty value list");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  array.rows: [1, 1]\n", 5, 19, "duplicate value");
}

TEST_CASE("sweep file errors: parameter values are checked against the config schema", "[sweep]") {
    TempDir dir;
    // A frequency where a resistance is expected, at the value's own position.
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  device.r_p: [1 MOhm, 3 MHz]\n", 5, 24, "device.r_p = 3 MHz");
    check_error(dir, kHead + "metrics: [a]\nparameters:\n  array.rows: [64, -3]\n", 5, 20, "array.rows = -3");
    check_error(dir, kHead + "metrics: [a]\nset:\n  array.rows: lots\n", 5, 15, "set array.rows = lots");
    check_error(dir, kHead + "metrics: [a]\nset: {array.rows: 64}\nparameters: {array.rows: [1, 2]}\n", 5, 14,
                "both swept and fixed");
}

TEST_CASE("sweep file errors: zip lists of unequal length", "[sweep]") {
    TempDir dir;
    check_error(dir, kHead + "metrics: [a]\nmode: zip\nparameters:\n  device.sigma_p: [0.1, 0.2]\n  array.rows: [64, 128, 256]\n",
                7, 3, "'array.rows' has 3 values, 'device.sigma_p' has 2");
}

TEST_CASE("sweep file errors: YAML syntax, empty and unreadable files", "[sweep]") {
    TempDir dir;
    const auto e = error_of(dir, "base: base.yaml\nworkload: {model: [\n");
    CHECK(e.file() == dir / "sweep.yaml");
    CHECK(e.line() >= 2);
    check_error(dir, "", 0, 0, "sweep file is empty");
    try {
        sotsim::sweep::load_sweep(dir / "missing.yaml");
        FAIL("no error");
    } catch (const sotsim::config::ConfigError& err) {
        CHECK(std::string(err.what()) == dir / "missing.yaml" + ": error: cannot read sweep file: no such file");
    }
}

TEST_CASE("sweep file errors: a grid beyond the point limit is refused before any value is checked", "[sweep]") {
    TempDir dir;
    // 8 keys x 10 values = 1e8 points. The values are not valid config values: the count is
    // checked first, so the error is about the size, not about a value.
    std::string yaml = "base: base.yaml\n" + kWorkload + "metrics: [a]\nparameters:\n";
    for (const char* k : {"device.sigma_p", "device.sigma_ap", "array.rows", "array.cols", "sim.seed",
                          "periphery.adc.bits", "periphery.input.bits", "device.read_noise"})
        yaml += std::string("  ") + k + ": [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9]\n";
    const auto e = error_of(dir, yaml);
    CHECK(std::string(e.what()) ==
          dir / "sweep.yaml" + ":5:3: error: the sweep expands to 100000000 points (10 x 10 x 10 x 10 x 10 x 10 x 10 x 10 "
                               "values x 1 seeds), more than the limit of 100000 (sotsim sweep --max-points N raises it)");
    // Seeds multiply; a zip counts its (common) list length once.
    const std::string two = "base: base.yaml\n" + kWorkload + "metrics: [a]\nparameters: {array.rows: [64, 128]}\n";
    write_file(dir / "s.yaml", two + "seeds: 3\n");
    std::string limited;
    try {
        sotsim::sweep::load_sweep(dir / "s.yaml", 5);
    } catch (const sotsim::config::ConfigError& err) {
        limited = err.what();
    }
    CHECK_THAT(limited, Catch::Matchers::Contains("expands to 6 points (2 values x 3 seeds), more than the limit of 5"));
    CHECK(sotsim::sweep::load_sweep(dir / "s.yaml", 6).max_points == 6);
    write_file(dir / "z.yaml", two + "mode: zip\n");
    CHECK(sotsim::sweep::load_sweep(dir / "z.yaml", 2).parameters.size() == 1);
    // 100 keys x 100 values: the product saturates instead of wrapping.
    std::string huge = "base: base.yaml\n" + kWorkload + "metrics: [a]\nparameters:\n";
    std::string values = "[";
    for (int v = 0; v < 100; ++v) values += (v ? ", " : "") + std::to_string(v);
    for (int k = 0; k < 100; ++k) huge += "  k" + std::to_string(k) + ": " + values + "]\n";
    CHECK_THAT(std::string(error_of(dir, huge).what()), Catch::Matchers::Contains("expands to more than 2^64 points"));
}
