// Readout physics against analytic expectations: the time-to-digital converter over its
// delay window, the complementary (XNOR) bit cell, differential (I+ - I-) conversion,
// converter ranges from the design or from measured calibration vectors (never from the
// sampled cells), and converter / driver counts that the energy model turns into joules.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/Rng.h"
#include "JungXnorColumn.h"
#include "RandomPm1.h"
#include "models/physics/TimeToDigital.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

using testdata::jung_xnor_column;
using testdata::pm1;
using testdata::signed_inputs;
using testdata::tdc_block;

// jung-like column: 64 XNOR bit cells in series, 13 / 26 kOhm, no variation, 4-bit counter.
Config xnor_config() { return jung_xnor_column(4); }

double rms(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return std::sqrt((a - b).squaredNorm() / a.size()); }

}  // namespace

TEST_CASE("TDC transfer function: window, LSB, monotonic codes, resolution grows with bits", "[physics][tdc]") {
    const DelayRange win{13e-9, 29e-9};  // jung: read delay 13 - 29 ns
    double prev_rms = 1e9;
    for (int bits = 2; bits <= 8; ++bits) {
        TdcConfig tc;
        tc.bits = bits;
        const TimeToDigital tdc(tc, win);
        const double lsb = 16e-9 / std::ldexp(1.0, bits);
        CHECK(tdc.lsb() == Approx(lsb));
        CHECK(tdc.clock() == Approx(1.0 / lsb));
        CHECK(tdc.conversion_time() == Approx(29e-9));
        CHECK(tdc.code(13e-9) == 0);
        CHECK(tdc.code(5e-9) == 0);                    // before the window: clipped to 0
        CHECK(tdc.code(40e-9) == tdc.max_code());       // beyond full scale: last code
        // Sweep the window: codes never decrease, error within LSB/2 below the last code,
        // RMS error LSB / sqrt(12).
        int last = 0;
        double se = 0.0;
        int n = 0;
        for (double t = 13e-9; t < 29e-9 - lsb; t += lsb / 97.0) {
            const int k = tdc.code(t);
            REQUIRE(k >= last);
            last = k;
            const double e = tdc.reconstruct(k) - t;
            REQUIRE(std::abs(e) <= 0.5 * lsb * (1 + 1e-9));
            se += e * e;
            ++n;
        }
        const double r = std::sqrt(se / n);
        CHECK(r == Approx(lsb / std::sqrt(12.0)).epsilon(0.03));
        CHECK(r < prev_rms / 1.9);  // one more bit halves the error over the same window
        prev_rms = r;
    }
    TdcConfig bad;
    bad.t_start = 20e-9;
    bad.t_full = 10e-9;
    CHECK_THROWS(TimeToDigital(bad, win));
}

TEST_CASE("TDC window derived from the nominal all-match and all-mismatch delays", "[physics][tdc]") {
    Config c = xnor_config();
    c.device.r_access = 1e3;
    const double cc = 64 * 0.244e-15;
    const DelayRange d = TimeToDigital::nominal_delays(c);
    CHECK(d.t_min == Approx(64 * (13e3 + 1e3) * cc));
    CHECK(d.t_max == Approx(64 * (26e3 + 1e3) * cc));
    c.array.cell = CellKind::OneT1Mtj;
    c.array.r_bypass = 500.0;
    const DelayRange b = TimeToDigital::nominal_delays(c);
    CHECK(b.t_min == Approx(64 * 500.0 * cc));
    CHECK(b.t_max == Approx(64 * 26e3 * cc));
    c.periphery.tdc.t_start = 13e-9;
    c.periphery.tdc.t_full = 29e-9;
    const TimeToDigital t = TimeToDigital::from_config(c);
    CHECK(t.t_start() == 13e-9);
    CHECK(t.t_full() == 29e-9);
}

TEST_CASE("TDC window of a block follows the rows it uses (design data), explicit window honoured", "[physics][tdc]") {
    Config c = xnor_config();
    c.device.r_access = 1e3;
    const double cc = 64 * 0.244e-15;
    // K = 9 of 64 rows: the 55 idle rows match (R_P + r_access) at both ends of the window.
    const DelayRange d9 = TimeToDigital::nominal_delays(c, 9);
    CHECK(d9.t_min == Approx(64 * 14e3 * cc));
    CHECK(d9.t_max == Approx((55 * 14e3 + 9 * 27e3) * cc));
    const TimeToDigital t9 = TimeToDigital::for_block(c, 9);
    CHECK(t9.lsb() == Approx(9 * 13e3 * cc / 16));  // 9 mismatches over 16 codes
    CHECK_THROWS(TimeToDigital::nominal_delays(c, 0));
    CHECK_THROWS(TimeToDigital::nominal_delays(c, 65));
    // Bypass cells: idle rows bypassed (500 Ohm), active rows between bypass and R_AP.
    c.array.cell = CellKind::OneT1Mtj;
    c.array.r_bypass = 500.0;
    const DelayRange b9 = TimeToDigital::nominal_delays(c, 9);
    CHECK(b9.t_min == Approx(64 * 500.0 * cc));
    CHECK(b9.t_max == Approx((55 * 500.0 + 9 * 26e3) * cc));
    // An explicit window is one fixed counter for every block.
    c.periphery.tdc.t_start = 13e-9;
    c.periphery.tdc.t_full = 29e-9;
    const TimeToDigital fixed = TimeToDigital::for_block(c, 9);
    CHECK(fixed.t_start() == 13e-9);
    CHECK(fixed.t_full() == 29e-9);
}

