// End-to-end host cost of a full chip run: configs/carletti_sot.yaml, the binary MLP
// workloads/models/mlp_bnn_mnist.onnx, 200 MNIST test digits through
// sotsim::app::run_on_chip (elaboration, weight programming, every MVM through the
// SystemC/TLM tile and macro models, accuracy bookkeeping incl. the float and quantized
// software references). Compared with plain float GEMMs of the same layer shapes
// (samples x positions rows) measured in this binary.
//
// SystemC elaborates once per process, so this benchmark runs exactly one iteration and
// must be selected alone (it would also clash with the interconnect benchmark's
// elaboration):
//   sotsim_bench --benchmark_filter=ChipRun
// Repeat by invoking the binary again (e.g. three times) and take the median.
// Counters: sim_MACs/s = network MACs of the 200 samples per wall second of run_on_chip;
// gemm_MACs/s = the same for the layer GEMMs; ratio = run time / GEMM time. The run goes in
// batches of 50 samples; steady_MACs/s and steady_ratio cover batches 2..4 only (timed
// between progress callbacks), i.e. inference without elaboration and weight programming
// (which with exact IR drop computes every macro's transfer matrix once).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "platform/config/ConfigLoader.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/data/Dataset.h"
#include "workloads/import/OnnxImporter.h"
#include "platform/app/Inference.h"

namespace {

using namespace sotsim;

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds for float GEMMs of every MVM layer's shape over `samples` inputs (min of 3).
double layer_gemm_seconds(const workloads::CompiledModel& cm, int samples) {
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
        double total = 0.0;
        for (const auto& l : cm.layers) {
            const Eigen::MatrixXf x = Eigen::MatrixXf::Random(static_cast<Eigen::Index>(samples * l.p), l.k);
            const Eigen::MatrixXf w = Eigen::MatrixXf::Random(l.k, l.n);
            Eigen::MatrixXf y(x.rows(), w.cols());
            const double t0 = wall_seconds();
            y.noalias() = x * w;
            benchmark::DoNotOptimize(y.data());
            total += wall_seconds() - t0;
        }
        best = std::min(best, total);
    }
    return best;
}

void run_chip(benchmark::State& state, int samples, int batch);

void BM_ChipRunMnistBnn(benchmark::State& state) {
    const int samples = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
    try {
        run_chip(state, samples, batch);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());  // e.g. MNIST not unpacked (scripts/setup.sh)
    }
}

void run_chip(benchmark::State& state, int samples, int batch) {
    const std::string src = SOTSIM_SOURCE_DIR;
    const Config cfg = config::load_config(src + "/configs/carletti_sot.yaml");
    const workloads::Network net = workloads::import_onnx(src + "/workloads/models/mlp_bnn_mnist.onnx");
    workloads::DatasetSpec spec;
    spec.name = "mnist";
    spec.split = "test";
    spec.samples = samples;
    const char* env = std::getenv("SOTSIM_DATA");
    spec.data_root = env && *env ? env : src + "/data";
    const workloads::Dataset ds = workloads::load_dataset(spec);
    workloads::AnalysisOptions ao;  // as `sotsim run`: the input domain from the data
    ao.input = workloads::scan_input_domain(ds.images, "mnist");
    const workloads::CompiledModel cm = workloads::compile_network(net, cfg, ao);
    const double t_gemm = layer_gemm_seconds(cm, samples);

    // Batches of `batch` samples: the progress callback after each batch timestamps the
    // steady state (batches 2..n run no weight programming, no elaboration).
    app::RunOptions opt;
    opt.max_batch = batch;
    std::vector<double> t_batch;
    opt.progress = [&](int, int) { t_batch.push_back(wall_seconds()); };
    app::RunOutcome out;
    double t_run = 0.0;
    for (auto _ : state) {
        const double t0 = wall_seconds();
        out = app::run_on_chip(cfg, net, cm, ds, opt);
        t_run = wall_seconds() - t0;
        state.SetIterationTime(t_run);
    }
    double macs_per_sample = 0.0;
    for (const auto& l : cm.layers) macs_per_sample += static_cast<double>(l.macs_per_sample);
    const double macs = macs_per_sample * samples;
    state.counters["sim_MACs/s"] = macs / t_run;
    state.counters["gemm_MACs/s"] = macs / t_gemm;
    state.counters["ratio"] = t_run / t_gemm;
    if (t_batch.size() >= 2 && out.info.batch > 0) {
        const double t_steady = t_batch.back() - t_batch.front();
        const double steady_samples = static_cast<double>(samples - out.info.batch);
        state.counters["steady_MACs/s"] = macs_per_sample * steady_samples / t_steady;
        state.counters["steady_ratio"] = t_steady / (t_gemm * steady_samples / samples);
    }
    state.counters["accuracy"] = out.info.accuracy_hardware.value_or(-1.0);
    state.counters["batch"] = out.info.batch;
    state.SetLabel("carletti_sot + mlp_bnn_mnist, " + std::to_string(samples) + " MNIST test digits, batch " +
                   std::to_string(out.info.batch));
}

}  // namespace

BENCHMARK(BM_ChipRunMnistBnn)->ArgNames({"samples", "batch"})->Args({200, 50})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
