// Statistical accuracy of the non-ideal readout chain against analytic predictions:
// ADC quantisation error, d2d sum-of-variances, multi_level vs bit_slice mapping, write
// error rate and program-verify bookkeeping. Each expectation is derived independently of
// the code under test (from the nominal device values and the documented rules).
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/CellWriter.h"
#include "models/physics/Rng.h"
#include "RandomPm1.h"
#include "models/physics/SwitchingModel.h"
#include "models/physics/WeightLayout.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

constexpr auto pm1_weights = &testdata::pm1;
constexpr auto pm1_inputs = &testdata::signed_inputs;

// The myung-like binary operating point: 256 rows, 4-MTJ stacks, differential columns,
// signed inputs, 6-bit single-ended ADC (each column over its baseline) with the design
// range, reliable writes, no variation. (Differential I+ - I- conversion is tested in
// test_readout_physics.cpp.)
Config binary_block_config(MultiBitMode mode) {
    Config c;
    c.array.rows = 256;
    c.array.cols = 64;
    c.array.summation = Summation::Current;
    c.array.weight_encoding = WeightEncoding::Differential;
    c.array.multibit = mode;
    c.device.stack = 4;
    c.device.r_p = 3.1e6;
    c.device.tmr = 0.81;
    c.device.sigma_p = 0.0;
    c.device.sigma_ap = 0.0;
    c.device.sigma_macro = 0.0;
    c.device.i_write = 600e-6;  // WER ~ 1e-7: no write errors in the readout tests
    c.periphery.adc.bits = 6;
    c.periphery.adc.range = AdcRange::Fixed;
    c.periphery.adc.input = AdcInput::SingleEnded;
    c.macro.calibration = true;
    return c;
}

BlockSpec binary_spec(int rows, int cols) {
    BlockSpec s;
    s.rows = rows;
    s.cols = cols;
    s.weight_bits = 1;
    s.input = InputEncoding::Signed;
    s.input_bits = 1;
    return s;
}

// Analytic RMS quantisation error of y = 2 (S+ - S-) - colsum for a differential binary
// block: each half is an independent uniform quantisation with step LSB / (v dG) digit
// units, where the design range is [0, largest nominal column current with all rows on] and
// the cells use the two extreme levels of the stack (dG = 1/R(all P) - 1/R(all AP)).
double analytic_quant_rms(const Config& c, const Eigen::MatrixXi& w) {
    const double rp = c.device.r_p, rap = c.device.r_p * (1.0 + c.device.tmr);
    const int n = c.device.stack;
    const double g_hi = 1.0 / (n * rp + c.device.r_access), g_lo = 1.0 / (n * rap + c.device.r_access);
    double imax = 0.0;
    for (int j = 0; j < w.cols(); ++j) {
        const double ones = (w.col(j).array() > 0).count();  // + half holds digit 1 where w = +1
        imax = std::max({imax, ones * g_hi + (w.rows() - ones) * g_lo, (w.rows() - ones) * g_hi + ones * g_lo});
    }
    imax *= c.array.v_read;
    const double lsb_units = imax / ((1 << c.periphery.adc.bits) - 1) / (c.array.v_read * (g_hi - g_lo));
    return 2.0 * std::sqrt(2.0) * lsb_units / std::sqrt(12.0);
}

double rms_error(AnalogMacro& m, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x) {
    ActionCounter ac;
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
    return std::sqrt((y - ideal).squaredNorm() / static_cast<double>(ideal.size()));
}

}  // namespace

TEST_CASE("multi_level spreads the digits over the whole level window", "[physics][layout]") {
    // Binary weights in a 5-level stack: digits 0/1 on levels 4/0 (base 2), not 4/3.
    CHECK(WeightLayout(WeightEncoding::Differential, MultiBitMode::MultiLevel, 1, 5).base() == 2);
    CHECK(WeightLayout(WeightEncoding::Differential, MultiBitMode::MultiLevel, 1, 5).digits() == 1);
    // 4-bit differential (|w| <= 7) needs two cells of a 5-level stack; base 3 (levels 0, 2, 4)
    // still fits 7 in two digits and uses the full window.
    const WeightLayout l4(WeightEncoding::Differential, MultiBitMode::MultiLevel, 4, 5);
    CHECK(l4.digits() == 2);
    CHECK(l4.base() == 3);
    // A 15-level stack holds a 4-bit offset weight (0..14) in one cell: base 15.
    CHECK(WeightLayout(WeightEncoding::Offset, MultiBitMode::MultiLevel, 4, 15).base() == 15);
    // Round trip through digits.
    Rng rng = Rng::derive(5, 0, "layout");
    Eigen::MatrixXi w(20, 6);
    for (int i = 0; i < 20; ++i)
        for (int j = 0; j < 6; ++j) w(i, j) = static_cast<int>(std::floor(rng.uniform() * 15)) - 7;
    REQUIRE(l4.decode(l4.encode(w), 6) == w);
}