TEST_CASE("XNOR 9-row block with a 4-bit counter: the block window's quantisation, not the column's", "[physics][xnor][tdc]") {
    // A 3x3 conv block (K = 9) on a 64-row column. Over the block's own window one count is
    // 9/16 mismatch; over the whole column's window 4 mismatches (the 9-row sums then use
    // ~3 of the 16 codes). Expectation for each: the analytic counter transfer of the
    // mismatch count m, y = K - 2 m.
    Rng rng = Rng::derive(43, 0, "xnor_k9");
    const int k = 9;
    const BlockSpec s = tdc_block(k, 64);
    const Eigen::MatrixXi w = pm1(k, 64, rng);
    const Eigen::MatrixXf x = signed_inputs(256, k, rng);
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    const double cc = TimeToDigital::column_capacitance(xnor_config());
    auto run = [&](const Config& c, const TimeToDigital& tdc) {
        AnalogMacro m(c, 0);
        ActionCounter ac;
        REQUIRE(m.program(w, s, ac).write_failures == 0);
        const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
        Eigen::MatrixXd expect(x.rows(), 64);
        for (int b = 0; b < x.rows(); ++b)
            for (int j = 0; j < 64; ++j) {
                int mism = 0;
                for (int i = 0; i < k; ++i) mism += (x(b, i) > 0) != (w(i, j) > 0);
                const double t = (64 * 13e3 + mism * 13e3) * cc;
                const double m_hat = (tdc.reconstruct(tdc.code(t)) / cc - 64 * 13e3) / 13e3;
                expect(b, j) = k - 2 * m_hat;
            }
        CHECK(rms(y, expect) < 1e-6);
        return rms(y, ideal);
    };
    const Config blk = xnor_config();
    const double e_block = run(blk, TimeToDigital::for_block(blk, k));
    Config col = blk;  // the whole column's window set explicitly
    const DelayRange full = TimeToDigital::nominal_delays(col);
    col.periphery.tdc.t_start = full.t_min;
    col.periphery.tdc.t_full = full.t_max;
    const double e_col = run(col, TimeToDigital::from_config(col));
    // Uniform quantisers of steps 2 x 9/16 and 2 x 4 in y units.
    CHECK(e_block == Approx(2.0 * 9.0 / 16.0 / std::sqrt(12.0)).epsilon(0.35));
    CHECK(e_col > 4.0 * e_block);
}

TEST_CASE("XNOR bit cell: the column reads the mismatch count; ideal sums are exact", "[physics][xnor]") {
    Rng rng = Rng::derive(41, 0, "xnor");
    for (InputEncoding in : {InputEncoding::Signed, InputEncoding::Binary, InputEncoding::BitSerial}) {
        const Config c = make_ideal(xnor_config());
        BlockSpec s = tdc_block(50, 64, in);  // fewer rows than the array: the rest match
        s.input_bits = in == InputEncoding::BitSerial ? 3 : 1;
        const Eigen::MatrixXi w = pm1(s.rows, s.cols, rng);
        Eigen::MatrixXf x(9, s.rows);
        for (int b = 0; b < 9; ++b)
            for (int i = 0; i < s.rows; ++i)
                x(b, i) = in == InputEncoding::Signed   ? (rng.uniform() < 0.5 ? 1.f : -1.f)
                          : in == InputEncoding::Binary ? (rng.uniform() < 0.5 ? 1.f : 0.f)
                                                        : static_cast<float>(std::floor(rng.uniform() * 8));
        AnalogMacro m(c, 0);
        ActionCounter ac;
        REQUIRE(m.program(w, s, ac).write_failures == 0);
        CHECK(m.read_weights() == w);
        const MvmResult r = m.mvm(x, ac);
        REQUIRE(r.y == (x.cast<double>() * w.cast<double>()).cast<float>());
        // One column per neuron, and for 1-bit inputs the column is the mismatch count:
        // R = N R_P + m (R_AP - R_P).
        REQUIRE(m.last_column_currents().cols() == s.cols);
        if (in == InputEncoding::Binary) {  // (signed inputs read at place value 2)
            for (int b = 0; b < 9; ++b)
                for (int j = 0; j < s.cols; ++j) {
                    int mism = 0;
                    for (int i = 0; i < s.rows; ++i) mism += (x(b, i) > 0) != (w(i, j) > 0);
                    const double rcol = c.array.v_read / m.last_column_currents()(b, j);
                    REQUIRE((rcol - 64 * 13e3) / 13e3 == Approx(mism).margin(1e-6));
                }
        }
    }
}

