// IR-drop transfer-matrix construction time vs array size: hierarchical Schur complements
// (the default) vs the reference sparse LDL^T with one solve per row.
//   sotsim_bench --benchmark_filter='IrDrop|Dgemm'
// Arguments: {array size N (N x N), cell class 0 = kOhm (R_P 5 kOhm, TMR 150 %),
// 1 = MOhm (R_P 3.1 MOhm, TMR 150 %)}. Wires: 2.5 Ohm row, 7.6 Ohm column segments
// (ArrayConfig defaults). BM_IrDropSchur/{N}/{cells}/{threads}: threads = 1 is the
// one-core figure (CPU time); with more threads the time is wall-clock (UseRealTime).
#include <benchmark/benchmark.h>

#include "models/physics/IrDropSchur.h"
#include "models/physics/IrDropSolver.h"
#include "models/physics/Rng.h"

namespace {

using sotsim::phys::IrDropMethod;

Eigen::MatrixXd binary_cells(int n, bool mohm) {
    const double r_p = mohm ? 3.1e6 : 5e3, r_ap = 2.5 * r_p;
    sotsim::phys::Rng rng = sotsim::phys::Rng::derive(5, 0, "bench_irdrop");
    Eigen::MatrixXd g(n, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) g(i, j) = 1.0 / (rng.uniform() < 0.5 ? r_p : r_ap);
    return g;
}

void run(benchmark::State& state, IrDropMethod method) {
    const int n = static_cast<int>(state.range(0));
    const bool mohm = state.range(1) != 0;
    const Eigen::MatrixXd g = binary_cells(n, mohm);
    for (auto _ : state) {
        Eigen::MatrixXd m = sotsim::phys::ir_drop_transfer_matrix(g, 2.5, 7.6, method);
        benchmark::DoNotOptimize(m.data());
    }
    state.SetLabel(mohm ? "MOhm cells" : "kOhm cells");
    state.counters["cells"] = static_cast<double>(n) * n;
}

void BM_IrDropSchur(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const bool mohm = state.range(1) != 0;
    const int threads = static_cast<int>(state.range(2));
    const Eigen::MatrixXd g = binary_cells(n, mohm);
    for (auto _ : state) {
        Eigen::MatrixXd m = sotsim::phys::ir_drop_transfer_schur(g, 1.0 / 2.5, 1.0 / 7.6, threads);
        benchmark::DoNotOptimize(m.data());
    }
    state.SetLabel(std::string(mohm ? "MOhm cells" : "kOhm cells") + ", " + std::to_string(threads) + " thread(s)");
    state.counters["cells"] = static_cast<double>(n) * n;
    // Dense flops of the reduction, ~45 N^3 (docs/performance.md): the achieved rate.
    state.counters["flop/s"] = benchmark::Counter(45.0 * n * n * static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
void BM_IrDropSparseLdlt(benchmark::State& state) { run(state, IrDropMethod::SparseLdlt); }

// The host's dense double rate in this binary (Eigen's GEMM, one thread, same flags as the
// reduction): what the Schur reduction's flop/s above is compared with.
void BM_DgemmReference(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n), b = Eigen::MatrixXd::Random(n, n);
    Eigen::MatrixXd c(n, n);
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(c.data());
    }
    state.counters["flop/s"] = benchmark::Counter(2.0 * n * n * static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_IrDropSchur)->ArgNames({"N", "mohm", "threads"})->ArgsProduct({{64, 128, 256, 512}, {0, 1}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IrDropSchur)->ArgNames({"N", "mohm", "threads"})->Args({1024, 0, 1})->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IrDropSchur)->ArgNames({"N", "mohm", "threads"})->ArgsProduct({{256, 1024}, {0}, {2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DgemmReference)->ArgName("N")->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);
// The reference method is O(N^4): 256 x 256 takes ~20 s, so one iteration there, none at 512.
BENCHMARK(BM_IrDropSparseLdlt)->ArgsProduct({{64, 128}, {0, 1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IrDropSparseLdlt)->Args({256, 0})->Iterations(1)->Unit(benchmark::kMillisecond);