TEST_CASE("Binary block readout error equals the ADC quantisation error (bit_slice and multi_level)",
          "[physics][macro][accuracy]") {
    Rng rng = Rng::derive(21, 0, "quant");
    const BlockSpec s = binary_spec(256, 16);
    const Eigen::MatrixXi w = pm1_weights(256, 16, rng);
    const Eigen::MatrixXf x = pm1_inputs(64, 256, rng);
    double rms[2];
    int k = 0;
    for (MultiBitMode mode : {MultiBitMode::BitSlice, MultiBitMode::MultiLevel}) {
        const Config c = binary_block_config(mode);
        AnalogMacro m(c, 0);
        ActionCounter ac;
        m.program(w, s, ac);
        rms[k] = rms_error(m, w, x);
        const double expect = analytic_quant_rms(c, w);
        INFO("mode " << k << " rms " << rms[k] << " analytic quantisation " << expect);
        CHECK(rms[k] < 1.5 * expect);
        CHECK(rms[k] > expect / 1.5);
        ++k;
    }
    // Same levels for binary weights: comparable accuracy.
    CHECK(rms[1] < 1.25 * rms[0]);
    CHECK(rms[0] < 1.25 * rms[1]);
}

TEST_CASE("multi_level and bit_slice agree for binary weights with variation and calibration",
          "[physics][macro][accuracy]") {
    Rng rng = Rng::derive(22, 0, "mlbs");
    const BlockSpec s = binary_spec(256, 16);
    const Eigen::MatrixXi w = pm1_weights(256, 16, rng);
    const Eigen::MatrixXf x = pm1_inputs(48, 256, rng);
    double rms[2];
    int k = 0;
    for (MultiBitMode mode : {MultiBitMode::BitSlice, MultiBitMode::MultiLevel}) {
        Config c = binary_block_config(mode);
        c.device.sigma_p = c.device.sigma_ap = 0.037;
        c.device.sigma_macro = 0.05;
        AnalogMacro m(c, 3);
        ActionCounter ac;
        m.program(w, s, ac);
        rms[k++] = rms_error(m, w, x);
    }
    // Dot products of 256 +-1 terms have std 16; both must stay well below it.
    INFO("bit_slice rms " << rms[0] << " multi_level rms " << rms[1]);
    CHECK(rms[0] < 8.0);
    CHECK(rms[1] < 1.3 * rms[0]);
}

TEST_CASE("d2d variation error matches the sum-of-variances prediction", "[physics][macro][accuracy]") {
    // Single MTJ per cell, lognormal R with cv s: G = 1/(R + r_a) has cv ~ s R / (R + r_a)
    // (first order). Column error in digit units: sum_i b_i dG_i / dG_nom. With a fine ADC
    // and no calibration the readout error is this plus the (small) quantisation error.
    Config c = binary_block_config(MultiBitMode::BitSlice);
    c.device.stack = 1;
    c.device.r_access = 5e3;
    c.device.sigma_p = c.device.sigma_ap = 0.05;
    c.periphery.adc.bits = 10;
    c.macro.calibration = false;
    Rng rng = Rng::derive(23, 0, "d2d");
    const BlockSpec s = binary_spec(256, 24);
    const double rp = c.device.r_p, rap = rp * (1 + c.device.tmr), ra = c.device.r_access;
    const double g_hi = 1 / (rp + ra), g_lo = 1 / (rap + ra), dg = g_hi - g_lo;
    const double sd_hi = 0.05 * rp / (rp + ra) * g_hi / dg, sd_lo = 0.05 * rap / (rap + ra) * g_lo / dg;
    double se = 0.0, pred = 0.0;
    long n = 0;
    for (int id = 0; id < 3; ++id) {
        const Eigen::MatrixXi w = pm1_weights(256, 24, rng);
        const Eigen::MatrixXf x = pm1_inputs(32, 256, rng);
        AnalogMacro m(c, id);
        ActionCounter ac;
        m.program(w, s, ac);
        const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
        const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
        se += (y - ideal).squaredNorm();
        n += ideal.size();
        // Every active row contributes one hi and one lo cell (the two halves): y = 2 (S+ - S-).
        const double q = analytic_quant_rms(c, w);
        for (int b = 0; b < x.rows(); ++b) {
            const double active = (x.row(b).array() > 0).count();
            pred += y.cols() * (4.0 * active * (sd_hi * sd_hi + sd_lo * sd_lo) + q * q);
        }
    }
    const double rms = std::sqrt(se / n), expect = std::sqrt(pred / n);
    INFO("rms " << rms << " predicted " << expect);
    CHECK(rms == Approx(expect).epsilon(0.2));
}