TEST_CASE("XNOR column with a 4-bit counter: error is the analytic count quantisation", "[physics][xnor][tdc]") {
    // Mismatches of a 64-cell column span 0..64 over the derived window: one count is
    // 64 / 16 = 4 mismatches; y = N - 2 m, so y's error is 2x the count error.
    Rng rng = Rng::derive(42, 0, "xnor_q");
    const Config c = xnor_config();
    const BlockSpec s = tdc_block(64, 64);
    const Eigen::MatrixXi w = pm1(64, 64, rng);
    const Eigen::MatrixXf x = signed_inputs(64, 64, rng);
    AnalogMacro m(c, 0);
    ActionCounter ac;
    m.program(w, s, ac);
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
    // Exact expectation: reconstruct each column's mismatch count through the counter.
    const TimeToDigital tdc = TimeToDigital::from_config(c);
    const double cc = TimeToDigital::column_capacitance(c);
    Eigen::MatrixXd expect(64, 64);
    for (int b = 0; b < 64; ++b)
        for (int j = 0; j < 64; ++j) {
            int mism = 0;
            for (int i = 0; i < 64; ++i) mism += (x(b, i) > 0) != (w(i, j) > 0);
            const double t = (64 * 13e3 + mism * 13e3) * cc;
            const double m_hat = (tdc.reconstruct(tdc.code(t)) / cc - 64 * 13e3) / 13e3;
            expect(b, j) = 64 - 2 * m_hat;
        }
    CHECK(rms(y, expect) < 1e-6);
    // And its size is that of a uniform quantiser with a 4-mismatch step (y units: 8).
    CHECK(rms(y, ideal) == Approx(8.0 / std::sqrt(12.0)).epsilon(0.35));
    // The counter energy follows the codes: a 5-bit counter counts twice as far.
    Config c5 = c;
    c5.periphery.tdc.bits = 5;
    AnalogMacro m5(c5, 0);
    ActionCounter a4, a5;
    m5.program(w, s, a5);
    AnalogMacro m4(c, 0);
    m4.program(w, s, a4);
    a4.clear();
    a5.clear();
    m4.mvm(x, a4);
    m5.mvm(x, a5);
    CHECK(a5.get(action::kTdcCount) / a4.get(action::kTdcCount) == Approx(2.0).epsilon(0.05));
    CHECK(a4.get(action::kTdc) == 64.0 * 64.0);
}

namespace {

// Current summation, binary weights on differential pairs, signed inputs, no variation.
Config diff_config(AdcInput input) {
    Config c;
    c.array.rows = 256;
    c.array.cols = 64;
    c.array.weight_encoding = WeightEncoding::Differential;
    c.device.stack = 1;
    c.device.r_p = 3.1e6;
    c.device.tmr = 0.81;
    c.device.sigma_p = c.device.sigma_ap = 0.0;
    c.device.i_write = 600e-6;
    c.periphery.adc.bits = 6;
    c.periphery.adc.range = AdcRange::Fixed;
    c.periphery.adc.input = input;
    c.macro.calibration = false;
    return c;
}

BlockSpec adc_spec(int rows, int cols) {
    BlockSpec s;
    s.rows = rows;
    s.cols = cols;
    s.input = InputEncoding::Signed;
    return s;
}

}  // namespace

