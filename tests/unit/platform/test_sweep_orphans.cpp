// No orphans: a sweep killed with SIGKILL takes its running points with it, and nothing a
// dead sweep started can reappear in the output directory; -o at a file is its own error.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "test_sweep_support.h"

using namespace sweep_test;
using namespace sotsim::sweep;

namespace {
std::vector<pid_t> running_fakes(const std::string& shared) {
    std::vector<pid_t> pids;
    if (DIR* d = ::opendir(shared.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n.rfind("running.", 0) == 0) pids.push_back(static_cast<pid_t>(std::stol(n.substr(8))));
        }
        ::closedir(d);
    }
    return pids;
}
}  // namespace

TEST_CASE("sweep orphans: kill -9 of the sweep leaves no point running, and a resume runs each point once", "[sweep]") {
    TempDir dir;
    ::mkdir((dir / "shared").c_str(), 0755);
    FakeEnv env(dir / "shared", "0");
    ::setenv("SWEEP_FAKE_SLOW", "3", 1);
    // 0.3 is the slow value: two such points run when the sweep is killed.
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload +
                                         "parameters: {device.sigma_p: [0.3, 0.3, 0.1, 0.2]}\nmode: zip\n"
                                         "metrics: [accuracy.hardware]\n");
    expect_points(dir, spec);
    const pid_t sweep = ::fork();
    REQUIRE(sweep >= 0);
    if (sweep == 0) {
        try {
            run_sweep(spec, options(dir, 2));
        } catch (...) {
        }
        ::_exit(0);
    }
    std::vector<pid_t> workers;
    for (int i = 0; i < 500 && workers.size() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        workers = running_fakes(dir / "shared");
    }
    REQUIRE(workers.size() == 2);
    REQUIRE(::kill(sweep, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(sweep, &status, 0) == sweep);
    // The kernel delivers the children's parent-death signal as the sweep dies.
    for (int i = 0; i < 200 && (alive(workers[0]) || alive(workers[1])); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (pid_t w : workers) CHECK_FALSE(alive(w));
    // Had a worker survived, it would have written its report by now.
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    CHECK_FALSE(exists(dir / "shared/runs.log"));
    for (const auto& a : attempt_dirs(dir / "out/points")) CHECK_FALSE(exists(dir / ("out/points/" + a + "/report.json")));

    ::setenv("SWEEP_FAKE_SLOW", "0", 1);
    const auto resumed = run_sweep(spec, options(dir, 2, true));
    CHECK(resumed.ok == 4);
    CHECK(attempt_dirs(dir / "out/points").empty());   // the killed sweep's leftovers are gone
    const std::string log = read_file(dir / "shared/runs.log");
    for (const auto& p : expand(spec)) CHECK(count_runs(log, p.id) == 1);
    CHECK(csv_rows(dir / "out/results.csv").size() == 5);
}

TEST_CASE("sweep orphans: -o naming a regular file is its own error", "[sweep]") {
    TempDir dir;
    const auto spec = load_text(dir, "base: base.yaml\n" + kWorkload + "metrics: [a]\n");
    write_file(dir / "out", "a file\n");
    CHECK_THROWS_WITH(run_sweep(spec, options(dir, 1)), Catch::Contains("out: exists and is not a directory"));
    CHECK(read_file(dir / "out") == "a file\n");
}
