// Running sweeps with a fake `sotsim run` (tests/data/sweep/fake_runner.sh) whose metrics are
// known functions of its arguments: results.csv content, failure recording, parallelism,
// --resume and interruption by SIGINT.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <thread>

#include "platform/sweep/SweepResults.h"
#include "test_sweep_support.h"

using namespace sweep_test;
using namespace sotsim::sweep;


TEST_CASE("sweep run: results.csv holds parameters, seed, metrics and failures in point order", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0");
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters:\n  device.sigma_p: [0.1, 0.3]\n  array.rows: [64, 999, 998]\n"
        "metrics: [accuracy.hardware, energy_J.total, tops_per_w, missing.metric]\n");
    expect_points(dir, spec);
    const auto summary = run_sweep(spec, options(dir, 3));
    CHECK(summary.total == 6);
    CHECK(summary.ok == 2);
    CHECK(summary.failed == 4);
    CHECK_FALSE(summary.interrupted);
    CHECK(exit_status(summary) == 1);

    const auto rows = csv_rows(dir / "out/results.csv");
    REQUIRE(rows.size() == 7);
    // Units from the schema (array.rows is a count, sigma a fraction) and the report.
    CHECK(rows[0] == std::vector<std::string>{"device.sigma_p", "array.rows", "seed", "accuracy.hardware",
                                              "energy_J.total [J]", "tops_per_w [TOPS/W]", "missing.metric",
                                              "status", "error"});
    const auto pts = expand(spec);
    for (std::size_t i = 0; i < 6; ++i) {
        const auto& r = rows[i + 1];
        INFO("row " << i);
        REQUIRE(r.size() == 9);
        CHECK(r[0] == pts[i].values[0]);
        CHECK(r[1] == pts[i].values[1]);
        CHECK(r[2] == "42");
        const std::string rows_value = pts[i].values[1];
        if (rows_value == "64") {
            CHECK(std::stod(r[3]) == Approx(1.0 - std::stod(pts[i].values[0])));
            CHECK(std::stod(r[4]) == Approx(64e-9));   // the "value" member of {value, unit}
            CHECK(r[5] == "42");
            CHECK(r[6].empty());
            CHECK(r[7] == "ok");
            CHECK(r[8] == "metric missing.metric not in report");
            CHECK(exists(dir / ("out/points/" + pts[i].id + "/report.json")));
            CHECK(exists(dir / ("out/points/" + pts[i].id + "/log.txt")));
        } else if (rows_value == "999") {
            CHECK(r[7] == "failed");
            CHECK(r[8] == "error: array.rows = 999 is rejected by the fake runner");
            const std::string failed = read_file(dir / ("out/points/" + pts[i].id + ".failed"));
            CHECK(failed.rfind("error: array.rows = 999 is rejected by the fake runner\n", 0) == 0);
            CHECK(failed.find("fake run: rows=999") != std::string::npos);   // the log is kept
            CHECK_FALSE(exists(dir / ("out/points/" + pts[i].id)));
        } else {
            CHECK(r[7] == "failed");
            CHECK(r[8].rfind("exited without writing report.json", 0) == 0);
        }
    }
    // No temporary directories survive.
    CHECK(attempt_dirs(dir / "out/points").empty());
}

TEST_CASE("sweep run: -j bounds the number of concurrent points", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0.4");
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters: {array.rows: [1, 2, 3, 4, 5, 6]}\nmetrics: [concurrency]\n");
    expect_points(dir, spec);
    const auto t0 = std::chrono::steady_clock::now();
    const auto summary = run_sweep(spec, options(dir, 3));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(summary.ok == 6);
    int max_conc = 0;
    for (std::size_t i = 1; i < 7; ++i) max_conc = std::max(max_conc, std::stoi(csv_rows(dir / "out/results.csv")[i][2]));
    CHECK(max_conc <= 3);
    CHECK(max_conc >= 2);
    // 6 points of 0.4 s on 3 slots: two waves, far below the 2.4 s of running them serially.
    CHECK(seconds < 2.0);
}

TEST_CASE("sweep run: an existing output directory needs --resume; --resume runs only missing points", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0");
    const std::string head = "base: base.yaml\n" + kWorkload + "metrics: [accuracy.hardware]\n";
    auto spec = load_text(dir, head + "parameters: {device.sigma_p: [0.1, 0.2], array.rows: [64, 999]}\n");
    expect_points(dir, spec);
    auto first = run_sweep(spec, options(dir, 2));
    CHECK(first.ok == 2);
    CHECK(first.failed == 2);
    CHECK_THROWS_WITH(run_sweep(spec, options(dir, 2)), Catch::Contains("use --resume"));

    // Extend the sweep: the two finished points are kept, failed ones retried, new ones run.
    spec = load_text(dir, head + "parameters: {device.sigma_p: [0.1, 0.2, 0.4], array.rows: [64, 999]}\n");
    expect_points(dir, spec);
    const auto second = run_sweep(spec, options(dir, 2, true));
    CHECK(second.total == 6);
    CHECK(second.skipped == 2);
    CHECK(second.ok == 3);
    CHECK(second.failed == 3);
    const std::string log = read_file(dir / "shared/runs.log");
    for (const auto& p : expand(spec))
        if (p.values[1] == "64") CHECK(count_runs(log, p.id) == 1);
    const auto rows = csv_rows(dir / "out/results.csv");
    REQUIRE(rows.size() == 7);
    CHECK(std::stod(rows[5][3]) == Approx(0.6));

    // A resume with another workload would mix results: refused.
    spec = load_text(dir, "base: base.yaml\nworkload: {model: model.onnx, dataset: mnist, samples: 11}\n"
                          "metrics: [accuracy.hardware]\nparameters: {device.sigma_p: [0.1]}\n");
    CHECK_THROWS_WITH(run_sweep(spec, options(dir, 2, true)),
                      Catch::Contains("inputs changed since this sweep started: samples changed (10 -> 11)"));
}

