// Paired A/B timing of two versions of the exact IR-drop Schur reduction (bench/irdrop_ab.sh
// builds it: "old" is another revision's IrDropSchur.cpp compiled into namespace phys_old).
// One thread, thread CPU time, old and new alternated per repetition; prints the medians, the
// median of the per-repetition ratios new / old and max |dM| / max |M| between the two.
//   irdrop_ab N [reps=7] [which: 0 old, 1 new, 2 both]
// Cells: binary kOhm (5 kOhm / 12.5 kOhm at random), wires 2.5 / 7.6 Ohm, as in bench_irdrop.
#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <vector>
#include <random>
namespace sotsim::phys { Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd&, double, double, int); }
namespace sotsim::phys_old { Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd&, double, double, int); }
static double cpu() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 256, reps = argc > 2 ? std::atoi(argv[2]) : 7;
    const int which = argc > 3 ? std::atoi(argv[3]) : 2;   // 0 old only, 1 new only, 2 both
    std::mt19937_64 rng(5);
    Eigen::MatrixXd g(n, n);
    for (int i = 0; i < n; ++i) for (int j = 0; j < n; ++j) g(i, j) = 1.0 / ((rng() & 1) ? 5e3 : 12.5e3);
    std::vector<double> to, tn, ratio;
    Eigen::MatrixXd mo, mn;
    for (int r = 0; r < reps; ++r) {
        if (which != 1) { double t0 = cpu(); mo = sotsim::phys_old::ir_drop_transfer_schur(g, 1 / 2.5, 1 / 7.6, 1); to.push_back(cpu() - t0); }
        if (which != 0) { double t0 = cpu(); mn = sotsim::phys::ir_drop_transfer_schur(g, 1 / 2.5, 1 / 7.6, 1); tn.push_back(cpu() - t0); }
        if (which == 2) ratio.push_back(tn.back() / to.back());
    }
    auto med = [](std::vector<double> v) { if (v.empty()) return 0.0; std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
    std::printf("N=%d reps=%d old %.2f ms new %.2f ms ratio(median paired) %.3f", n, reps, 1e3 * med(to), 1e3 * med(tn), med(ratio));
    if (which == 2) std::printf(" max|dM|/max|M| %.2e", (mn - mo).cwiseAbs().maxCoeff() / mo.cwiseAbs().maxCoeff());
    std::printf("\n");
}
