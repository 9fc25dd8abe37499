// Collect time of a large sweep: `sotsim sweep --collect` over 10^4 point directories, the
// step that builds results.csv after a Slurm array (docs/sweeps.md, "Scale").
//
// Set-up: one real `sotsim run` point (configs/myung_72macro.yaml, the binary MLP, 100 MNIST
// digits) gives a real report.json (about 180 kB: every macro's statistics); it is copied
// into 10^4 point directories of a 100 x 100-seed sweep, each with that point's own resolved
// config embedded, so the collect's per-point checks all pass as they would after a real
// run. Timed: collect_sweep (list, per point: its resolved config from the config loader,
// parse of its report, comparison, metrics; then results.csv). Counters split the time into
// the config loading alone and the rest.
//
// The set-up elaborates the SystemC chip once, so select this benchmark alone:
//   sotsim_bench --benchmark_filter=SweepCollect
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/app/Command.h"
#include "platform/report/Json.h"
#include "platform/sweep/Sweep.h"
#include "platform/sweep/SweepFs.h"
#include "platform/sweep/SweepManifest.h"
#include "platform/sweep/SweepResults.h"

namespace {

using namespace sotsim;

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void BM_SweepCollect(benchmark::State& state) {
    const int values = 100;
    const int seeds = static_cast<int>(state.range(0)) / values;
    char tmpl[] = "/tmp/sotsim_bench_collect_XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string src = SOTSIM_SOURCE_DIR;
    std::string yaml = "base: " + src + "/configs/myung_72macro.yaml\n"
                       "workload: {model: " + src + "/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, samples: 100}\n"
                       "parameters:\n  device.sigma_p: [";
    for (int i = 0; i < values; ++i) yaml += (i ? ", " : "") + std::to_string(0.001 * (i + 1));
    yaml += "]\nseeds: " + std::to_string(seeds) + "\nmetrics: [accuracy.hardware, energy_J.total, tops_per_w]\n";
    std::ofstream(dir + "/sweep.yaml") << yaml;
    const sweep::SweepSpec spec = sweep::load_sweep(dir + "/sweep.yaml");
    const std::vector<sweep::SweepPoint> points = sweep::expand(spec);

    // One real point gives the report every synthetic point is made from.
    const std::string first = dir + "/first";
    std::vector<std::string> run_args = sweep::runner_arguments(spec, points[0], first);
    run_args.erase(run_args.begin());   // "run": cmd_run takes what follows the command name
    if (app::cmd_run(run_args) != 0) {
        state.SkipWithError("the template run failed");
        return;
    }
    nlohmann::json report = nlohmann::json::parse(sweep::read_text(first + "/report.json"));
    const std::string out = dir + "/out";
    sweep::make_dirs(out + "/points");
    for (const auto& p : points) {
        report["config"] = nlohmann::json::parse(report::json_from_yaml(sweep::point_config_yaml(spec, p)).dump(-1));
        sweep::make_dirs(out + "/points/" + p.id);
        std::ofstream(out + "/points/" + p.id + "/report.json") << report.dump(2);
    }
    sweep::write_manifest(out, sweep::make_manifest(spec, ""));

    sweep::SweepOptions opt;
    opt.out_dir = out;
    opt.quiet = true;
    opt.runner_exe = "/bin/true";
    double collect_s = 0.0, config_s = 0.0;
    std::size_t ok = 0;
    for (auto _ : state) {
        const double t0 = now_s();
        ok = sweep::collect_sweep(spec, opt).ok;
        collect_s = now_s() - t0;
        const double t1 = now_s();
        for (const auto& p : points) benchmark::DoNotOptimize(sweep::point_config_yaml(spec, p));
        config_s = now_s() - t1;
    }
    state.counters["points"] = static_cast<double>(points.size());
    state.counters["ok"] = static_cast<double>(ok);
    state.counters["collect_s"] = collect_s;
    state.counters["ms_per_point"] = 1e3 * collect_s / static_cast<double>(points.size());
    state.counters["config_load_s"] = config_s;
    state.counters["report_bytes"] = static_cast<double>(report.dump(2).size());
    sweep::remove_tree(dir);
}
BENCHMARK(BM_SweepCollect)->Arg(10000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
