// The fused per-vector differential readout (PairReadout) against the general
// column-by-column path of the same macro (AnalogMacro::set_fused_readout(false)).
//
// Both read the same unit currents and draw the same normals (one stream per vector and
// input cycle), then convert, calibrate and combine; they differ only in summation order
// and FMA contraction inside one element. So: the converter input I+ - I- agrees to
// rounding, and the outputs agree exactly except where a converter input lies within
// rounding of a code threshold -- there the two may pick neighbouring codes, which moves
// an output by that column's place value (one LSB of the digit times its weight), never
// more. Checked over the encodings, weight precisions, calibration, read noise and exact
// IR drop the fused pass covers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

struct Case {
    std::string name;
    InputEncoding input = InputEncoding::Binary;
    int input_bits = 1;
    int weight_bits = 1;
    double read_noise = 0.0;
    bool calibration = false;
    bool ir_exact = false;
    int adc_bits = 6;   // 6: 64 levels, read by a gather; <= 5: by permutes (the one-pass combine)
    int n = 64;         // array rows and columns
    int batch = 96;     // 1024 at n = 256: the kept inputs (0.5 MB) written past the caches
};

Config case_config(const Case& k) {
    Config c;
    c.array.rows = k.n;
    c.array.cols = k.n;
    c.array.ir_drop = k.ir_exact ? IrDropMode::Exact : IrDropMode::Off;
    c.device.read_noise = k.read_noise;   // d2d spread: the Config defaults (sampled cells)
    c.macro.calibration = k.calibration;
    c.periphery.adc.bits = k.adc_bits;
    c.sim.seed = 7;
    return c;
}

struct Out {
    Eigen::MatrixXf y;
    Eigen::MatrixXd currents;
    std::pair<double, double> range;
    bool fused = false;
};

Out run(const Case& k, bool fused, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x) {
    const Config c = case_config(k);
    BlockSpec s;
    s.rows = static_cast<int>(w.rows());
    s.cols = static_cast<int>(w.cols());
    s.weight_bits = k.weight_bits;
    s.input = k.input;
    s.input_bits = k.input_bits;
    AnalogMacro m(c, 5);   // same id and seed: the same sampled cells and noise streams
    m.set_fused_readout(fused);
    ActionCounter ac;
    m.program(w, s, ac);
    Out o;
    o.fused = m.fused_readout_active();
    o.y = m.mvm(x, ac).y;
    o.currents = m.last_column_currents();
    o.range = m.adc_range();
    return o;
}

}  // namespace

