// Safe resume: the manifest records the resolved base config (includes expanded), the model
// and the dataset; a resume against changed inputs is refused naming the change, --force
// reruns exactly the points whose report no longer matches; collect checks every report;
// Slurm-style workers share a directory.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include "platform/sweep/SweepManifest.h"
#include "platform/sweep/SweepResults.h"
#include "test_sweep_support.h"

using namespace sweep_test;
using namespace sotsim::sweep;

namespace {
// A base whose tech numbers live in an included file, as in configs/.
void write_base_with_include(const TempDir& dir, const std::string& rows) {
    write_file(dir / "tech.yaml", "array:\n  rows: " + rows + "   # included\n");
    write_file(dir / "base.yaml", "include: tech.yaml\nsim:\n  seed: 42\n");
}
const std::string kSweep = "base: base.yaml\n" + kWorkload +
                           "parameters: {device.sigma_p: [0.1, 0.2]}\nseeds: 2\nmetrics: [accuracy.hardware, energy_J.total]\n";
}  // namespace

TEST_CASE("sweep resume: an edited include is refused naming the key, and --force reruns the changed points", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0");
    write_base_with_include(dir, "128");
    auto spec = load_text(dir, kSweep);
    expect_points(dir, spec);
    REQUIRE(run_sweep(spec, options(dir, 2)).ok == 4);
    const std::string first_csv = read_file(dir / "out/results.csv");

    // A comment-only edit leaves the resolved config as it was: the resume goes on.
    write_file(dir / "tech.yaml", "array:\n  rows: 128   # edited comment\n");
    CHECK(run_sweep(load_text(dir, kSweep), options(dir, 2, true)).skipped == 4);

    // A value edit in the included file changes every point's config.
    write_file(dir / "tech.yaml", "array:\n  rows: 256\n");
    spec = load_text(dir, kSweep);
    CHECK_THROWS_WITH(run_sweep(spec, options(dir, 2, true)),
                      Catch::Contains("inputs changed since this sweep started: the resolved base config") &&
                          Catch::Contains("array.rows: 128 -> 256") && Catch::Contains("--force"));
    CHECK(read_file(dir / "out/results.csv") == first_csv);   // nothing was touched

    // --force: the reports still show rows = 128, so all four run again, once each.
    expect_points(dir, spec);
    auto forced = options(dir, 2, true);
    forced.force = true;
    const auto s = run_sweep(spec, forced);
    CHECK(s.skipped == 0);
    CHECK(s.ok == 4);
    const std::string log = read_file(dir / "shared/runs.log");
    for (const auto& p : expand(spec)) CHECK(count_runs(log, p.id) == 2);
    for (const auto& row : csv_rows(dir / "out/results.csv"))
        if (row[0] != "device.sigma_p") CHECK(std::stod(row[3]) == Approx(256e-9));
    // The manifest now records the new inputs: a plain resume is accepted again.
    CHECK(run_sweep(spec, options(dir, 2, true)).skipped == 4);
}

TEST_CASE("sweep resume: a changed model file or sotsim version is named", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, kSweep);
    const Manifest a = make_manifest(spec, "digest-1");
    CHECK(describe_changes(a, a).empty());
    write_file(dir / "model.onnx", "another model\n");
    Manifest b = make_manifest(spec, "digest-2");
    const std::string d = describe_changes(a, b);
    CHECK_THAT(d, Catch::Contains("the model file " + spec.workload.model + " changed (sha256 "));
    CHECK_THAT(d, Catch::Contains("the dataset's samples changed"));
    for (auto& [k, v] : b.fields)
        if (k == "sotsim_version") v = "99.0";
    CHECK_THAT(describe_changes(a, b), Catch::Contains("sotsim version changed (" SOTSIM_VERSION " -> 99.0)"));
    // A manifest written before the resolved config was recorded is not trusted.
    Manifest old;
    old.fields = {{"base", spec.base}, {"base_sha", "123"}};
    CHECK_THAT(describe_changes(old, a), Catch::Contains("older sotsim"));
}

