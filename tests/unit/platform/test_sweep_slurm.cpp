// The Slurm backend's pieces that need no cluster: the slurm: section of a sweep file,
// point lists of array tasks, chunking, the job script, and the error without sbatch.
// tests/e2e/slurm_local.sh runs the backend against a real single-node cluster.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "platform/sweep/SlurmBackend.h"
#include "platform/sweep/SweepText.h"
#include "test_sweep_support.h"

using namespace sweep_test;
using namespace sotsim::sweep;

TEST_CASE("slurm: the slurm section of a sweep file", "[sweep]") {
    TempDir dir;
    const std::string head = "base: base.yaml\n" + kWorkload + "metrics: [accuracy.hardware]\n";   // lines 1-3
    const auto spec = load_text(dir, head +
        "slurm: {partition: gpu-short, time: \"1-02:30:00\", cpus_per_task: 4, mem: 8G, throttle: 20, chunk: 5,\n"
        "        sbatch_args: [--account=imc, --qos=low]}\n");
    CHECK(spec.slurm.partition == "gpu-short");
    CHECK(spec.slurm.time == "1-02:30:00");
    CHECK(spec.slurm.cpus_per_task == 4);
    CHECK(spec.slurm.mem == "8G");
    CHECK(spec.slurm.throttle == 20);
    CHECK(spec.slurm.chunk == 5);
    CHECK(spec.slurm.sbatch_args == std::vector<std::string>{"--account=imc", "--qos=low"});

    auto error = [&](const std::string& slurm) { return std::string(error_of(dir, head + slurm).what()); };
    CHECK_THAT(error("slurm: {partiton: a}\n"), Catch::Contains("sweep.yaml:4:9: error: unknown slurm key 'partiton' (did you mean 'partition'?)"));
    CHECK_THAT(error("slurm: {time: 90min}\n"), Catch::Contains(":4:15: error: slurm time limit '90min' is not in Slurm's format"));
    CHECK_THAT(error("slurm: {time: \"0:00\"}\n"), Catch::Contains("or is zero"));
    CHECK_THAT(error("slurm: {mem: 4GB}\n"), Catch::Contains(":4:14: error: slurm memory '4GB' is not in Slurm's format"));
    CHECK_THAT(error("slurm: {cpus_per_task: 0}\n"), Catch::Contains("slurm.cpus_per_task must be >= 1, got 0"));
    CHECK_THAT(error("slurm: {throttle: two}\n"), Catch::Contains("slurm.throttle must be an integer"));
    CHECK_THAT(error("slurm: {partition: \"a b\"}\n"), Catch::Contains("must be one partition name"));
    CHECK_THAT(error("slurm: {sbatch_args: --qos=low}\n"), Catch::Contains("slurm.sbatch_args must be a list"));
    CHECK_THAT(error("slurm: {sbatch_args: [--array=0-3]}\n"), Catch::Contains("is set by sotsim itself"));
    CHECK_THAT(error("slurm: {sbatch_args: [qos=low]}\n"), Catch::Contains("must be an option starting with '-'"));
    for (const char* ok : {"30", "30:00", "1:00:00", "2-00", "2-12:00", "2-12:00:00", "UNLIMITED"}) CHECK(check_slurm_time(ok).empty());
    for (const char* bad : {"", "1:2:3:4", "-1", "1-", "a:00", "0", "00:00:00"}) CHECK_FALSE(check_slurm_time(bad).empty());
}

TEST_CASE("slurm: point lists of array tasks", "[sweep]") {
    CHECK(parse_point_list("0-2,5,7-8", 10) == std::vector<std::size_t>{0, 1, 2, 5, 7, 8});
    CHECK(parse_point_list("4,2,2-3", 10) == std::vector<std::size_t>{2, 3, 4});
    CHECK(format_point_list({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8");
    CHECK(format_point_list({3}) == "3");
    CHECK(format_point_list(parse_point_list("0-99999", 100000)) == "0-99999");
    CHECK_THROWS_WITH(parse_point_list("0-10", 10), Catch::Contains("point 10 does not exist (the sweep has 10 points, 0-9)"));
    CHECK_THROWS_WITH(parse_point_list("5-2", 10), Catch::Contains("runs backwards"));
    CHECK_THROWS_WITH(parse_point_list("1,,2", 10), Catch::Contains("'' is not a point index"));
    CHECK_THROWS_WITH(parse_point_list("x", 10), Catch::Contains("'x' is not a point index"));
}

TEST_CASE("slurm: chunks keep the array within Slurm's default MaxArraySize", "[sweep]") {
    CHECK(choose_chunk(6, 0) == 1);
    CHECK(choose_chunk(1000, 0) == 1);
    CHECK(choose_chunk(1001, 0) == 2);
    CHECK(choose_chunk(100000, 0) == 100);
    CHECK(choose_chunk(100000, 7) == 7);
    for (std::size_t n : {1u, 999u, 1000u, 1001u, 54321u, 100000u}) {
        const std::size_t c = choose_chunk(n, 0);
        CHECK((n + c - 1) / c <= 1000);
    }
}

TEST_CASE("slurm: the array script runs the task's points with the same binary", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload + "metrics: [accuracy.hardware]\n");
    SlurmSettings s;
    s.partition = "short";
    s.time = "10:00";
    s.mem = "2G";
    s.cpus_per_task = 3;
    const std::string script = array_script(spec, s, "/opt/sotsim's/bin/sotsim", "/shared/out", "/shared/out/slurm/submit-1.tasks", "sotsim-x");
    CHECK(script.rfind("#!/bin/bash\n", 0) == 0);
    for (const char* line : {"#SBATCH --cpus-per-task=3\n", "#SBATCH --partition=short\n", "#SBATCH --time=10:00\n",
                             "#SBATCH --mem=2G\n", "set -euo pipefail\n"})
        CHECK_THAT(script, Catch::Contains(line));
    CHECK_THAT(script, Catch::Contains("sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '/shared/out/slurm/submit-1.tasks'"));
    // Quoted for the shell, the sweep file absolute, -j from the task's CPUs.
    CHECK_THAT(script, Catch::Contains("exec '/opt/sotsim'\\''s/bin/sotsim' sweep '" + dir / "sweep.yaml" +
                                       "' --points \"$points\" -o '/shared/out' -j \"${SLURM_CPUS_PER_TASK:-1}\" -q\n"));
}

TEST_CASE("slurm: without sbatch the backend is one clear error and nothing is written", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload + "metrics: [accuracy.hardware]\n");
    const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir / "empty-bin").c_str(), 1);
    SweepOptions o = options(dir, 1);
    CHECK_THROWS_WITH(submit_slurm(spec, o, spec.slurm, fake_runner()),
                      Catch::Contains("sbatch not found on PATH") && Catch::Contains("slurm-client"));
    ::setenv("PATH", old_path.c_str(), 1);
    CHECK_FALSE(exists(dir / "out"));
}
