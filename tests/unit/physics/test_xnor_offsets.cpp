// XNOR resistance-summation columns: the array rows a block leaves unused stay in the series
// path with their own device-to-device spread (a static offset per column), and the
// measured calibration removes static column offsets from calibration vectors read through
// the same quantised counter. Expectations are analytic (variances of the lognormal cells,
// the die-shift transfer), never figures of the code.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"
#include "JungXnorColumn.h"
#include "RandomPm1.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

using testdata::jung_xnor_column;
using testdata::pm1;
using testdata::signed_inputs;
using testdata::tdc_block;

// jung's column: 64 XNOR bit cells, 13 / 26 kOhm with 12.3 % / 7.7 % d2d spread.
Config jung_like(int tdc_bits) { return jung_xnor_column(tdc_bits, 0.123, 0.077); }

// Error of y = x.w per column over `macros` chips, for the inputs x.
Eigen::MatrixXd column_errors(const Config& c, int rows, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x, int macros) {
    Eigen::MatrixXd e(x.rows(), 64 * macros);
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    for (int m = 0; m < macros; ++m) {
        AnalogMacro mac(c, m);
        ActionCounter ac;
        REQUIRE(mac.program(w, tdc_block(rows, 64), ac).write_failures == 0);
        e.middleCols(64 * m, 64) = mac.mvm(x, ac).y.cast<double>() - ideal;
    }
    return e;
}

double sd(const Eigen::RowVectorXd& v) { return std::sqrt((v.array() - v.mean()).square().sum() / (v.size() - 1)); }

}  // namespace

TEST_CASE("XNOR: the unused rows of a 9-row block add their d2d spread to the column", "[physics][xnor]") {
    // All inputs -1: every row selects its complement MTJ (half P, half AP over the random
    // weights), the 64 - K unused rows their matching (P) MTJ. The column's error in
    // mismatch units is E / dR with var E = (N - K) vP + K (vP + vA) / 2, vP = (0.123 x 13 k)^2,
    // vA = (0.077 x 26 k)^2; y = K - 2 m, so the error of y has twice that sd. A fine
    // counter (20 bits) leaves the cells' spread alone.
    const Config c = jung_like(20);
    const double vp = std::pow(0.123 * 13e3, 2), va = std::pow(0.077 * 26e3, 2);
    Rng rng = Rng::derive(7, 0, "xnor_idle");
    for (int k : {9, 64}) {
        const Eigen::MatrixXi w = pm1(k, 64, rng);
        const Eigen::MatrixXf x = Eigen::MatrixXf::Constant(1, k, -1.0f);
        const Eigen::MatrixXd e = column_errors(c, k, w, x, 6);   // 384 columns
        const double expect = 2.0 * std::sqrt((64 - k) * vp + k * 0.5 * (vp + va)) / 13e3;
        INFO("K = " << k << ": sd " << sd(e.row(0)) << " vs " << expect);
        CHECK(sd(e.row(0)) == Approx(expect).epsilon(0.15));
        CHECK(std::abs(e.row(0).mean()) < 4.0 * expect / std::sqrt(384.0));
    }
    // Without the unused rows' spread the K = 9 column would read 2 sqrt(9 (vP + vA) / 2) / dR
    // = 0.83: less than half of the expectation above (1.91), so the check can fail.
}

TEST_CASE("XNOR calibration removes the static column offsets through the 4-bit counter", "[physics][xnor][calibration]") {
    // The offsets are per column and static (the same cells for every read of an input);
    // the calibration sees only the codes of its own vectors and the intended digits.
    // Measured here on the all -1 input (the background of an image: the complements of
    // every row) and on random inputs: rms error with and without calibration.
    Rng rng = Rng::derive(8, 0, "xnor_cal");
    const int k = 9;
    const Eigen::MatrixXi w = pm1(k, 64, rng);
    Eigen::MatrixXf x = signed_inputs(256, k, rng);
    x.row(0).setConstant(-1.0f);
    Config off = jung_like(4), on = jung_like(4);
    on.macro.calibration = true;
    on.macro.calibration_vectors = 64;
    const Eigen::MatrixXd e_off = column_errors(off, k, w, x, 4), e_on = column_errors(on, k, w, x, 4);
    auto rms = [](const Eigen::MatrixXd& m) { return std::sqrt(m.squaredNorm() / m.size()); };
    const double bg_off = rms(e_off.row(0)), bg_on = rms(e_on.row(0));
    const double st_off = rms(e_off.colwise().mean()), st_on = rms(e_on.colwise().mean());
    INFO("background " << bg_off << " -> " << bg_on << ", static " << st_off << " -> " << st_on);
    // The static offset of a 9-row column is ~1.9 (above); what calibration leaves is the
    // error of 64 vectors' fit plus the count quantisation (LSB 9/16 mismatch = 1.125 in y).
    CHECK(bg_off > 1.4);
    CHECK(bg_on < 0.45 * bg_off);
    CHECK(st_on < 0.4 * st_off);
    CHECK(rms(e_on) < 0.7 * rms(e_off));
}

TEST_CASE("XNOR calibration recovers a die shift from measured vectors only", "[physics][xnor][calibration]") {
    // Every MTJ of a macro x m (sigma_macro 8 %, no cell spread): a 64-row column then
    // reads R = m (N R_P + mis dR), an offset of (m - 1)(N R_P / dR + mis) mismatches, tens of
    // y units for a few % of shift. Calibration fits it per column from its vectors' codes.
    Rng rng = Rng::derive(9, 0, "xnor_die");
    const int k = 64;
    const Eigen::MatrixXi w = pm1(k, 64, rng);
    const Eigen::MatrixXf x = signed_inputs(128, k, rng);
    Config off = jung_like(8);
    off.device.sigma_p = off.device.sigma_ap = 0.0;
    off.device.sigma_macro = 0.08;
    // The derived window spans the nominal column only; widen it so shifted reads do not clip.
    off.periphery.tdc.t_start = 0.8 * 64 * 13e3 * 64 * 0.244e-15;
    off.periphery.tdc.t_full = 1.3 * 128 * 13e3 * 64 * 0.244e-15;
    Config on = off;
    on.macro.calibration = true;
    on.macro.calibration_vectors = 64;
    const Eigen::MatrixXd e_off = column_errors(off, k, w, x, 4), e_on = column_errors(on, k, w, x, 4);
    const double r_off = std::sqrt(e_off.squaredNorm() / e_off.size()), r_on = std::sqrt(e_on.squaredNorm() / e_on.size());
    INFO("rms " << r_off << " -> " << r_on);
    // 8-bit count over the widened window: LSB = (1.3 x 128 - 0.8 x 64) / 256 = 0.45 mismatch,
    // 0.9 in y, rms 0.26; a shift of 1 % alone gives ~1.3 in y.
    CHECK(r_off > 3.0);
    CHECK(r_on < 0.6);
}
