// Read-time randomness is derived per (seed, macro, block, vector, cycle): the same vectors
// read in one call, one at a time, or in uneven chunks give identical outputs (batch
// invariance), while noise is really there and differs between vectors.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

struct Case {
    const char* name;
    Summation sum;
    ReadoutKind readout;
    InputEncoding input;
    int input_bits;
};

Config noisy_config(const Case& k) {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.device.stack = 1;
    c.array.summation = k.sum;
    c.device.r_access = 2e3;
    c.device.sigma_p = 0.03;
    c.device.read_noise = 0.05;        // 5 %: every output moves
    c.periphery.adc.bits = 8;
    c.periphery.tdc.bits = 8;
    c.periphery.neuron.noise = 0.05;
    c.macro.calibration = true;        // calibration reads draw noise too
    return c;
}

Eigen::MatrixXf inputs(int n, int rows, const Case& k, Rng& rng) {
    Eigen::MatrixXf x(n, rows);
    const int maxv = (1 << k.input_bits) - 1;
    for (int b = 0; b < n; ++b)
        for (int i = 0; i < rows; ++i)
            x(b, i) = k.input == InputEncoding::Binary ? (rng.uniform() < 0.5 ? 1.f : 0.f)
                                                       : static_cast<float>(std::floor(rng.uniform() * (maxv + 1)));
    return x;
}

}  // namespace

TEST_CASE("Read noise does not depend on how vectors are split into calls", "[physics][macro][noise][determinism]") {
    const Case cases[] = {
        {"current adc binary", Summation::Current, ReadoutKind::Adc, InputEncoding::Binary, 1},
        {"current adc bit-serial", Summation::Current, ReadoutKind::Adc, InputEncoding::BitSerial, 3},
        {"current pwm", Summation::Current, ReadoutKind::Adc, InputEncoding::Pwm, 3},
        {"resistance tdc", Summation::Resistance, ReadoutKind::Tdc, InputEncoding::Binary, 1},
        {"sigmoid neuron", Summation::Current, ReadoutKind::SigmoidNeuron, InputEncoding::Binary, 1},
    };
    for (const Case& k : cases) {
        INFO(k.name);
        const Config c = noisy_config(k);
        Rng rng = Rng::derive(5, 0, "batch_invariance");
        BlockSpec s;
        s.rows = 48;
        s.cols = 12;
        s.input = k.input;
        s.input_bits = k.input_bits;
        s.readout = k.readout;
        if (k.readout == ReadoutKind::SigmoidNeuron) s.threshold.assign(12, 0.0f);
        Eigen::MatrixXi w(s.rows, s.cols);
        for (int i = 0; i < s.rows; ++i)
            for (int j = 0; j < s.cols; ++j) w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
        const int n = 64;
        Eigen::MatrixXf x = inputs(n, s.rows, k, rng);
        x.row(1) = x.row(0);   // the same input twice: noise must still differ

        auto read = [&](const Config& cfg, int id, const std::vector<int>& chunks) {
            AnalogMacro m(cfg, id);
            ActionCounter ac;
            m.program(w, s, ac);
            Eigen::MatrixXf y(n, s.cols);
            Eigen::MatrixXd cur(n, m.physical_cols(cfg, s.weight_bits, s.cols));
            int at = 0;
            for (int len : chunks) {
                const MvmResult r = m.mvm(x.middleRows(at, len), ac);
                y.middleRows(at, len) = r.y;
                cur.middleRows(at, len) = m.last_column_currents();
                at += len;
            }
            REQUIRE(at == n);
            return std::make_pair(y, cur);
        };
        const auto whole = read(c, 7, {n});
        const auto ones = read(c, 7, std::vector<int>(static_cast<size_t>(n), 1));
        const auto uneven = read(c, 7, {5, 40, 19});
        if (k.readout == ReadoutKind::SigmoidNeuron) {
            // An analog output: equal up to the rounding of the column signal.
            CHECK((whole.first - ones.first).cwiseAbs().maxCoeff() <= 1e-5f);
            CHECK((whole.first - uneven.first).cwiseAbs().maxCoeff() <= 1e-5f);
        } else {
            // Converter codes: identical.
            REQUIRE(whole.first == ones.first);
            REQUIRE(whole.first == uneven.first);
        }
        // The column currents agree to rounding: the noise draws are identical, but a GEMV
        // (one vector) and a GEMM sum in different orders, in single precision (the signal
        // and variance GEMM is float, CrossbarArray::units_into: a few 1e-7 relative of the
        // 48-term column sums; 1e-6 of full scale is ~1e-4 of one digit step here).
        const double scale = whole.second.cwiseAbs().maxCoeff();
        CHECK((whole.second - ones.second).cwiseAbs().maxCoeff() <= 1e-6 * scale);
        CHECK((whole.second - uneven.second).cwiseAbs().maxCoeff() <= 1e-6 * scale);

        // The noise is there: equal inputs read differently (and only because of the noise).
        REQUIRE(whole.second.row(0) != whole.second.row(1));
        if (k.readout == ReadoutKind::SigmoidNeuron) REQUIRE(whole.first.row(0) != whole.first.row(1));
        Config quiet = c;
        quiet.device.read_noise = 0.0;
        quiet.periphery.neuron.noise = 0.0;
        const auto clean = read(quiet, 7, {n});
        REQUIRE(clean.second.row(0) == clean.second.row(1));
    }
}