TEST_CASE("Write errors without verify occur at the switching model's WER", "[physics][write][accuracy]") {
    Config c;
    c.device.stack = 1;  // default write point: i_write 300 uA, Ic0 200 uA, 1 ns -> WER ~ 8 %
    const double wer = SwitchingModel(c.device).pulse_wer(MtjDevice(c.device).cell_resistance(MtjDevice(c.device).nominal(0), 0.0));
    REQUIRE(wer > 0.01);
    REQUIRE(wer < 0.3);
    const int rows = 256, cols = 64;
    const double cells = static_cast<double>(rows) * cols;
    const Eigen::MatrixXi from = Eigen::MatrixXi::Zero(rows, cols);
    Rng r0 = Rng::derive(31, 0, "write");
    const WriteOutcome one = CellWriter(c).write(from, Eigen::MatrixXi::Ones(rows, cols), r0);
    CHECK(one.pulses == rows * cols);
    const double sd = std::sqrt(cells * wer * (1 - wer));
    CHECK(std::abs(one.failures - cells * wer) < 5 * sd);

    // 4-MTJ stack from all P to all AP: four independent flips per cell.
    Config c4 = c;
    c4.device.stack = 4;
    Rng r4 = Rng::derive(31, 0, "write");
    const WriteOutcome four = CellWriter(c4).write(from, Eigen::MatrixXi::Constant(rows, cols, 4), r4);
    CHECK(four.pulses == 4 * rows * cols);
    const double p_ok = std::pow(1 - wer, 4);
    CHECK(std::abs(four.failures - cells * (1 - p_ok)) < 5 * std::sqrt(cells * p_ok * (1 - p_ok)));
    CHECK((four.levels.array() != 4).count() == four.failures);

    // Through the macro: with bit_slice differential binary weights, exactly one cell of
    // each pair moves off the erased (all-P) level, so failures / pulses ~ WER.
    Config mc = c;
    mc.array.rows = rows;
    mc.array.cols = cols;
    mc.device.sigma_p = mc.device.sigma_ap = 0.0;
    mc.macro.calibration = false;
    AnalogMacro m(mc, 0);
    Rng rng = Rng::derive(32, 0, "w");
    ActionCounter ac;
    const ProgramResult pr = m.program(pm1_weights(rows, cols / 2, rng), binary_spec(rows, cols / 2), ac);
    CHECK(pr.pulses == rows * cols / 2);
    CHECK(std::abs(pr.write_failures - pr.pulses * wer) < 5 * std::sqrt(pr.pulses * wer * (1 - wer)));
}

