// Layer pipelining on the assembled chip: two hand-written stages on two tiles pass
// activations with Send/Receive (flow control), samples stream, and the steady-state
// interval between samples is the slowest stage's time, not the sum of both.
#include <catch2/catch.hpp>

#include <cmath>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {

constexpr int kWidth = 1024;  // values per sample

// Stage A (tile 0): Load, `ka` sigmoids, Send to tile 1. Stage B (tile 1): Receive, `kb`
// sigmoids, Store. With one digital lane a sigmoid of kWidth values takes kWidth tile
// cycles; the 1-bit tensors make every transfer a few bus cycles, so each stage's time
// per sample is (k * kWidth) tile cycles plus a small transfer overhead.
Program two_stage(int ka, int kb) {
    Program p;
    p.streamed = true;
    p.tile_code.resize(2);
    p.setup_code.resize(2);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, kWidth, 1);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, kWidth, 1);
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = p.output_width = kWidth;
    auto chain = [&](int tile, int first, int k) {
        int cur = first;
        for (int i = 0; i < k; ++i) {
            const int next = add_tensor(p, "t" + std::to_string(tile) + "." + std::to_string(i), Location::Local, tile, 1,
                                        kWidth, 1);
            Instr a;
            a.op = OpCode::Activation;
            a.act = ActKind::Sigmoid;
            a.src = cur;
            a.dst = next;
            p.tile_code[static_cast<std::size_t>(tile)].push_back(a);
            cur = next;
        }
        return cur;
    };
    auto push = [&](int tile, Instr in) { p.tile_code[static_cast<std::size_t>(tile)].push_back(in); };
    const int xa = add_tensor(p, "xa", Location::Local, 0, 1, kWidth, 1);
    const int xb = add_tensor(p, "xb", Location::Local, 1, 1, kWidth, 1);
    Instr l0;
    l0.op = OpCode::Layer;
    l0.layer = 0;
    push(0, l0);
    Instr ld;
    ld.op = OpCode::Load;
    ld.src = in;
    ld.dst = xa;
    push(0, ld);
    const int ya = chain(0, xa, ka);
    Instr sd;
    sd.op = OpCode::Send;
    sd.src = ya;
    sd.peer = 1;
    sd.dst = xb;
    push(0, sd);
    Instr l1;
    l1.op = OpCode::Layer;
    l1.layer = 1;
    push(1, l1);
    Instr rc;
    rc.op = OpCode::Receive;
    rc.peer = 0;
    rc.dst = xb;
    push(1, rc);
    const int yb = chain(1, xb, kb);
    Instr st;
    st.op = OpCode::Store;
    st.src = yb;
    st.dst = out;
    push(1, st);
    for (auto& c : p.tile_code) c.push_back(Instr{});  // End
    return p;
}

Config pipeline_config(double quantum) {
    Config cfg = small_config();
    cfg.tile.digital_lanes = 1;
    cfg.sim.quantum = quantum;
    return cfg;
}

struct Measured {
    double interval_s = 0;   // steady-state time between consecutive samples
    double fill_s = 0;       // duration of a one-sample run
    double max_err = 0;      // |out - sigmoid^(ka+kb)(in)| over all samples
};

Measured measure(Accelerator& acc, const Program& p, int ka, int kb) {
    Measured m;
    auto run = [&](int batch) {
        acc.set_batch(batch);
        auto x = acc.gbuf.tensor(p.input_tensor);
        for (int s = 0; s < batch; ++s)
            for (int c = 0; c < kWidth; ++c) x(s, c) = static_cast<float>(((s * 7 + c * 3) % 11) - 5) * 0.3f;
        const Eigen::MatrixXf xin = x;
        const double t = acc.run_blocking(false).to_seconds();
        const auto& y = acc.gbuf.tensor(p.output_tensor);
        for (int s = 0; s < batch; ++s)
            for (int c = 0; c < kWidth; ++c) {
                double v = xin(s, c);
                for (int i = 0; i < ka + kb; ++i) v = 1.0 / (1.0 + std::exp(-v));
                m.max_err = std::max(m.max_err, std::abs(v - y(s, c)));
            }
        return t;
    };
    acc.load_program(p, 1);
    acc.run_blocking(true);
    m.fill_s = run(1);
    const double t4 = run(4), t12 = run(12);
    m.interval_s = (t12 - t4) / 8.0;
    return m;
}

}  // namespace

