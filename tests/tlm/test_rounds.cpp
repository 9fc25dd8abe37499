// Time-multiplexed layers on the assembled chip: round groups (OpCode::Round) alternate their
// order every execution and a Program of the block a macro still holds is skipped, so a
// layer of R full rounds executed E times writes R*E - (E-1) rounds of blocks; partial sums
// beyond the PE registers wait in the tile buffer between rounds; a port tensor (a Load's
// stream into the digital unit) never takes buffer traffic.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {

double stat(const StatsSource& s, const std::string& name) {
    for (const StatValue& v : s.stats())
        if (v.name == name) return v.value;
    throw std::runtime_error("no stat " + name);
}

// One layer of 4 row blocks (64 inputs, lc outputs) on tile 0's 2 macros: round 0 programs
// blocks 0, 1 and reduces rows 0-31, round 1 blocks 2, 3 for rows 32-63, the partial sums
// accumulating in the PE across both rounds. `grouped`: with Round markers.
struct TwoRounds {
    Program p;
    int lc = 0, in = -1, out = -1;
    TwoRounds(const Config& cfg, bool grouped, int step) {
        lc = phys::AnalogMacro::logical_cols(cfg, 1);
        p.streamed = true;
        p.tile_code.resize(2);
        p.setup_code.resize(2);
        p.tile_step_samples = {step, 1};
        in = add_tensor(p, "in", Location::Global, -1, 1, 64, 1);
        out = add_tensor(p, "out", Location::Global, -1, 1, lc, 32);
        p.input_tensor = in;
        p.output_tensor = out;
        p.input_width = 64;
        p.output_width = lc;
        const int x = add_tensor(p, "x", Location::Local, 0, 1, 64, 1);
        const int acc = add_tensor(p, "acc", Location::Pe, 0, 1, lc, 11);
        auto& code = p.tile_code[0];
        Instr li;
        li.op = OpCode::Layer;
        li.layer = 0;
        code.push_back(li);
        Instr ld;
        ld.op = OpCode::Load;
        ld.src = in;
        ld.dst = x;
        code.push_back(ld);
        for (int r = 0; r < 2; ++r) {
            if (grouped) {
                Instr rd;
                rd.op = OpCode::Round;
                rd.c0 = r;
                rd.cols = 2;
                rd.rows = 4;
                code.push_back(rd);
            }
            for (int m = 0; m < 2; ++m) {
                WeightBlock b;
                b.w = pattern_weights(16, lc, 2 * r + m + 1);
                b.spec = binary_spec(16, lc);
                b.tile = 0;
                b.macro = m;
                p.blocks.push_back(b);
                Instr pg;
                pg.op = OpCode::Program;
                pg.macro = m;
                pg.block = static_cast<int>(p.blocks.size()) - 1;
                code.push_back(pg);
            }
            for (int m = 0; m < 2; ++m) {
                Instr mv;
                mv.op = OpCode::Mvm;
                mv.macro = m;
                mv.src = x;
                mv.dst = acc;
                mv.r0 = 32 * r + 16 * m;
                mv.rows = 16;
                mv.accumulate = r + m > 0;  // the compiled (in-order) flags
                code.push_back(mv);
            }
        }
        Instr st;
        st.op = OpCode::Store;
        st.src = acc;
        st.dst = out;
        code.push_back(st);
        code.push_back(Instr{});  // End
    }
};

// Runs `batch` samples; returns the largest |out - x W| over them.
double run(Accelerator& acc, const TwoRounds& t, int batch, int salt) {
    acc.set_batch(batch);
    auto& x = acc.gbuf.store().at(t.in).data;
    const Eigen::MatrixXf xin = pattern_inputs(batch, 64, salt);
    x = xin;
    acc.run_blocking(false);
    Eigen::MatrixXf w(64, t.lc);
    for (int b = 0; b < 4; ++b) w.middleRows(16 * b, 16) = t.p.blocks[static_cast<std::size_t>(b)].w.cast<float>();
    const Eigen::MatrixXf want = xin * w;
    return (acc.gbuf.store().at(t.out).data - want).cwiseAbs().maxCoeff();
}

double block_writes(Accelerator& acc) { return stat(acc.macro(0, 0), "programs") + stat(acc.macro(0, 1), "programs"); }

}  // namespace

TEST_CASE("rounds: alternating round order writes R*E - (E-1) rounds of blocks and computes the same products",
          "[tlm][rounds]") {
    const Config cfg = small_config();
    // Both chips elaborate before the kernel runs (SystemC cannot add modules later).
    Accelerator chip_grouped("grouped", cfg), chip_in_order("in_order", cfg);
    for (const bool grouped : {true, false}) {
        Accelerator& acc = grouped ? chip_grouped : chip_in_order;
        const TwoRounds t(cfg, grouped, 5);
        acc.load_program(t.p, 1);
        acc.run_blocking(true);
        // 12 samples in steps of 5: E = 3 executions of the layer.
        CHECK(run(acc, t, 12, 1) < 1e-4);
        const double E = 3, R = 2, M = 2;
        if (grouped) {
            // Step 0: rounds 0, 1 (4 writes); step 1: round 1 still programmed (skipped), then
            // round 0; step 2: round 0 still there, then round 1. 2 blocks per round.
            CHECK(block_writes(acc) == M * (R * E - (E - 1)));
            CHECK(stat(acc.tiles[0], "programs_skipped") == M * (E - 1));
        } else {
            // In order every step: round 0 finds round 1's blocks, nothing is skipped.
            CHECK(block_writes(acc) == M * R * E);
            CHECK(stat(acc.tiles[0], "programs_skipped") == 0);
        }
        // A second run goes on alternating (the macros keep their blocks): E = 3 more.
        CHECK(run(acc, t, 15, 2) < 1e-4);
        if (grouped) CHECK(block_writes(acc) == M * (R * 6 - (6 - 1)));
        else CHECK(block_writes(acc) == M * R * 6);
    }
}