TEST_CASE("Program-verify re-pulses only the failed cells", "[physics][write][verify]") {
    Config c;
    c.device.stack = 1;
    const double wer = SwitchingModel(c.device).pulse_wer(MtjDevice(c.device).cell_resistance(MtjDevice(c.device).nominal(0), 0.0));
    const int rows = 256, cols = 64;
    const Eigen::MatrixXi from = Eigen::MatrixXi::Zero(rows, cols);
    const Eigen::MatrixXi to = Eigen::MatrixXi::Ones(rows, cols);
    Rng r0 = Rng::derive(41, 0, "write");
    const WriteOutcome plain = CellWriter(c).write(from, to, r0);
    Config v1 = c;
    v1.device.verify_max_iter = 1;
    Rng r1 = Rng::derive(41, 0, "write");  // same stream: the first pass is identical
    const WriteOutcome one = CellWriter(v1).write(from, to, r1);
    CHECK(one.pulses == plain.pulses + plain.failures);
    CHECK(one.verify_reads == rows);
    // The second pass fails at the WER among the re-pulsed cells.
    const double f = static_cast<double>(plain.failures);
    CHECK(std::abs(one.failures - f * wer) < 5 * std::sqrt(f * wer * (1 - wer)) + 1);

    Config v4 = c;
    v4.device.verify_max_iter = 4;
    Rng r4 = Rng::derive(41, 0, "write");
    const WriteOutcome four = CellWriter(v4).write(from, to, r4);
    // Expected pulses N (1 + w + w^2 + ...); at most one extra round per verify iteration.
    const double n = static_cast<double>(rows) * cols;
    const double expect = n * (1 + wer + wer * wer + std::pow(wer, 3) + std::pow(wer, 4));
    CHECK(std::abs(four.pulses - expect) < 5 * std::sqrt(n * wer) + 5);
    CHECK(four.failures <= 2);
    // Already programmed: nothing to pulse, one verify round finds nothing.
    Rng r5 = Rng::derive(41, 0, "write");
    const WriteOutcome again = CellWriter(v4).write(to, to, r5);
    CHECK(again.pulses == 0);
    CHECK(again.verify_reads == rows);
}

TEST_CASE("Calibration does not degrade sparse or dense inputs (no extrapolation, no attenuation bias)",
          "[physics][macro][accuracy][calibration]") {
    // A zero-variation block has nothing to calibrate but the nominal de-encoding is
    // exact, so calibration may only add its estimation noise. Real inputs are often far
    // from 50 % active rows (the first layer of an MNIST BNN drives ~20 %).
    Rng rng = Rng::derive(24, 0, "sparse");
    const BlockSpec s = binary_spec(256, 16);
    const Eigen::MatrixXi w = pm1_weights(256, 16, rng);
    for (double density : {0.05, 0.2, 0.8}) {
        Eigen::MatrixXf x(64, 256);
        for (int b = 0; b < x.rows(); ++b)
            for (int i = 0; i < x.cols(); ++i) x(b, i) = rng.uniform() < density ? 1.f : -1.f;
        Config c = binary_block_config(MultiBitMode::BitSlice);
        Config nc = c;
        nc.macro.calibration = false;
        AnalogMacro cal(c, 0), raw(nc, 0);
        ActionCounter ac;
        cal.program(w, s, ac);
        raw.program(w, s, ac);
        const double e_cal = rms_error(cal, w, x), e_raw = rms_error(raw, w, x);
        INFO("density " << density << " rms calibrated " << e_cal << " uncalibrated " << e_raw << " quantisation "
                        << analytic_quant_rms(c, w));
        CHECK(e_cal < 1.5 * analytic_quant_rms(c, w));
        CHECK(e_cal < 1.3 * e_raw + 0.5);
    }
}

TEST_CASE("Calibrated readout has unit gain on large dot products", "[physics][macro][accuracy][calibration]") {
    // Inputs correlated with a weight column give |X W| up to ~200 (as in a trained
    // network). A calibration fit biased by the ADC quantisation noise (regressing the
    // truth on the noisy readout attenuates the gain by var(S*) / (var(S*) + var(q)))
    // shows up here as a slope below 1.
    Rng rng = Rng::derive(25, 0, "gain");
    const BlockSpec s = binary_spec(256, 16);
    const Eigen::MatrixXi w = pm1_weights(256, 16, rng);
    Eigen::MatrixXf x(64, 256);
    for (int b = 0; b < x.rows(); ++b) {
        const int j = b % 16;
        const double flip = 0.1 + 0.3 * rng.uniform();
        for (int i = 0; i < 256; ++i) x(b, i) = static_cast<float>(rng.uniform() < flip ? -w(i, j) : w(i, j));
    }
    for (MultiBitMode mode : {MultiBitMode::BitSlice, MultiBitMode::MultiLevel}) {
        Config c = binary_block_config(mode);
        c.device.sigma_macro = 0.05;
        AnalogMacro m(c, 1);
        ActionCounter ac;
        m.program(w, s, ac);
        const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
        const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
        const double slope = (y.array() * ideal.array()).sum() / ideal.squaredNorm();
        const double rms = std::sqrt((y - ideal).squaredNorm() / static_cast<double>(y.size()));
        INFO("slope " << slope << " rms " << rms);
        CHECK(slope == Approx(1.0).epsilon(0.03));
        CHECK(rms < 1.5 * analytic_quant_rms(c, w));
    }
}
