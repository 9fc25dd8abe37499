// Per-column calibration: it must never add error where nothing varies, must remove most of
// the die-shift and ADC gain/offset error, and must not be worse than no calibration at the
// myung operating point. Errors are measured against the exact integer product X W.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Calibration.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

// The myung binary operating point: 256 rows, 4-MTJ stacks, differential columns, signed
// inputs, 6-bit calibrated-range ADC, reliable writes; variation set by each test.
Config myung_binary() {
    Config c;
    c.array.rows = 256;
    c.array.cols = 64;
    c.array.summation = Summation::Current;
    c.array.weight_encoding = WeightEncoding::Differential;
    c.array.multibit = MultiBitMode::MultiLevel;
    c.device.stack = 4;
    c.device.r_p = 3.1e6;
    c.device.tmr = 0.81;
    c.device.sigma_p = c.device.sigma_ap = 0.0;
    c.device.sigma_macro = 0.0;
    c.device.i_write = 600e-6;
    c.periphery.adc.bits = 6;
    c.periphery.adc.range = AdcRange::Calibrated;
    c.macro.calibration = true;
    c.macro.calibration_vectors = 32;
    return c;
}

BlockSpec signed_binary(int rows, int cols) {
    BlockSpec s;
    s.rows = rows;
    s.cols = cols;
    s.weight_bits = 1;
    s.input = InputEncoding::Signed;
    s.input_bits = 1;
    return s;
}

struct Err {
    double se = 0.0, sum = 0.0;
    long n = 0;
    double rms() const { return std::sqrt(se / n); }
    double bias() const { return sum / n; }
};

// Accumulates the error of the calibrated and the uncalibrated macro (same id: same die,
// same cells, same ADC) on +-1 inputs with the given fraction of +1 entries.
void compare(const Config& c, int id, double density, Rng& rng, Err& cal, Err& raw, int cols = 16, int batch = 48) {
    const BlockSpec s = signed_binary(256, cols);
    Eigen::MatrixXi w(256, cols);
    for (int i = 0; i < 256; ++i)
        for (int j = 0; j < cols; ++j) w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
    Eigen::MatrixXf x(batch, 256);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < 256; ++i) x(b, i) = rng.uniform() < density ? 1.f : -1.f;
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    Config nc = c;
    nc.macro.calibration = false;
    AnalogMacro mc(c, id), mr(nc, id);
    ActionCounter ac;
    mc.program(w, s, ac);
    mr.program(w, s, ac);
    const Eigen::MatrixXd ec = mc.mvm(x, ac).y.cast<double>() - ideal, er = mr.mvm(x, ac).y.cast<double>() - ideal;
    cal.se += ec.squaredNorm();
    cal.sum += ec.sum();
    cal.n += ec.size();
    raw.se += er.squaredNorm();
    raw.sum += er.sum();
    raw.n += er.size();
}

}  // namespace

TEST_CASE("Calibration adds no error without variation, at any input density", "[physics][calibration]") {
    // Only the 6-bit ADC staircase is left: the truth is exactly linear, the right
    // calibration is the identity. A free three-parameter fit on 32 vectors made sparse
    // readouts ~80 % worse (rms 9.2 vs 5.1, bias +6.6 at 20 % density).
    const Config c = myung_binary();
    Rng rng = Rng::derive(41, 0, "cal_zero");
    for (double density : {0.2, 0.5, 0.8}) {
        Err cal, raw;
        for (int id = 0; id < 3; ++id) compare(c, id, density, rng, cal, raw);
        INFO("density " << density << " rms cal " << cal.rms() << " raw " << raw.rms() << " bias cal " << cal.bias());
        CHECK(cal.rms() <= 1.05 * raw.rms());
        CHECK(std::abs(cal.bias()) < 0.3);
    }
}

TEST_CASE("Calibration removes most of a large die shift and ADC gain/offset error", "[physics][calibration]") {
    Config c = myung_binary();
    c.device.sigma_macro = 0.2;
    c.periphery.adc.bits = 10;
    c.periphery.adc.range = AdcRange::Fixed;  // a die shift is then a gain error of every column
    c.periphery.adc.gain_sigma = 0.05;
    c.periphery.adc.offset_sigma = 3.0;
    Rng rng = Rng::derive(42, 0, "cal_big");
    for (double density : {0.2, 0.5}) {
        Err cal, raw;
        for (int id = 0; id < 4; ++id) compare(c, id, density, rng, cal, raw);
        INFO("density " << density << " rms cal " << cal.rms() << " raw " << raw.rms());
        CHECK(cal.rms() < 0.3 * raw.rms());
        CHECK(std::abs(cal.bias()) < 0.3 * raw.rms());
    }
}

