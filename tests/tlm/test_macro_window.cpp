// Reads ahead (macro_map::LookaheadExtension, sim.stream_window): a macro that reads the
// next vectors of a streamed program ahead answers every one-vector MVM with the same
// result, annotated delay and counts as a macro that reads each on its own, with read noise
// on; a wrong prediction and a reprogramming in the middle of a window change nothing.
#include <catch2/catch.hpp>

#include "models/macro/MramMacro.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;
namespace mm = sotsim::macro_map;

namespace {
Config noisy_config(int window, bool partial) {
    Config c = small_config();
    if (partial) {   // a partial block of an analog accumulation: node values out, not codes
        c.array.weight_encoding = WeightEncoding::Differential;
        c.periphery.readout = ReadoutKind::SenseAmp;
        c.periphery.accumulation.mode = Accumulation::Analog;
        c.periphery.accumulation.noise = 0.3;
    }
    c.sim.ideal = false;
    c.device.read_noise = 0.1;   // every code moves with its draw
    c.device.sigma_p = 0.02;
    c.periphery.adc.bits = 6;
    c.sim.stream_window = window;
    return c;
}

// One macro and its initiator; `ahead` (if set) is offered with every one-vector MVM.
struct Side {
    Config cfg;
    Driver drv;
    MramMacro macro;
    Side(const char* name, int window, bool partial) : cfg(noisy_config(window, partial)), drv((std::string(name) + "_drv").c_str()), macro(name, cfg, 0, 0) {
        drv.out.bind(macro.cfg);
    }
    void program(const Eigen::MatrixXi& w, const phys::BlockSpec& spec) {
        using RowMajorI = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        RowMajorI buf = w;
        Access a(tlm::TLM_WRITE_COMMAND, mm::kWeightBase, buf.data(), static_cast<unsigned>(buf.size() * 4));
        a.t.set_extension(new mm::BlockSpecExtension(&spec));
        drv.out->b_transport(a.t, a.delay);
        REQUIRE(a.t.is_response_ok());
    }
    // One vector at `at`: its outputs and the annotated end.
    std::pair<std::vector<float>, sc_time> read(std::vector<float> x, int cols, const sc_time& at,
                                                 std::function<int(int, float*)> ahead = {}) {
        Access a(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), static_cast<unsigned>(x.size() * 4));
        a.delay = at;
        if (ahead) a.t.set_extension(new mm::LookaheadExtension(std::move(ahead)));
        drv.out->b_transport(a.t, a.delay);
        REQUIRE(a.t.is_response_ok());
        std::vector<float> y(static_cast<std::size_t>(cols));
        Access rd(tlm::TLM_READ_COMMAND, mm::kOutputBase, y.data(), static_cast<unsigned>(y.size() * 4));
        rd.delay = a.delay;
        drv.out->b_transport(rd.t, rd.delay);
        REQUIRE(rd.t.is_response_ok());
        return {y, a.delay};
    }
};

std::vector<float> vec(int rows, int salt, float lo) {
    std::vector<float> x(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) x[static_cast<std::size_t>(i)] = ((i * 5 + salt * 3 + salt * salt) % 7) < 3 ? 1.f : lo;
    return x;
}

void windowed_equals_single(bool partial) {
    const int rows = 16;
    Side windowed("macro_w", 8, partial), single("macro_s", 1, partial);
    const int lc = phys::AnalogMacro::logical_cols(windowed.cfg, 1);
    const auto wa = pattern_weights(rows, lc, 1), wb = pattern_weights(rows, lc, 4);
    auto spec = binary_spec(rows, lc);
    if (partial) {
        spec.input = InputEncoding::Signed;
        spec.readout = ReadoutKind::SenseAmp;
        spec.analog_sum = phys::AnalogSum::Partial;
    }
    const float lo = partial ? -1.f : 0.f;
    windowed.program(wa, spec);
    single.program(wa, spec);
    REQUIRE(windowed.macro.analog().reads_batch_exact());

    const int n = 10;
    std::vector<std::vector<float>> x;
    for (int i = 0; i < n; ++i) x.push_back(vec(rows, i, lo));
    x[3] = x[2];   // the same input twice in a row: each still its own noise draw
    int asked_max = -1;
    // What the initiator predicts for sample s + 1 on: right, except sample 5 (mispredicted).
    auto ahead_from = [&](int s) {
        return [&, s](int max, float* out) {
            asked_max = max;
            int k = 0;
            for (int j = s + 1; j < n && k < max; ++j, ++k) {
                std::vector<float> p = x[static_cast<std::size_t>(j)];
                if (j == 5) p[0] = p[0] == 1.f ? lo : 1.f;
                std::copy(p.begin(), p.end(), out + static_cast<std::ptrdiff_t>(k) * rows);
            }
            return k;
        };
    };
    sc_time tw = SC_ZERO_TIME, ts = SC_ZERO_TIME;
    std::vector<std::vector<float>> yw, ys;
    for (int i = 0; i < n; ++i) {
        if (i == 7) {   // a new block in the middle of the window opened at sample 5
            windowed.program(wb, spec);
            single.program(wb, spec);
        }
        auto [a, ta] = windowed.read(x[static_cast<std::size_t>(i)], lc, tw, ahead_from(i));
        auto [b, tb] = single.read(x[static_cast<std::size_t>(i)], lc, ts);
        CHECK(a == b);
        CHECK(ta == tb);
        yw.push_back(a);
        ys.push_back(b);
        tw = ta;
        ts = tb;
    }
    CHECK(asked_max == 7);   // sim.stream_window - 1 vectors ahead
    // Windows: samples 0-7 opened at 0 (1-4 answered), a miss at 5 opens 5-9 (6 answered),
    // the program at 7 drops it, 7 opens 7-9 (8, 9 answered).
    CHECK(windowed.macro.windowed_vectors() == 7);
    CHECK(single.macro.windowed_vectors() == 0);
    CHECK(yw[2] != yw[3]);   // equal inputs, different draws: the noise is on
    CHECK(windowed.macro.actions().counts() == single.macro.actions().counts());
    CHECK(windowed.macro.actions().energies() == single.macro.actions().energies());
    const auto sw = windowed.macro.stats(), ss = single.macro.stats();
    REQUIRE(sw.size() == ss.size());
    for (std::size_t k = 0; k < sw.size(); ++k) {
        INFO(sw[k].name);
        CHECK(sw[k].value == ss[k].value);
    }
}
}  // namespace

TEST_CASE("macro window: reads ahead answer like single reads, across a misprediction and a reprogramming",
          "[tlm][macro][window]") {
    windowed_equals_single(false);
}

TEST_CASE("macro window: a partial analog-sum block's node values read ahead equal single reads", "[tlm][macro][window]") {
    windowed_equals_single(true);
}
