// Simulated MVM throughput of phys::AnalogMacro::mvm relative to a plain Eigen float GEMM of
// the same logical shape (batch x rows times rows x logical cols), both measured in this
// binary (DESIGN.md §9).
//   sotsim_bench --benchmark_filter='MacroMvm|GemmReference' --benchmark_repetitions=3
// The reference GEMM is timed again in every run of a benchmark, right after the mvm()
// loop, so a ratio compares two timings taken under the same machine load.
// Arguments {inputs, N, batch, IR drop, read noise}:
//   inputs    0 = binary {0,1}, 1 = 4-bit bit-serial (4 input planes), 2 = 4-bit PWM;
//   N         array N x N (256 or 64), differential +-1 weights -> N/2 logical columns;
//   batch     input vectors per mvm() call (1, 64, 1024);
//   IR drop   0 = off, 1 = exact (cached transfer matrix);
//   noise     read noise 0 % or 2 %.
// Always: d2d 5 %, SAR ADC 5 bit per physical column, calibration on (programming and
// calibration are set-up, not timed; the programmed macro is cached per argument set so
// repetitions do not re-program it).
// Counters: MACs/s = logical multiply-accumulates per CPU second of mvm(); gemm_MACs/s =
// the same for the float GEMM; ratio = mvm CPU time / GEMM CPU time (the slowdown).
#include <benchmark/benchmark.h>

#include <ctime>
#include <map>
#include <memory>
#include <tuple>

#include "models/common/Actions.h"
#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"

namespace {

using namespace sotsim;

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// CPU seconds per call of a float GEMM of the given shape (repeated for >= 50 ms).
double gemm_seconds(const Eigen::MatrixXf& x, const Eigen::MatrixXf& w) {
    Eigen::MatrixXf y(x.rows(), w.cols());
    int calls = 0;
    const double t0 = thread_cpu_seconds();
    double t = t0;
    do {
        y.noalias() = x * w;
        benchmark::DoNotOptimize(y.data());
        ++calls;
        t = thread_cpu_seconds();
    } while (t - t0 < 0.05);
    return (t - t0) / calls;
}

enum Inputs { kBinary = 0, kBitSerial = 1, kPwm = 2 };

struct Fixture {
    phys::BlockSpec spec;
    Eigen::MatrixXf x;
    Eigen::MatrixXi w;
    std::unique_ptr<phys::AnalogMacro> macro;
    Eigen::MatrixXf wf;   // the logical weights as floats (reference GEMM operand)
};

Fixture& fixture(int inputs, int n, int batch, bool ir_drop, bool noise) {
    static std::map<std::tuple<int, int, int, bool, bool>, std::unique_ptr<Fixture>> cache;
    auto& slot = cache[{inputs, n, batch, ir_drop, noise}];
    if (slot) return *slot;
    slot = std::make_unique<Fixture>();
    Fixture& f = *slot;
    Config cfg;
    cfg.array.rows = n;
    cfg.array.cols = n;
    cfg.array.weight_encoding = WeightEncoding::Differential;
    cfg.array.ir_drop = ir_drop ? IrDropMode::Exact : IrDropMode::Off;
    cfg.device.read_noise = noise ? 0.02 : 0.0;
    f.spec.rows = phys::AnalogMacro::logical_rows(cfg, 1);
    f.spec.cols = phys::AnalogMacro::logical_cols(cfg, 1);
    f.spec.weight_bits = 1;
    f.spec.input = inputs == kBinary ? InputEncoding::Binary : inputs == kBitSerial ? InputEncoding::BitSerial : InputEncoding::Pwm;
    f.spec.input_bits = inputs == kBinary ? 1 : 4;

    phys::Rng rng = phys::Rng::derive(3, 0, "bench_mvm");
    f.w.resize(f.spec.rows, f.spec.cols);
    for (int i = 0; i < f.w.rows(); ++i)
        for (int j = 0; j < f.w.cols(); ++j) f.w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
    const int maxv = (1 << f.spec.input_bits) - 1;
    f.x.resize(batch, f.spec.rows);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < f.spec.rows; ++i) f.x(b, i) = static_cast<float>(static_cast<int>(rng.uniform() * (maxv + 1)));

    f.macro = std::make_unique<phys::AnalogMacro>(cfg, 0);
    ActionCounter setup;
    f.macro->program(f.w, f.spec, setup);
    f.wf = f.w.cast<float>();
    return f;
}

void BM_MacroMvm(benchmark::State& state) {
    const int inputs = static_cast<int>(state.range(0));
    const int n = static_cast<int>(state.range(1));
    const int batch = static_cast<int>(state.range(2));
    const bool ir_drop = state.range(3) != 0, noise = state.range(4) != 0;
    Fixture& f = fixture(inputs, n, batch, ir_drop, noise);

    ActionCounter ac;
    const double t0 = thread_cpu_seconds();
    for (auto _ : state) {
        phys::MvmResult r = f.macro->mvm(f.x, ac);
        benchmark::DoNotOptimize(r.y.data());
    }
    const double t_mvm = (thread_cpu_seconds() - t0) / static_cast<double>(state.iterations());
    // After the loop the benchmark's own timer has stopped: the GEMM is not counted in it.
    const double t_gemm = gemm_seconds(f.x, f.wf);
    const double macs = static_cast<double>(batch) * f.spec.rows * f.spec.cols;
    state.counters["MACs/s"] = benchmark::Counter(macs * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["gemm_MACs/s"] = macs / t_gemm;
    state.counters["ratio"] = t_mvm / t_gemm;
    static const char* names[] = {"binary", "4-bit bit-serial", "4-bit PWM"};
    state.SetLabel(std::string(names[inputs]) + ", " + std::to_string(n) + "x" + std::to_string(n) +
                   (ir_drop ? ", IR exact" : ", IR off") + (noise ? ", noise 2%" : ", noise 0"));
}

}  // namespace

BENCHMARK(BM_MacroMvm)
    ->ArgNames({"in", "N", "batch", "ir", "noise"})
    ->ArgsProduct({{kBinary, kBitSerial, kPwm}, {256, 64}, {1, 64, 1024}, {0, 1}, {0, 1}})
    ->MinTime(0.2)
    ->Unit(benchmark::kMicrosecond);

// Plain float GEMM of the logical binary-weight shapes, for reference.
static void BM_GemmReference(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
    const Eigen::MatrixXf x = Eigen::MatrixXf::Random(batch, n), w = Eigen::MatrixXf::Random(n, n / 2);
    Eigen::MatrixXf y(batch, n / 2);
    for (auto _ : state) {
        y.noalias() = x * w;
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["MACs/s"] = benchmark::Counter(static_cast<double>(batch) * n * (n / 2) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GemmReference)->ArgNames({"N", "batch"})->ArgsProduct({{256, 64}, {1, 64, 1024}})->Unit(benchmark::kMicrosecond);