TEST_CASE("Fused pair readout equals the general path: same currents, same codes but at thresholds",
          "[physics][macro][adc][pair_readout]") {
    const Case cases[] = {
        {"binary 1-bit", InputEncoding::Binary, 1, 1, 0.0, false, false},
        {"binary 1-bit, noise, calibration", InputEncoding::Binary, 1, 1, 0.03, true, false},
        {"binary 1-bit, noise, exact IR drop", InputEncoding::Binary, 1, 1, 0.03, false, true},
        {"binary 2-bit weights (bit slices)", InputEncoding::Binary, 1, 2, 0.02, true, false},
        {"bit-serial 4-bit inputs", InputEncoding::BitSerial, 4, 1, 0.02, false, false},
        {"bit-serial 3-bit inputs, 2-bit weights, calibration, IR drop", InputEncoding::BitSerial, 3, 2, 0.02, true, true},
        {"PWM 3-bit inputs, noise", InputEncoding::Pwm, 3, 1, 0.02, false, false},
        {"PWM 2-bit inputs, calibration, IR drop", InputEncoding::Pwm, 2, 1, 0.02, true, true},
        {"binary 1-bit, noise, calibration, 5-bit ADC", InputEncoding::Binary, 1, 1, 0.03, true, false, 5},
        {"binary 1-bit, noise, calibration, 5-bit ADC, 256 x 256, batch 1024", InputEncoding::Binary, 1, 1, 0.03, true, false, 5, 256,
         1024},
        {"PWM 3-bit inputs, noise, calibration, 5-bit ADC, batch 1", InputEncoding::Pwm, 3, 1, 0.02, true, false, 5, 64, 1},
    };
    for (const Case& k : cases) {
        DYNAMIC_SECTION(k.name) {
            const Config c = case_config(k);
            const int rows = AnalogMacro::logical_rows(c, k.weight_bits);
            const int cols = AnalogMacro::logical_cols(c, k.weight_bits);
            REQUIRE(rows > 0);
            REQUIRE(cols > 0);
            Rng rng = Rng::derive(23, 0, "pair_readout_equivalence");
            const int wmax = (1 << (k.weight_bits - 1)) - (k.weight_bits == 1 ? 0 : 1);
            Eigen::MatrixXi w(rows, cols);
            for (int i = 0; i < rows; ++i)
                for (int j = 0; j < cols; ++j) {
                    if (k.weight_bits == 1)
                        w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
                    else
                        w(i, j) = static_cast<int>(std::floor(rng.uniform() * (2 * wmax + 1))) - wmax;
                }
            const int batch = k.batch;
            const int levels = 1 << k.input_bits;
            Eigen::MatrixXf x(batch, rows);
            for (int b = 0; b < batch; ++b)
                for (int i = 0; i < rows; ++i)
                    x(b, i) = k.input_bits == 1 ? (rng.uniform() < 0.5 ? 1.0f : 0.0f)
                                                : static_cast<float>(std::floor(rng.uniform() * levels));

            const Out f = run(k, true, w, x);
            const Out g = run(k, false, w, x);
            REQUIRE(f.fused);    // the case really exercises the fused pass
            REQUIRE_FALSE(g.fused);
            // The ADC range comes from programming (design or calibration vectors), not from
            // the readout path.
            CHECK(f.range == g.range);

            // Converter inputs (on the + column of every pair) to rounding.
            REQUIRE(f.currents.rows() == g.currents.rows());
            REQUIRE(f.currents.cols() == g.currents.cols());
            const double scale = g.currents.cwiseAbs().maxCoeff();
            REQUIRE(scale > 0.0);
            CHECK((f.currents - g.currents).cwiseAbs().maxCoeff() <= 1e-9 * scale);

            // Outputs: equal to rounding, except at most a handful of threshold cases (a value
            // within rounding of a code boundary). A wrong pairing, calibration term (even a
            // 1 % offset error) or cycle weight moves most outputs, not a handful.
            REQUIRE(f.y.rows() == batch);
            REQUIRE(f.y.cols() == cols);
            int differ = 0;
            double worst = 0.0;
            for (int b = 0; b < batch; ++b)
                for (int j = 0; j < cols; ++j) {
                    const double d = std::abs(static_cast<double>(f.y(b, j)) - g.y(b, j));
                    if (d > 1e-6 * (1.0 + std::abs(g.y(b, j)))) ++differ;
                    worst = std::max(worst, d);
                }
            INFO("outputs differing: " << differ << " of " << batch * cols << ", largest " << worst);
            CHECK(differ <= std::max(1, batch * cols / 1000));
            // Not a trivial comparison: the outputs spread over many values.
            CHECK(g.y.cwiseAbs().maxCoeff() > 2.0f);
        }
    }
}

TEST_CASE("Ideal bit-serial MVM is the exact integer product up to 16-bit inputs, fused readout on or off",
          "[physics][macro][pair_readout][ideal]") {
    for (const int bits : {4, 8, 16}) {
        DYNAMIC_SECTION(bits << "-bit inputs") {
            Config c = case_config(Case{"ideal", InputEncoding::BitSerial, bits, 2, 0.0, false, false});
            c.sim.ideal = true;
            const int rows = AnalogMacro::logical_rows(c, 2), cols = AnalogMacro::logical_cols(c, 2);
            Rng rng = Rng::derive(29, static_cast<std::uint64_t>(bits), "pair_readout_ideal");
            Eigen::MatrixXi w(rows, cols);
            for (int i = 0; i < rows; ++i)
                for (int j = 0; j < cols; ++j) w(i, j) = static_cast<int>(std::floor(rng.uniform() * 3)) - 1;
            const double top = std::ldexp(1.0, bits) - 1.0;
            Eigen::MatrixXf x(16, rows);
            for (int b = 0; b < 16; ++b)
                for (int i = 0; i < rows; ++i)
                    x(b, i) = b == 0 ? static_cast<float>(top)   // the largest input on every row
                                     : static_cast<float>(std::floor(rng.uniform() * (top + 1.0)));
            BlockSpec s;
            s.rows = rows;
            s.cols = cols;
            s.weight_bits = 2;
            s.input = InputEncoding::BitSerial;
            s.input_bits = bits;
            // The exact products in double (|x . w| <= 64 (2^16 - 1) < 2^24: exact in float too).
            const Eigen::MatrixXd exact = x.cast<double>() * w.cast<double>();
            for (const bool fused : {true, false}) {
                AnalogMacro m(c, 1);
                m.set_fused_readout(fused);
                ActionCounter ac;
                m.program(w, s, ac);
                const Eigen::MatrixXf y = m.mvm(x, ac).y;
                INFO("fused readout " << fused);
                CHECK((y.cast<double>() - exact).cwiseAbs().maxCoeff() == 0.0);
            }
        }
    }
}