TEST_CASE("pipeline: steady-state interval is the slowest stage, whichever it is", "[tlm][pipeline]") {
    const Config cfg = pipeline_config(1e-6);
    Accelerator acc("chip", cfg);
    const double cyc = 1.0 / cfg.tile.clock;
    const double unit = kWidth * cyc;  // one sigmoid pass of a sample
    for (auto [ka, kb] : {std::pair{3, 1}, std::pair{1, 3}, std::pair{2, 2}}) {
        const Program p = two_stage(ka, kb);
        const Measured m = measure(acc, p, ka, kb);
        const double slowest = std::max(ka, kb) * unit, sum = (ka + kb) * unit;
        INFO("ka " << ka << " kb " << kb << ": interval " << m.interval_s << " s, slowest stage " << slowest
                   << " s, one sample " << m.fill_s << " s");
        CHECK(m.max_err < 1e-5);                 // every sample went through both stages
        CHECK(m.interval_s >= slowest);          // a stage cannot go faster than its work ...
        CHECK(m.interval_s < slowest * 1.05);    // ... and the transfers add under 5 %
        CHECK(m.fill_s >= sum);                  // one sample still passes both stages in turn
        CHECK(m.interval_s < 0.8 * sum);         // stages overlap: not the layer-by-layer sum
    }
}

TEST_CASE("pipeline: flow control stalls a fast producer without losing samples", "[tlm][pipeline]") {
    // A one-slot channel in front of a slow consumer: the producer may run at most one
    // sample ahead, so the run still ends when the consumer has done every sample.
    Config cfg = pipeline_config(1e-6);
    cfg.chip.pipeline_depth = 1;
    Accelerator acc("chip", cfg);
    const Program p = two_stage(1, 4);
    const Measured m = measure(acc, p, 1, 4);
    const double unit = kWidth / cfg.tile.clock;
    CHECK(m.max_err < 1e-5);
    CHECK(m.interval_s >= 4 * unit);
    CHECK(m.interval_s < 4 * unit * 1.05);
}

TEST_CASE("pipeline: timing does not depend on the quantum", "[tlm][pipeline]") {
    // Two elaborations in one process are not allowed: run the quantum extremes on two
    // accelerators of the same kernel (the quantum is global, set here as the platform does).
    const Program p = two_stage(2, 3);
    const Config cfg = pipeline_config(1e-6);
    Accelerator acc("chip", cfg);
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_NS));
    const Measured fine = measure(acc, p, 2, 3);
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_MS));
    const Measured coarse = measure(acc, p, 2, 3);
    CHECK(coarse.interval_s == Approx(fine.interval_s).epsilon(1e-9));
    CHECK(coarse.fill_s == Approx(fine.fill_s).epsilon(1e-9));
}

TEST_CASE("pipeline: the same two stages over a 2-D mesh", "[tlm][pipeline][mesh]") {
    Config cfg = pipeline_config(1e-6);
    cfg.chip.interconnect = Topology::Mesh2d;
    Accelerator acc("chip", cfg);
    const double unit = kWidth / cfg.tile.clock;
    const Program p = two_stage(3, 1);
    const Measured m = measure(acc, p, 3, 1);
    CHECK(m.max_err < 1e-5);
    CHECK(m.interval_s >= 3 * unit);
    CHECK(m.interval_s < 3 * unit * 1.05);
    CHECK(acc.noc.actions().get(action::kMeshLinkByte) > 0);  // tile 0 -> tile 1 crossed a link
}

TEST_CASE("pipeline: a stage stepping S samples per pass keeps the interval of the slowest stage", "[tlm][pipeline]") {
    // Stage A runs its stream once per step of 4 samples (Program::tile_step_samples, what a
    // time-multiplexed stage does); stage B one sample at a time. Per sample, A's work is
    // still ka sigmoid passes, so in steady state the interval is max(ka, kb) passes either
    // way: the step only groups A's samples (B gets them one message each).
    const Config cfg = pipeline_config(1e-6);
    Accelerator acc("chip", cfg);
    const double unit = kWidth / cfg.tile.clock;
    for (auto [ka, kb] : {std::pair{3, 1}, std::pair{1, 3}}) {
        Program p = two_stage(ka, kb);
        p.tile_step_samples = {4, 1};
        const Measured m = measure(acc, p, ka, kb);
        const double slowest = std::max(ka, kb) * unit;
        INFO("ka " << ka << " kb " << kb << ": interval " << m.interval_s << " s, slowest stage " << slowest << " s");
        CHECK(m.max_err < 1e-5);
        CHECK(m.interval_s >= slowest);
        CHECK(m.interval_s < slowest * 1.05);
        CHECK(m.interval_s < 0.8 * (ka + kb) * unit);  // the stages still overlap
    }
    // Steps that do not divide the batch (5 + 5 + 2 of 12, 1 of 1, 4 of 4): every sample right.
    Program p = two_stage(2, 1);
    p.tile_step_samples = {5, 1};
    CHECK(measure(acc, p, 2, 1).max_err < 1e-5);
}
