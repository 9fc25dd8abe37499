// Simulated MVM throughput of phys::AnalogMacro::mvm relative to a plain Eigen float GEMM of
// the same logical shape (batch x rows times rows x cols), both measured in this binary.
//   sotsim_bench --benchmark_filter=Mvm
// Arguments: {input mode 0 = binary inputs, 1 = 4-bit bit-serial inputs; batch; IR drop
// 0 = off, 1 = exact}. Array 256 x 256, differential +-1 weights (128 logical columns),
// read noise 2 %, d2d 5 %, SAR ADC 5 bit, calibration on (programming and calibration are
// set-up, not timed). Counters: MACs/s = logical multiply-accumulates per second;
// gemm_MACs/s = the same for Eigen GEMM; slowdown = mvm time / GEMM time.
#include <benchmark/benchmark.h>

#include <ctime>

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

Config mvm_config(bool ir_drop) {
    Config c;
    c.array.rows = 256;
    c.array.cols = 256;
    c.array.weight_encoding = WeightEncoding::Differential;
    c.array.ir_drop = ir_drop ? IrDropMode::Exact : IrDropMode::Off;
    c.device.read_noise = 0.02;
    return c;
}

void BM_MacroMvm(benchmark::State& state) {
    const bool bit_serial = state.range(0) != 0;
    const int batch = static_cast<int>(state.range(1));
    const Config cfg = mvm_config(state.range(2) != 0);
    phys::BlockSpec spec;
    spec.rows = phys::AnalogMacro::logical_rows(cfg, 1);
    spec.cols = phys::AnalogMacro::logical_cols(cfg, 1);
    spec.weight_bits = 1;
    spec.input = bit_serial ? InputEncoding::BitSerial : InputEncoding::Binary;
    spec.input_bits = bit_serial ? 4 : 1;

    phys::Rng rng = phys::Rng::derive(3, 0, "bench_mvm");
    Eigen::MatrixXi w(spec.rows, spec.cols);
    for (int i = 0; i < w.rows(); ++i)
        for (int j = 0; j < w.cols(); ++j) w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
    const int maxv = (1 << spec.input_bits) - 1;
    Eigen::MatrixXf x(batch, spec.rows);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < spec.rows; ++i) x(b, i) = static_cast<float>(static_cast<int>(rng.uniform() * (maxv + 1)));

    phys::AnalogMacro macro(cfg, 0);
    ActionCounter setup;
    macro.program(w, spec, setup);
    const double t_gemm = gemm_seconds(x, w.cast<float>());

    ActionCounter ac;
    const double t0 = thread_cpu_seconds();
    for (auto _ : state) {
        phys::MvmResult r = macro.mvm(x, ac);
        benchmark::DoNotOptimize(r.y.data());
    }
    const double t_mvm = (thread_cpu_seconds() - t0) / static_cast<double>(state.iterations());
    const double macs = static_cast<double>(batch) * spec.rows * spec.cols;
    state.counters["MACs/s"] = benchmark::Counter(macs * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["gemm_MACs/s"] = macs / t_gemm;
    state.counters["slowdown"] = t_mvm / t_gemm;
    state.SetLabel(std::string(bit_serial ? "4-bit bit-serial" : "binary") + (state.range(2) ? ", IR drop exact" : ", IR drop off"));
}

}  // namespace

BENCHMARK(BM_MacroMvm)->ArgsProduct({{0, 1}, {1, 16, 256}, {0, 1}})->Unit(benchmark::kMicrosecond);

// Plain GEMM of the binary 256 x 128 logical shape, for reference.
static void BM_GemmReference(benchmark::State& state) {
    const int batch = static_cast<int>(state.range(0));
    const Eigen::MatrixXf x = Eigen::MatrixXf::Random(batch, 256), w = Eigen::MatrixXf::Random(256, 128);
    Eigen::MatrixXf y(batch, 128);
    for (auto _ : state) {
        y.noalias() = x * w;
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["MACs/s"] = benchmark::Counter(static_cast<double>(batch) * 256 * 128 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GemmReference)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond);
