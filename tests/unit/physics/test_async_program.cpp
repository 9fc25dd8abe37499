// Programs finished as tasks (AnalogMacro::begin_program_async): the cells' sampling, IR-drop
// solve, range measurement and calibration run on the sim.threads pool while other macros
// are written. Each macro's program must be bit for bit the program() of the same macro --
// result, counted actions and energies, and what the block reads afterwards -- whatever the
// thread count and the order in which the programs are finished, also when a macro is
// programmed again (its write stream continues), with and without program-verify, and for
// XNOR blocks with idle rows.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

Eigen::MatrixXi pm1_weights(int rows, int cols, std::uint64_t seed) {
    Rng rng(seed);
    Eigen::MatrixXi w(rows, cols);
    for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = rng.uniform() < 0.5 ? -1 : 1;
    return w;
}

Eigen::MatrixXf binary_inputs(int batch, int rows, std::uint64_t seed) {
    Rng rng(seed);
    Eigen::MatrixXf x(batch, rows);
    for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = rng.uniform() < 0.5 ? 1.f : 0.f;
    return x;
}

// Differential current summation into a calibrated ADC, with every random effect on.
Config current_config() {
    Config c;
    c.array.rows = 48;
    c.array.cols = 48;
    c.device.stack = 1;
    c.device.sigma_p = 0.05;
    c.device.sigma_macro = 0.05;
    c.device.read_noise = 0.02;
    c.device.wer_floor = 0.02;   // write errors, repaired by verify pulses
    c.device.verify_max_iter = 2;
    c.periphery.adc.bits = 6;
    c.periphery.adc.offset_sigma = 0.3;
    c.array.ir_drop = IrDropMode::Exact;
    return c;
}

// XNOR cells read by resistance summation: blocks shorter than the array have idle rows.
Config xnor_config() {
    Config c;
    c.array.rows = 40;
    c.array.cols = 48;
    c.device.stack = 1;
    c.device.sigma_p = 0.05;
    c.device.read_noise = 0.02;
    c.array.summation = Summation::Resistance;
    c.array.cell = CellKind::Xnor2T2Mtj;
    return c;
}

struct Outcome {
    double write_s = 0.0;   // the write's time, as begin_program gives it
    ProgramResult r;
    ActionCounter ac;
    Eigen::MatrixXf y;
};

void check_same(const Outcome& a, const Outcome& b) {
    CHECK(a.r.time_s == b.r.time_s);
    CHECK(a.r.pulses == b.r.pulses);
    CHECK(a.r.cells == b.r.cells);
    CHECK(a.r.write_failures == b.r.write_failures);
    CHECK(a.ac.counts() == b.ac.counts());
    CHECK(a.ac.energies() == b.ac.energies());
    CHECK(a.y == b.y);   // exact: same cells, same calibration, same read-noise draws
}

}  // namespace

