// AnalogMacro::read_cost gives, without reading, exactly what a one-vector mvm_rows() counts
// and returns (the windowed reads of a streamed program, models/macro/MramMacro.h, account
// each sample with it), and reads() / rewind_reads() put the block's noise streams back so
// that a vector read again draws what it drew before.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"
#include "RandomPm1.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

struct Case {
    const char* name;
    ReadoutKind readout;
    InputEncoding input;
    int input_bits;
    bool differential;     // differential weights, I+ - I- ADC
    AnalogSum sum;
    bool exact;            // expected reads_batch_exact()
};

Config config_of(const Case& k) {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.array.summation = Summation::Current;
    c.device.read_noise = 0.03;         // a noisy read: the counts must not depend on it
    c.device.sigma_p = 0.02;
    c.periphery.adc.bits = 6;
    c.macro.calibration = false;
    // Differential pairs read as I+ - I- (the fused pair readout), or a reference column
    // (the column-by-column path).
    c.array.weight_encoding = k.differential ? WeightEncoding::Differential : WeightEncoding::Reference;
    if (k.sum != AnalogSum::None) {
        c.array.weight_encoding = WeightEncoding::Differential;
        c.periphery.accumulation.mode = Accumulation::Analog;
        c.periphery.accumulation.noise = 0.3;
    }
    return c;
}

Eigen::MatrixXf inputs(int n, int rows, const Case& k, Rng& rng) {
    Eigen::MatrixXf x(n, rows);
    const int maxv = (1 << k.input_bits) - 1;
    for (int b = 0; b < n; ++b)
        for (int i = 0; i < rows; ++i) {
            const double u = rng.uniform();
            if (k.input == InputEncoding::Signed) x(b, i) = u < 0.5 ? 1.f : -1.f;
            else if (k.input == InputEncoding::Binary) x(b, i) = u < 0.3 ? 1.f : 0.f;   // uneven drives
            else x(b, i) = static_cast<float>(std::floor(u * (maxv + 1)));
        }
    return x;
}

}  // namespace

TEST_CASE("read_cost: the counts and latency of a one-vector read, bit for bit", "[physics][macro][window]") {
    const Case cases[] = {
        {"adc binary", ReadoutKind::Adc, InputEncoding::Binary, 1, false, AnalogSum::None, true},
        {"adc bit-serial differential (carletti fc1)", ReadoutKind::Adc, InputEncoding::BitSerial, 2, true, AnalogSum::None, true},
        {"adc bit-serial 3 bits", ReadoutKind::Adc, InputEncoding::BitSerial, 3, false, AnalogSum::None, true},
        {"adc pwm 3 bits", ReadoutKind::Adc, InputEncoding::Pwm, 3, false, AnalogSum::None, false},
        {"sense amp signed", ReadoutKind::SenseAmp, InputEncoding::Signed, 1, true, AnalogSum::None, true},
        {"sense amp partial analog sum", ReadoutKind::SenseAmp, InputEncoding::Signed, 1, true, AnalogSum::Partial, true},
        {"sigmoid neuron", ReadoutKind::SigmoidNeuron, InputEncoding::Binary, 1, false, AnalogSum::None, false},
    };
    for (const Case& k : cases) {
        INFO(k.name);
        const Config c = config_of(k);
        Rng rng = Rng::derive(11, 0, "read_cost");
        BlockSpec s;
        s.rows = 40;
        s.cols = 12;
        s.input = k.input;
        s.input_bits = k.input_bits;
        s.readout = k.readout;
        s.analog_sum = k.sum;
        if (k.readout != ReadoutKind::Adc) s.threshold.assign(12, 0.5f);
        const Eigen::MatrixXi w = testdata::pm1(s.rows, s.cols, rng);
        AnalogMacro m(c, 3);
        ActionCounter prog;
        m.program(w, s, prog);
        REQUIRE(m.read_cost_separable());
        CHECK(m.reads_batch_exact() == k.exact);
        using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const RowMatrixXf x = inputs(12, s.rows, k, rng);
        std::vector<float> y(static_cast<std::size_t>(s.cols));
        double energy_seen = -1.0;
        bool energies_differ = false;
        for (int b = 0; b < x.rows(); ++b) {
            ActionCounter read, cost;
            const double t_read = m.mvm_rows(x.row(b).data(), 1, y.data(), read);
            const double t_cost = m.read_cost(x.row(b).data(), cost);
            CHECK(t_cost == t_read);
            CHECK(cost.counts() == read.counts());
            CHECK(cost.energies() == read.energies());
            const double e = read.physics_energy("array_read");
            if (energy_seen >= 0 && e != energy_seen) energies_differ = true;
            energy_seen = e;
        }
        // The array energy depends on the input (so the comparison above is of data-dependent
        // figures, not of constants).
        CHECK(energies_differ);
    }
}

TEST_CASE("read_cost: refused where the counts need the read itself", "[physics][macro][window]") {
    Config c;
    c.array.rows = 32;
    c.array.cols = 32;
    c.array.summation = Summation::Resistance;
    c.periphery.readout = ReadoutKind::Tdc;
    c.macro.calibration = false;
    Rng rng = Rng::derive(2, 0, "read_cost_tdc");
    BlockSpec s;
    s.rows = 16;
    s.cols = 8;
    s.input = InputEncoding::Binary;
    s.readout = ReadoutKind::Tdc;
    AnalogMacro m(c, 0);
    ActionCounter ac;
    CHECK_FALSE(m.read_cost_separable());   // not programmed
    m.program(testdata::pm1(s.rows, s.cols, rng), s, ac);
    CHECK_FALSE(m.read_cost_separable());   // TDC counts its counter increments from the read
    CHECK_FALSE(m.reads_batch_exact());
    std::vector<float> x(16, 1.0f);
    CHECK_THROWS_WITH(m.read_cost(x.data(), ac), Catch::Contains("depend on the read itself"));
}

TEST_CASE("reads() / rewind_reads(): a vector read again after a rewind draws the same noise", "[physics][macro][window]") {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.device.read_noise = 0.2;   // large: every output code moves with the draw
    c.periphery.adc.bits = 8;
    c.macro.calibration = false;
    Rng rng = Rng::derive(4, 0, "rewind");
    BlockSpec s;
    s.rows = 48;
    s.cols = 16;
    s.input = InputEncoding::Binary;
    AnalogMacro m(c, 1);
    ActionCounter ac;
    m.program(testdata::pm1(s.rows, s.cols, rng), s, ac);
    CHECK(m.reads() == 0);
    std::vector<float> x(48);
    for (auto& v : x) v = rng.uniform() < 0.5 ? 1.f : 0.f;
    std::vector<std::vector<float>> y(4, std::vector<float>(16));
    for (auto& yi : y) m.mvm_rows(x.data(), 1, yi.data(), ac);   // the same vector four times
    CHECK(m.reads() == 4);
    CHECK(y[0] != y[1]);   // the noise really moves it: each read is its own draw
    m.rewind_reads(1);
    CHECK(m.reads() == 1);
    std::vector<float> again(16);
    m.mvm_rows(x.data(), 1, again.data(), ac);
    CHECK(again == y[1]);   // read 1 again, not a fresh draw
    CHECK(m.reads() == 2);
    CHECK_THROWS_WITH(m.rewind_reads(3), Catch::Contains("cannot skip reads"));
}
