// The differential ADC reads a pair as I+ - I- in one GEMM of the logical width (the
// pair's signal D = S+ - S- and noise variance V+ + V-, CrossbarArray::pack_pairs). Checked
// against the analytic mean and read-noise variance of nominal cells, and against the
// single-ended readout that reads both columns apart.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"
#include "tests/unit/physics/RandomPm1.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

Config pair_config(double read_noise, AdcInput input) {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.device.stack = 1;
    c.device.sigma_p = 0.0;   // nominal cells: G_P = 1/R_P, G_AP = 1/(R_P (1 + TMR))
    c.device.sigma_ap = 0.0;
    c.device.read_noise = read_noise;
    c.periphery.adc.input = input;
    c.macro.calibration = false;
    return c;
}

// The cells' own conductances of w's block (same macro id, so the same sampled cells),
// read column by column: one row driven at a time, single-ended, no noise, no IR drop, so
// I_c = v G_ic. rows x physical columns.
Eigen::MatrixXd cell_conductances(const Eigen::MatrixXi& w) {
    const Config c = pair_config(0.0, AdcInput::SingleEnded);
    BlockSpec s;
    s.rows = static_cast<int>(w.rows());
    s.cols = static_cast<int>(w.cols());
    AnalogMacro m(c, 3);
    ActionCounter ac;
    m.program(w, s, ac);
    m.mvm(Eigen::MatrixXf::Identity(s.rows, s.rows), ac);
    return m.last_column_currents() / c.array.v_read;
}

struct Read {
    Eigen::MatrixXi w;          // weights as stored
    Eigen::MatrixXd diff;       // batch x pairs: I+ - I- before conversion (A)
};

Read read_pairs(const Config& c, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x) {
    BlockSpec s;
    s.rows = static_cast<int>(w.rows());
    s.cols = static_cast<int>(w.cols());
    AnalogMacro m(c, 3);
    ActionCounter ac;
    m.program(w, s, ac);
    m.mvm(x, ac);
    const Eigen::MatrixXd& cur = m.last_column_currents();   // [u+ | u-] per logical column
    Read r{m.read_weights(), Eigen::MatrixXd(x.rows(), s.cols)};
    const bool diff = c.periphery.adc.input == AdcInput::Differential;
    for (int j = 0; j < s.cols; ++j) {
        r.diff.col(j) = cur.col(2 * j);
        if (!diff) r.diff.col(j) -= cur.col(2 * j + 1);
        else CHECK(cur.col(2 * j + 1).cwiseAbs().maxCoeff() == 0.0);   // the - column is never read apart
    }
    return r;
}

}  // namespace

TEST_CASE("Differential pair read: analytic mean and noise variance, same as reading the columns apart", "[physics][macro][noise]") {
    const int rows = 64, cols = 32, batch = 512;
    Rng rng = Rng::derive(11, 0, "diff_read_test");
    const Eigen::MatrixXi w = testdata::pm1(rows, cols, rng);
    // One input vector repeated: every sample of a column has the same mean and variance.
    Eigen::RowVectorXf b(rows);
    for (int i = 0; i < rows; ++i) b(i) = i % 2 == 0 ? 1.0f : 0.0f;
    const Eigen::MatrixXf x = b.replicate(batch, 1);

    const Config c0 = pair_config(0.0, AdcInput::Differential);
    const double v = c0.array.v_read, gp = 1.0 / c0.device.r_p, gap = 1.0 / (c0.device.r_p * (1.0 + c0.device.tmr));

    SECTION("noiseless: I+ - I- = v (G_P - G_AP) b.w exactly") {
        const Read r = read_pairs(c0, w, x.topRows(4));
        const Eigen::RowVectorXd dot = b.cast<double>() * r.w.cast<double>();
        for (int j = 0; j < cols; ++j)
            CHECK(r.diff(0, j) == Approx(v * (gp - gap) * dot(j)).epsilon(1e-6).margin(1e-6 * v * gp));
    }
    SECTION("read noise: var(I+ - I-) = (rn v)^2 sum_i b_i (G+_i^2 + G-_i^2) per pair, both readouts") {
        const double rn = 0.05;
        const Eigen::MatrixXd g = cell_conductances(w);   // the cells' own, rows x physical columns
        for (AdcInput in : {AdcInput::Differential, AdcInput::SingleEnded}) {
            const Read r = read_pairs(pair_config(rn, in), w, x);
            double sq = 0.0, var = 0.0, mean_err = 0.0;
            for (int j = 0; j < cols; ++j) {
                double mu = 0.0, vj = 0.0;
                for (int i = 0; i < rows; ++i) {
                    mu += b(i) * v * (g(i, 2 * j) - g(i, 2 * j + 1));
                    vj += b(i) * (g(i, 2 * j) * g(i, 2 * j) + g(i, 2 * j + 1) * g(i, 2 * j + 1));
                }
                vj *= rn * rn * v * v;
                const Eigen::ArrayXd d = r.diff.col(j).array() - mu;
                sq += d.square().sum() / vj;
                var += vj;
                mean_err = std::max(mean_err, std::abs(d.mean()) / std::sqrt(vj / batch));
            }
            // 16384 standardised samples: the pooled variance ratio has ~1.1 % sigma; each
            // column's mean error is N(0, 1) in these units.
            CHECK(sq / (static_cast<double>(batch) * cols) == Approx(1.0).epsilon(0.05));
            CHECK(mean_err < 5.0);
        }
    }
}

// A sense-amp block takes the general path, whose one-cycle read keeps its currents as read
// and forms them when asked (AnalogMacroImpl::column_currents): each physical column's
// current is weight * v G^T a, with a the 0/1 plane and weight 2 for +-1 inputs
// ((x + 1) / 2 read, times 2), 1 for 0/1 inputs.
TEST_CASE("Sense-amp block: kept column currents are the plane's v G^T a times the input weight", "[physics][macro]") {
    const int rows = 64, cols = 32, batch = 5;
    Rng rng = Rng::derive(12, 0, "sense_currents_test");
    const Eigen::MatrixXi w = testdata::pm1(rows, cols, rng);
    const Config c = pair_config(0.0, AdcInput::Differential);
    const double v = c.array.v_read;
    const Eigen::MatrixXd g = cell_conductances(w);   // the cells' own, rows x physical columns
    Eigen::MatrixXf a(batch, rows);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < rows; ++i) a(b, i) = rng.uniform() < 0.5 ? 1.0f : 0.0f;
    for (const bool signed_in : {true, false}) {
        BlockSpec s;
        s.rows = rows;
        s.cols = cols;
        s.input = signed_in ? InputEncoding::Signed : InputEncoding::Binary;
        s.readout = ReadoutKind::SenseAmp;
        s.threshold.assign(static_cast<size_t>(cols), 0.0f);
        AnalogMacro m(c, 3);
        ActionCounter ac;
        m.program(w, s, ac);
        const Eigen::MatrixXf x = signed_in ? Eigen::MatrixXf((2.0f * a.array() - 1.0f).matrix()) : a;
        m.mvm(x.topRows(2), ac);   // an earlier read: the currents are the last call's
        m.mvm(x, ac);
        const Eigen::MatrixXd expect = (signed_in ? 2.0 : 1.0) * v * (a.cast<double>() * g);
        const Eigen::MatrixXd& got = m.last_column_currents();
        REQUIRE(got.rows() == batch);
        REQUIRE(got.cols() == expect.cols());
        CHECK((got - expect).cwiseAbs().maxCoeff() <= 1e-9 * expect.cwiseAbs().maxCoeff());
    }
}