TEST_CASE("Programs finished as tasks equal program() bitwise, for 1, 2 and 4 threads", "[physics][macro][pool][determinism]") {
    struct Case {
        const char* name;
        Config cfg;
        BlockSpec spec;
    };
    BlockSpec adc;
    adc.rows = 48;
    adc.cols = 12;
    BlockSpec tdc;
    tdc.rows = 30;   // < array rows: idle cells
    tdc.cols = 20;
    tdc.readout = ReadoutKind::Tdc;
    // With program-verify the write runs before the task (its time depends on the
    // failures), without it in the task.
    Config no_verify = current_config();
    no_verify.device.verify_max_iter = 0;
    for (const Case& cs : {Case{"differential ADC, verify", current_config(), adc}, Case{"differential ADC", no_verify, adc},
                           Case{"XNOR TDC", xnor_config(), tdc}}) {
        const int macros = 4, rounds = 2;   // round 1 programs every macro again
        const Eigen::MatrixXf x = binary_inputs(6, cs.spec.rows, 77);
        auto weights = [&](int m, int round) { return pm1_weights(cs.spec.rows, cs.spec.cols, 1000 + 10 * m + round); };
        // Reference: each macro programmed and read round by round with program().
        std::vector<std::vector<Outcome>> expect(macros);
        for (int m = 0; m < macros; ++m) {
            AnalogMacro direct(cs.cfg, m), two_step(cs.cfg, m);
            for (int round = 0; round < rounds; ++round) {
                Outcome o;
                ActionCounter ac2;
                o.write_s = two_step.begin_program(weights(m, round), cs.spec, ac2).time_s;
                two_step.finish_program(ac2);
                o.r = direct.program(weights(m, round), cs.spec, o.ac);
                o.y = direct.mvm(x, o.ac).y;
                expect[static_cast<size_t>(m)].push_back(o);
            }
        }
        for (int threads : {1, 2, 4}) {
            Config cfg = cs.cfg;
            cfg.sim.threads = threads;
            std::vector<AnalogMacro> chip;
            for (int m = 0; m < macros; ++m) chip.emplace_back(cfg, m);
            for (int round = 0; round < rounds; ++round) {
                std::vector<Outcome> got(macros);
                std::vector<ProgramResult> write(macros);
                for (int m = 0; m < macros; ++m) {
                    write[static_cast<size_t>(m)] = chip[static_cast<size_t>(m)].begin_program_async(weights(m, round), cs.spec,
                                                                                                    got[static_cast<size_t>(m)].ac);
                    CHECK(chip[static_cast<size_t>(m)].program_pending());
                }
                // Finished backwards in one round, forwards in the other.
                for (int k = 0; k < macros; ++k) {
                    const int m = round % 2 ? k : macros - 1 - k;
                    got[static_cast<size_t>(m)].r = chip[static_cast<size_t>(m)].finish_program(got[static_cast<size_t>(m)].ac);
                    CHECK(!chip[static_cast<size_t>(m)].program_pending());
                }
                for (int m = 0; m < macros; ++m) {
                    INFO(cs.name << ", threads " << threads << ", round " << round << ", macro " << m);
                    Outcome& o = got[static_cast<size_t>(m)];
                    o.y = chip[static_cast<size_t>(m)].mvm(x, o.ac).y;
                    // The write's time is known at once (also when the write itself runs
                    // in the task); calibration only adds time.
                    CHECK(write[static_cast<size_t>(m)].time_s == expect[static_cast<size_t>(m)][static_cast<size_t>(round)].write_s);
                    CHECK(write[static_cast<size_t>(m)].time_s <= o.r.time_s);
                    check_same(o, expect[static_cast<size_t>(m)][static_cast<size_t>(round)]);
                }
            }
        }
    }
}

TEST_CASE("A program finished as a task is finished with the counter it was begun with", "[physics][macro][pool]") {
    Config cfg = current_config();
    cfg.sim.threads = 2;
    BlockSpec s;
    s.rows = 16;
    s.cols = 8;
    AnalogMacro m(cfg, 3);
    ActionCounter ac, other;
    m.begin_program_async(pm1_weights(16, 8, 5), s, ac);
    CHECK_THROWS_AS(m.finish_program(other), std::logic_error);
    CHECK(m.program_pending());
    m.finish_program(ac);
    CHECK(m.programmed());
    CHECK(ac.get(action::kCellWrite) > 0);
}

TEST_CASE("A macro destroyed with its program's task pending waits for it", "[physics][macro][pool]") {
    Config cfg = current_config();
    cfg.sim.threads = 2;
    BlockSpec s;
    s.rows = 48;
    s.cols = 12;
    auto* ac = new ActionCounter;
    {
        AnalogMacro m(cfg, 1);
        m.begin_program_async(pm1_weights(48, 12, 9), s, *ac);
    }   // the task adds to *ac: it must be done when the macro is gone
    const double reads = ac->get(action::kAdc);
    CHECK(reads > 0);   // calibration conversions, counted by the finished task
    delete ac;
}