TEST_CASE("Differential readout: the error is the ADC quantisation of I+ - I-", "[physics][adc][differential]") {
    Rng rng = Rng::derive(43, 0, "diff");
    const Eigen::MatrixXi w = pm1(256, 32, rng);
    const Eigen::MatrixXf x = signed_inputs(96, 256, rng);
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    const Config c = diff_config(AdcInput::Differential);
    AnalogMacro m(c, 0);
    ActionCounter ac;
    m.program(w, adc_spec(256, 32), ac);
    ac.clear();
    const Eigen::MatrixXd y = m.mvm(x, ac).y.cast<double>();
    // Design range: +-max_j max(#(w=+1), #(w=-1)) v dG (every row driven).
    const MtjDevice dev(c.device);
    const double dg = 1.0 / dev.cell_resistance(dev.nominal(0), 0.1) - 1.0 / dev.cell_resistance(dev.nominal(1), 0.1);
    int peak = 0;
    for (int j = 0; j < 32; ++j) {
        const int pos = (w.col(j).array() > 0).count();
        peak = std::max({peak, pos, 256 - pos});
    }
    const auto range = m.adc_range();
    CHECK(range.second == Approx(peak * 0.1 * dg).epsilon(1e-9));
    CHECK(range.first == Approx(-range.second));
    // y = 2 D - colsum with D quantised with step 2 fs / 63 (products): RMS 2 LSB / sqrt(12).
    const double lsb = 2.0 * peak / 63.0;
    CHECK(rms(y, ideal) == Approx(2.0 * lsb / std::sqrt(12.0)).epsilon(0.2));
    CHECK(ac.get(action::kAdc) == 96.0 * 32);  // one conversion per pair
    // Single-ended conversion of the same block spans the baseline: coarser, twice the conversions.
    AnalogMacro se(diff_config(AdcInput::SingleEnded), 0);
    ActionCounter as;
    se.program(w, adc_spec(256, 32), as);
    as.clear();
    const Eigen::MatrixXd ys = se.mvm(x, as).y.cast<double>();
    CHECK(as.get(action::kAdc) == 96.0 * 64);
    CHECK(rms(ys, ideal) > 1.5 * rms(y, ideal));
}

TEST_CASE("ADC range: design range ignores the sampled cells; calibration recovers a wrong nominal range",
          "[physics][adc][calibration]") {
    Rng rng = Rng::derive(44, 0, "range");
    const Eigen::MatrixXi w = pm1(256, 32, rng);
    const Eigen::MatrixXf x = signed_inputs(64, 256, rng);
    const Eigen::MatrixXd ideal = x.cast<double>() * w.cast<double>();
    // Two macros whose sampled cells differ (die shift 30 %, d2d 5 %): same design range.
    Config v = diff_config(AdcInput::Differential);
    v.device.sigma_macro = 0.3;
    v.device.sigma_p = v.device.sigma_ap = 0.05;
    AnalogMacro a(v, 1), b(v, 2);
    ActionCounter ac;
    a.program(w, adc_spec(256, 32), ac);
    b.program(w, adc_spec(256, 32), ac);
    CHECK(a.adc_range() == b.adc_range());

    // A deliberately wrong nominal range, 20x too small or too large: as a fixed range it
    // ruins the readout; calibrated from measured vectors it ends near the good one.
    const Config good = diff_config(AdcInput::Differential);
    AnalogMacro ref(good, 0);
    ref.program(w, adc_spec(256, 32), ac);
    const double fs = ref.adc_range().second;
    const double e_ref = rms(ref.mvm(x, ac).y.cast<double>(), ideal);
    for (double wrong : {fs / 20.0, fs * 20.0}) {
        Config f = good;
        f.periphery.adc.full_scale = wrong;
        AnalogMacro fixed(f, 0);
        fixed.program(w, adc_spec(256, 32), ac);
        const double e_fixed = rms(fixed.mvm(x, ac).y.cast<double>(), ideal);
        f.periphery.adc.range = AdcRange::Calibrated;
        AnalogMacro cal(f, 0);
        ActionCounter acal;
        cal.program(w, adc_spec(256, 32), acal);
        CHECK(acal.get(action::kAdc) > 0);  // the measurement went through the converter
        const double e_cal = rms(cal.mvm(x, ac).y.cast<double>(), ideal);
        INFO("wrong fs " << wrong << " fixed rms " << e_fixed << " calibrated rms " << e_cal << " design rms " << e_ref);
        CHECK(e_fixed > 3.0 * e_ref);
        CHECK(e_cal < 1.2 * e_ref);
        // The measured peak is the design peak (no variation here) within one final LSB.
        CHECK(cal.adc_range().second == Approx(fs).epsilon(0.05));
    }
}

TEST_CASE("PWM inputs count one DAC conversion per non-zero input", "[physics][energy]") {
    Config c = diff_config(AdcInput::Differential);
    Rng rng = Rng::derive(45, 0, "dac");
    BlockSpec s = adc_spec(64, 8);
    s.input = InputEncoding::Pwm;
    s.input_bits = 4;
    const Eigen::MatrixXi w = pm1(64, 8, rng);
    Eigen::MatrixXf x(5, 64);
    for (int b = 0; b < 5; ++b)
        for (int i = 0; i < 64; ++i) x(b, i) = static_cast<float>(std::floor(rng.uniform() * 16));
    AnalogMacro m(c, 0);
    ActionCounter ac;
    m.program(w, s, ac);
    ac.clear();
    m.mvm(x, ac);
    CHECK(ac.get(action::kDac) == static_cast<double>((x.array() != 0.f).count()));
    CHECK(ac.get(action::kRowDrive) == static_cast<double>((x.array() != 0.f).count()));
}