TEST_CASE("rounds: partial sums beyond the PE registers wait in the tile buffer between rounds", "[tlm][rounds]") {
    const Config cfg = small_config();
    Accelerator acc("chip", cfg);
    const TwoRounds t(cfg, true, 64);
    acc.load_program(t.p, 1);
    acc.run_blocking(true);
    const double regs = cfg.tile.macros * cfg.array.cols;  // 2 macros x 16 columns
    for (const int batch : {1, 64}) {
        const double before_w = acc.tiles[0].buffer.actions().get(action::kBufWrite);
        const double before_r = acc.tiles[0].buffer.actions().get(action::kBufRead);
        const double spill_before = stat(acc.tiles[0], "partial_sum_spill_bytes");
        CHECK(run(acc, t, batch, 3) < 1e-4);
        // One step: x written by the Load and read by both rounds' Mvms (the PE broadcasts a
        // slice to its macros, but each round reads its own 32 columns), plus the spill.
        const double x_bytes = batch * 64 / 8.0;
        const double held = static_cast<double>(batch) * t.lc;
        const double spill = held > regs ? std::ceil((held - regs) * 11 / 8.0) : 0.0;
        CHECK(stat(acc.tiles[0], "partial_sum_spill_bytes") - spill_before == spill);
        CHECK(acc.tiles[0].buffer.actions().get(action::kBufWrite) - before_w == Approx(x_bytes + spill));
        CHECK(acc.tiles[0].buffer.actions().get(action::kBufRead) - before_r == Approx(x_bytes + spill));
    }
}

TEST_CASE("port tensor: a Load's stream feeds its activation without buffer traffic; misuse is refused",
          "[tlm][port]") {
    const Config cfg = small_config();
    const int W = 40, B = 6;
    auto build = [&](bool port, bool misuse) {
        Program p;
        p.tile_code.resize(2);
        p.setup_code.resize(2);
        const int in = add_tensor(p, "in", Location::Global, -1, 1, W, 8);
        const int out = add_tensor(p, "out", Location::Global, -1, 1, W, 1);
        p.input_tensor = in;
        p.output_tensor = out;
        p.input_width = p.output_width = W;
        const int raw = add_tensor(p, "raw", port ? Location::Port : Location::Local, 0, 1, W, 8);
        const int q = add_tensor(p, "q", Location::Local, 0, 1, W, 1);
        auto& code = p.tile_code[0];
        Instr ld;
        ld.op = OpCode::Load;
        ld.src = in;
        ld.dst = raw;
        code.push_back(ld);
        Instr af;
        af.op = OpCode::Affine;
        af.vscale.assign(W, 1.0f);
        af.vbias.assign(W, -0.5f);
        af.act = ActKind::Step;
        af.src = raw;
        af.dst = q;
        code.push_back(af);
        Instr st;
        st.op = OpCode::Store;
        st.src = misuse ? raw : q;
        st.dst = out;
        code.push_back(st);
        code.push_back(Instr{});
        return p;
    };
    Accelerator chip_port("port", cfg), chip_local("local", cfg), chip_misuse("misuse", cfg);
    for (const bool port : {true, false}) {
        Accelerator& acc = port ? chip_port : chip_local;
        const Program p = build(port, false);
        acc.load_program(p, B);
        acc.run_blocking(true);
        auto& x = acc.gbuf.store().at(p.input_tensor).data;
        for (int s = 0; s < B; ++s)
            for (int c = 0; c < W; ++c) x(s, c) = static_cast<float>((s * 3 + c) % 4) * 0.25f;
        const Eigen::MatrixXf xin = x;
        acc.run_blocking(false);
        const auto& y = acc.gbuf.store().at(p.output_tensor).data;
        for (int s = 0; s < B; ++s)
            for (int c = 0; c < W; ++c) CHECK(y(s, c) == (xin(s, c) - 0.5f >= 0 ? 1.0f : 0.0f));
        const auto& tile = acc.tiles[0];
        const double q_bytes = B * W / 8.0, raw_bytes = port ? 0.0 : B * W;
        // The buffer stores only the 1-bit result (written by the op, read by the Store);
        // a local raw tensor adds the 8-bit input written by the Load and read by the op.
        CHECK(tile.buffer.actions().get(action::kBufWrite) == Approx(q_bytes + raw_bytes));
        CHECK(tile.buffer.actions().get(action::kBufRead) == Approx(q_bytes + raw_bytes));
        // The op runs on every element either way: 1 mult + 1 add + 1 compare.
        CHECK(tile.actions().get(action::kDigitalCompare) == B * W);
        CHECK(tile.actions().get(action::kDigitalMult) == B * W);
    }
    CHECK_THROWS_WITH(chip_misuse.load_program(build(true, true), B), Catch::Contains("port tensor 'raw' is read by a Store"));
}