TEST_CASE("Fused pair readout: a vector read alone gives the bits it gets inside a batch",
          "[physics][macro][adc][pair_readout]") {
    // One stream per vector and input cycle, keyed by the block's read count: reading a batch
    // in one call or vector by vector (the one-row output path, out_ld == 1) must give the
    // same outputs bit for bit, whatever ADC path (gather or permutes) and encoding.
    const Case cases[] = {
        {"binary 1-bit, noise, calibration, 5-bit ADC", InputEncoding::Binary, 1, 1, 0.03, true, false, 5},
        {"binary 1-bit, noise, 6-bit ADC", InputEncoding::Binary, 1, 1, 0.03, false, false, 6},
        {"PWM 3-bit inputs, noise, calibration, 5-bit ADC", InputEncoding::Pwm, 3, 1, 0.02, true, false, 5},
        {"bit-serial 3-bit inputs, 2-bit weights, noise", InputEncoding::BitSerial, 3, 2, 0.02, false, false, 6},
    };
    for (const Case& k : cases) {
        DYNAMIC_SECTION(k.name) {
            const Config c = case_config(k);
            const int rows = AnalogMacro::logical_rows(c, k.weight_bits);
            const int cols = AnalogMacro::logical_cols(c, k.weight_bits);
            Rng rng = Rng::derive(31, 0, "pair_readout_alone");
            const int wmax = (1 << (k.weight_bits - 1)) - (k.weight_bits == 1 ? 0 : 1);
            Eigen::MatrixXi w(rows, cols);
            for (int i = 0; i < rows; ++i)
                for (int j = 0; j < cols; ++j)
                    w(i, j) = k.weight_bits == 1 ? (rng.uniform() < 0.5 ? -1 : 1)
                                                 : static_cast<int>(std::floor(rng.uniform() * (2 * wmax + 1))) - wmax;
            const int batch = 21, levels = 1 << k.input_bits;
            Eigen::MatrixXf x(batch, rows);
            for (int b = 0; b < batch; ++b)
                for (int i = 0; i < rows; ++i)
                    x(b, i) = k.input_bits == 1 ? (rng.uniform() < 0.5 ? 1.0f : 0.0f)
                                                : static_cast<float>(std::floor(rng.uniform() * levels));
            BlockSpec s;
            s.rows = rows;
            s.cols = cols;
            s.weight_bits = k.weight_bits;
            s.input = k.input;
            s.input_bits = k.input_bits;
            AnalogMacro whole(c, 5), alone(c, 5);   // same id and seed: same cells and streams
            ActionCounter ac;
            whole.program(w, s, ac);
            alone.program(w, s, ac);
            REQUIRE(whole.fused_readout_active());
            const Eigen::MatrixXf y = whole.mvm(x, ac).y;
            int differ = 0;
            for (int b = 0; b < batch; ++b) {
                const Eigen::MatrixXf yb = alone.mvm(x.row(b), ac).y;
                REQUIRE(yb.rows() == 1);
                for (int j = 0; j < cols; ++j) differ += yb(0, j) != y(b, j);
            }
            CHECK(differ == 0);
            CHECK(y.cwiseAbs().maxCoeff() > 2.0f);   // outputs spread over many values
        }
    }
}