TEST_CASE("sweep run: SIGINT keeps finished points, and a resumed sweep has each point exactly once", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0.2");
    // 0.3 is the slow value: those points are still running when the signal arrives.
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
        "parameters: {device.sigma_p: [0.1, 0.3, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}\nmetrics: [accuracy.hardware]\n"
        "mode: zip\n");
    expect_points(dir, spec);
    ::setenv("SWEEP_FAKE_SLOW", "5", 1);
    const auto pts = expand(spec);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 99;
        try {
            code = exit_status(run_sweep(spec, options(dir, 2)));
        } catch (...) {
        }
        ::_exit(code);
    }
    // Wait for the first finished point, then interrupt while the slow ones run.
    const std::string first = dir / ("out/points/" + pts[0].id + "/report.json");
    for (int i = 0; i < 500 && !exists(first); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(::kill(child, SIGINT) == 0);
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(::waitpid(child, &status, 0) == child);
    const double stop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(stop_seconds < 2.0);   // the 5 s point was stopped, not waited for

    const auto interrupted = csv_rows(dir / "out/results.csv");
    CHECK(interrupted.size() >= 2);      // header + at least the first point
    CHECK(interrupted.size() < 9);       // not everything ran
    CHECK(attempt_dirs(dir / "out/points").empty());
    for (const auto& p : pts) CHECK_FALSE(exists(dir / ("out/points/" + p.id + ".failed")));

    ::setenv("SWEEP_FAKE_SLOW", "0", 1);
    const auto resumed = run_sweep(spec, options(dir, 2, true));
    CHECK(resumed.ok == 8);
    CHECK(resumed.skipped + 1 >= interrupted.size());
    CHECK_FALSE(resumed.interrupted);
    const auto rows = csv_rows(dir / "out/results.csv");
    REQUIRE(rows.size() == 9);
    const std::string log = read_file(dir / "shared/runs.log");
    for (std::size_t i = 0; i < pts.size(); ++i) {
        INFO(pts[i].id);
        CHECK(count_runs(log, pts[i].id) == 1);   // each point completed exactly once
        CHECK(rows[i + 1][0] == pts[i].values[0]);
        CHECK(std::stod(rows[i + 1][2]) == Approx(1.0 - std::stod(pts[i].values[0])));
        CHECK(rows[i + 1][3] == "ok");
    }
}

TEST_CASE("sweep run: a missing runner is a usage error", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload + "metrics: [a]\n");
    auto o = options(dir, 1);
    o.runner_exe = dir / "no_such_sotsim";
    CHECK_THROWS_AS(run_sweep(spec, o), SweepError);
}

TEST_CASE("sweep results: metrics from report.json: nesting, {value, unit}, null, objects", "[sweep]") {
    TempDir dir;
    write_file(dir / "report.json",
               "{\"accuracy\": {\"hardware\": 0.9123, \"float_reference\": null},\n"
               " \"macro_peak\": {\"energy_per_mvm\": {\"value\": 1.5e-12, \"unit\": \"J\"}},\n"
               " \"energy_J\": {\"breakdown\": {\"adc\": 1}}, \"tops_per_w\": 12.5,\n"
               " \"components\": {\"t\": {\"stats\": {\"busy\": {\"value\": 2, \"unit\": \"s\"}}}}}\n");
    const auto r = read_report(dir / "report.json", {"accuracy.hardware", "macro_peak.energy_per_mvm",
                                                     "accuracy.float_reference", "energy_J.breakdown",
                                                     "tops_per_w", "no.such", "components.t.stats.busy"});
    CHECK(r.status == PointStatus::Ok);
    CHECK(r.metrics == std::vector<std::string>{"0.9123", "1.5e-12", "", "", "12.5", "", "2"});
    // Units: a quantity's own, else the figure table's, else none.
    CHECK(r.units == std::vector<std::string>{"", "J", "", "", "TOPS/W", "", "s"});
    CHECK(r.error == "metric accuracy.float_reference is null in report; metric energy_J.breakdown is not a "
                     "single value; metric no.such not in report");
    write_file(dir / "bad.json", "{\"accuracy\": {\"hardware\": 0.9");
    CHECK(read_report(dir / "bad.json", {"accuracy.hardware"}).status == PointStatus::Failed);
}