TEST_CASE("sweep collect: a report computed with another config is stale, never a result", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0");
    write_base_with_include(dir, "128");
    const auto spec = load_text(dir, kSweep);
    expect_points(dir, spec);
    REQUIRE(run_sweep(spec, options(dir, 2)).ok == 4);
    const auto pts = expand(spec);
    // Point 2's report replaced by point 0's (another sigma_p and seed): a mixed-up result.
    write_file(dir / ("out/points/" + pts[2].id + "/report.json"),
               read_file(dir / ("out/points/" + pts[0].id + "/report.json")));
    const auto s = collect_sweep(spec, options(dir, 1));
    CHECK(s.ok == 3);
    CHECK(s.failed == 1);
    const auto rows = csv_rows(dir / "out/results.csv");
    REQUIRE(rows.size() == 5);
    CHECK(rows[3][4] == "stale");
    CHECK_THAT(rows[3][5], Catch::Contains("stale result: its resolved config differs at device.sigma_p"));
    CHECK(rows[3][2].empty());   // no metric taken from it
    // A resume runs it again.
    const auto r = run_sweep(spec, options(dir, 2, true));
    CHECK(r.skipped == 3);
    CHECK(r.ok == 4);
}

TEST_CASE("sweep workers: disjoint --points shares in one directory, then collect", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0.2");
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
                                         "parameters: {device.sigma_p: [0.1, 0.2, 0.4], array.rows: [64, 999]}\n"
                                         "metrics: [accuracy.hardware]\n");
    expect_points(dir, spec);
    // A worker needs the manifest a submission writes.
    auto w = options(dir, 1);
    w.worker = true;
    w.only_points = parse_point_list("0-2", 6);
    CHECK_THROWS_WITH(run_sweep(spec, w), Catch::Contains("no sweep manifest"));
    ::mkdir((dir / "out").c_str(), 0755);
    write_manifest(dir / "out", make_manifest(spec, ""));

    // Two workers at once (as two array tasks), each on its own points.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto o = w;
        o.only_points = parse_point_list("3-5", 6);
        int code = 99;
        try {
            code = exit_status(run_sweep(spec, o));
        } catch (...) {
        }
        ::_exit(code);
    }
    const auto mine = run_sweep(spec, w);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);   // its share holds a failing point (rows 999)
    CHECK(mine.total == 3);
    CHECK_FALSE(exists(dir / "out/results.csv"));   // workers write point files only

    const auto s = collect_sweep(spec, options(dir, 1));
    CHECK(s.ok == 3);
    CHECK(s.failed == 3);
    const auto rows = csv_rows(dir / "out/results.csv");
    REQUIRE(rows.size() == 7);
    const auto pts = expand(spec);
    const std::string log = read_file(dir / "shared/runs.log");
    for (std::size_t i = 0; i < pts.size(); ++i) {
        CHECK(rows[i + 1][0] == pts[i].values[0]);
        CHECK(rows[i + 1][4] == (pts[i].values[1] == "64" ? "ok" : "failed"));
        if (pts[i].values[1] == "64") CHECK(count_runs(log, pts[i].id) == 1);
    }
    CHECK_THAT(rows[2][5], Catch::Contains("array.rows = 999 is rejected"));   // error from the .failed file

    // A worker started after the inputs changed refuses to run.
    write_file(dir / "base.yaml", "sim:\n  seed: 43\n");
    const auto changed = load_text(dir, "base: base.yaml\n" + kWorkload +
                                            "parameters: {device.sigma_p: [0.1, 0.2, 0.4], array.rows: [64, 999]}\n"
                                            "metrics: [accuracy.hardware]\n");
    CHECK_THROWS_WITH(run_sweep(changed, w), Catch::Contains("sim.seed: 42 -> 43"));
    CHECK_THROWS_WITH(collect_sweep(changed, options(dir, 1)), Catch::Contains("inputs changed"));
}