TEST_CASE("Calibration is not worse than none at the myung operating point", "[physics][calibration]") {
    // Preset defaults: d2d 3.7 % per MTJ, die shift 5 %, 6-bit calibrated-range ADC.
    Config c = myung_binary();
    c.device.sigma_p = c.device.sigma_ap = 0.037;
    c.device.sigma_macro = 0.05;
    Rng rng = Rng::derive(43, 0, "cal_myung");
    Err cal, raw;
    for (double density : {0.2, 0.5})
        for (int id = 0; id < 4; ++id) compare(c, id, density, rng, cal, raw);
    INFO("rms cal " << cal.rms() << " raw " << raw.rms() << " bias cal " << cal.bias() << " raw " << raw.bias());
    CHECK(cal.rms() <= 1.02 * raw.rms());
    CHECK(std::abs(cal.bias()) < 0.3);
}

TEST_CASE("Calibration prior: zero without variation, die shift moves gain and baseline together",
          "[physics][calibration]") {
    Config c = myung_binary();
    ReadoutGeometry geo;
    geo.base = 2;
    geo.rows = 256;
    CHECK(calibration_prior(c, geo).cols() == 0);

    c.device.sigma_macro = 0.1;
    const Eigen::MatrixXd l = calibration_prior(c, geo);
    REQUIRE(l.cols() == 1);
    // All MTJs x m: G ~ 1/m (access transistor small against MOhm stacks), so the gain moves
    // by -dm and the per-row baseline G_lo/dG by -dm G_lo/dG.
    const MtjDevice dev(c.device);
    const double g_hi = 1.0 / dev.cell_resistance(dev.nominal(0), c.array.v_read);
    const double g_lo = 1.0 / dev.cell_resistance(dev.nominal(dev.levels() - 1), c.array.v_read);
    CHECK(l(0, 0) == Approx(-0.1).epsilon(0.01));
    CHECK(l(1, 0) / l(0, 0) == Approx(g_lo / (g_hi - g_lo)).epsilon(0.01));
    CHECK(l(2, 0) == 0.0);
}

TEST_CASE("ColumnCalibration recovers a known column transfer and keeps the identity under a zero prior",
          "[physics][calibration]") {
    // Synthetic column: S = 1.1 S* + 0.2 n_b - 1.5, quantised with step 1.
    Rng rng = Rng::derive(44, 0, "cal_synth");
    const int n = 64, cols = 3;
    Eigen::MatrixXd s(n, cols), ideal(n, cols);
    Eigen::VectorXd nb(n);
    for (int r = 0; r < n; ++r) {
        nb(r) = std::floor(rng.uniform() * 200.0);
        for (int c = 0; c < cols; ++c) {
            ideal(r, c) = std::floor(nb(r) * (0.3 + 0.2 * c) + 10.0 * (rng.uniform() - 0.5));
            s(r, c) = std::nearbyint(1.1 * ideal(r, c) + 0.2 * nb(r) - 1.5);
        }
    }
    ReadoutGeometry geo;
    ColumnCalibration cal;
    cal.fit(s, ideal, nb, Eigen::MatrixXd(3, 0), geo);
    CHECK(cal.gain().isOnes());
    CHECK(cal.baseline().isZero());
    // Broad independent prior (sd 1 on each parameter): least squares.
    cal.fit(s, ideal, nb, Eigen::Matrix3d::Identity(), geo);
    Eigen::MatrixXd t = s;
    cal.apply(t, nb);
    const double rms = std::sqrt((t - ideal).squaredNorm() / t.size());
    INFO("rms after calibration " << rms);
    CHECK(rms < 0.5);  // rounding step 1 -> 0.29 / 1.1
    for (int c = 0; c < cols; ++c) CHECK(cal.gain()(c) == Approx(1.0 / 1.1).epsilon(0.02));
}

TEST_CASE("ColumnCalibration's MAP fit equals the explicit ridge regression on the prior's sources",
          "[physics][calibration]") {
    // The fit solves t = (C G + s2 I)^-1 C b per column (C = L L^T, G = X^T X, b = X^T y);
    // the definition is t = L z with z = argmin |y - X L z|^2 / s2 + |z|^2. Both on synthetic
    // columns with six correlated sources and a selection of end-code samples left out.
    Rng rng = Rng::derive(45, 0, "cal_map");
    const int n = 40, cols = 5, k = 6;
    Eigen::MatrixXd s(n, cols), ideal(n, cols), prior(3, k);
    Eigen::VectorXd nb(n);
    for (int j = 0; j < k; ++j)
        for (int i = 0; i < 3; ++i) prior(i, j) = (0.02 + 0.01 * j) * rng.normal() * (i == 2 ? 5.0 : 1.0);
    for (int r = 0; r < n; ++r) {
        nb(r) = std::floor(rng.uniform() * 64.0);
        for (int c = 0; c < cols; ++c) {
            ideal(r, c) = std::floor(nb(r) * (0.2 + 0.15 * c) + 6.0 * (rng.uniform() - 0.5));
            s(r, c) = std::nearbyint((1.0 + 0.03 * c) * ideal(r, c) + 0.01 * c * nb(r) - 0.7 + 0.3 * rng.normal());
        }
    }
    ReadoutGeometry geo;
    geo.converter = true;
    geo.lsb = 1.0;
    geo.lo = -1e9;
    geo.hi = 40.0;   // samples with S >= 39.5 sit on the top code: left out of the fit
    ColumnCalibration cal;
    cal.fit(s, ideal, nb, prior, geo);
    const double s2 = cal.noise_variance();
    REQUIRE(s2 > geo.lsb * geo.lsb / 12.0 * 0.999);
    int left_out = 0;
    for (int c = 0; c < cols; ++c) {
        std::vector<int> rows;
        for (int r = 0; r < n; ++r)
            if (s(r, c) > geo.lo + 0.5 && s(r, c) < geo.hi - 0.5) rows.push_back(r);
        left_out += n - static_cast<int>(rows.size());
        Eigen::MatrixXd x(rows.size(), 3);
        Eigen::VectorXd y(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) {
            x.row(static_cast<Eigen::Index>(i)) << ideal(rows[i], c), nb(rows[i]), 1.0;
            y(static_cast<Eigen::Index>(i)) = s(rows[i], c) - ideal(rows[i], c);
        }
        const Eigen::MatrixXd a = x * prior;
        Eigen::MatrixXd h = a.transpose() * a;
        h.diagonal().array() += s2;
        const Eigen::Vector3d t = prior * h.ldlt().solve(a.transpose() * y);
        INFO("column " << c);
        CHECK(cal.gain()(c) == Approx(1.0 / (1.0 + t(0))).epsilon(1e-11));
        CHECK(cal.baseline()(c) == Approx(-t(1) / (1.0 + t(0))).epsilon(1e-9));
        CHECK(cal.offset()(c) == Approx(-t(2) / (1.0 + t(0))).epsilon(1e-9));
        CHECK(std::abs(t(0)) > 1e-4);   // the fit moved the gain: the comparison is not of identities
    }
    CHECK(left_out > 0);
}

TEST_CASE("ColumnCalibration pools the noise over every column, zero columns by their degrees of freedom",
          "[physics][calibration]") {
    // The noise variance is the pooled residual of the unconstrained least-squares fits
    // of all columns: sum of squared residuals over sum of (kept samples - rank). Columns
    // that read 0 and should read 0 (the - columns of differential pairs) add no residual
    // but their degrees of freedom, with the rank of [0, n_b, 1] as the QR finds it.
    Rng rng = Rng::derive(46, 0, "cal_pool");
    const int n = 32, cols = 6;
    for (const bool constant_nb : {false, true}) {
        Eigen::MatrixXd s = Eigen::MatrixXd::Zero(n, cols), ideal = Eigen::MatrixXd::Zero(n, cols);
        Eigen::VectorXd nb(n);
        for (int r = 0; r < n; ++r) {
            nb(r) = constant_nb ? 17.0 : std::floor(1.0 + rng.uniform() * 60.0);
            for (int c = 0; c < cols; c += 2) {   // odd columns stay 0
                ideal(r, c) = std::floor(nb(r) * (0.3 + 0.1 * c) + 8.0 * (rng.uniform() - 0.5));
                s(r, c) = 1.05 * ideal(r, c) + 0.02 * nb(r) + 0.4 + 0.3 * rng.normal();
            }
        }
        ReadoutGeometry geo;
        geo.converter = true;
        geo.lsb = 1e-3;   // the quantisation floor of the noise stays far below the residuals
        geo.lo = -1e9;
        geo.hi = 1e9;
        ColumnCalibration cal;
        cal.fit(s, ideal, nb, 0.05 * Eigen::Matrix3d::Identity(), geo);
        double ss = 0.0, dof = 0.0;
        for (int c = 0; c < cols; ++c) {
            Eigen::MatrixXd x(n, 3);
            x.col(0) = ideal.col(c);
            x.col(1) = nb;
            x.col(2).setOnes();
            const Eigen::VectorXd y = s.col(c) - ideal.col(c);
            Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
            qr.setThreshold(1e-9);
            dof += static_cast<double>(n - qr.rank());
            ss += (y - x * qr.solve(y)).squaredNorm();
            if (c % 2) CHECK(qr.rank() == (constant_nb ? 1 : 2));
        }
        INFO("n_b constant: " << constant_nb);
        CHECK(cal.noise_variance() == Approx(ss / dof).epsilon(1e-12));
        for (int c = 1; c < cols; c += 2) CHECK(cal.gain()(c) == 1.0);   // nothing to correct
    }
}
