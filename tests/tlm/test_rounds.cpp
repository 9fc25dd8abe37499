// Time-multiplexed layers on the assembled chip: round groups (OpCode::Round) alternate their
// order every execution and a Program of the block a macro still holds is skipped, so a
// layer of R full rounds executed E times writes R*E - (E-1) rounds of blocks; partial sums
// beyond the PE registers wait in the tile buffer between rounds; a port tensor (a Load's
// stream into the digital unit) never takes buffer traffic; a multicast Send (how the first
// stage's head hands the input ops' result to the stage) reads its source once.
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
    TwoRounds(const Config& cfg, bool grouped, int step, Location acc_where = Location::Pe) {
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
        const int acc = add_tensor(p, "acc", acc_where, 0, 1, lc, 11);
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
    auto x = acc.gbuf.tensor(t.in);
    const Eigen::MatrixXf xin = pattern_inputs(batch, 64, salt);
    x = xin;
    acc.run_blocking(false);
    Eigen::MatrixXf w(64, t.lc);
    for (int b = 0; b < 4; ++b) w.middleRows(16 * b, 16) = t.p.blocks[static_cast<std::size_t>(b)].w.cast<float>();
    const Eigen::MatrixXf want = xin * w;
    return (acc.gbuf.tensor(t.out) - want).cwiseAbs().maxCoeff();
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

TEST_CASE("rounds: partial sums accumulated in the tile buffer are not counted again as a spill", "[tlm][rounds]") {
    // Mvms into a Local tensor already pay their buffer read and write; only partial sums
    // held in the PE spill beyond its registers (the review found them charged twice).
    const Config cfg = small_config();
    Accelerator acc("chip", cfg);
    const TwoRounds t(cfg, true, 64, Location::Local);
    acc.load_program(t.p, 1);
    acc.run_blocking(true);
    const double spill_before = stat(acc.tiles[0], "partial_sum_spill_bytes");
    CHECK(run(acc, t, 64, 3) < 1e-4);
    CHECK(stat(acc.tiles[0], "partial_sum_spill_bytes") - spill_before == 0.0);
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
        auto x = acc.gbuf.tensor(p.input_tensor);
        for (int s = 0; s < B; ++s)
            for (int c = 0; c < W; ++c) x(s, c) = static_cast<float>((s * 3 + c) % 4) * 0.25f;
        const Eigen::MatrixXf xin = x;
        acc.run_blocking(false);
        const auto& y = acc.gbuf.tensor(p.output_tensor);
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

namespace {
// Tile 0 loads 16 one-bit values per sample and multicasts them to tiles 1 and 2 (tensors
// dst + 0, dst + 1), which store them to their own global outputs. Checks the outputs and
// the buffer traffic; returns the interconnect's layer-0 actions.
ActionCounter multicast_send(const Config& cfg) {
    const int W = 16, B = 5;
    Program p;
    p.streamed = true;
    p.tile_code.resize(3);
    p.setup_code.resize(3);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, W, 1);
    const int out1 = add_tensor(p, "out1", Location::Global, -1, 1, W, 1);
    const int out2 = add_tensor(p, "out2", Location::Global, -1, 1, W, 1);
    p.input_tensor = in;
    p.output_tensor = out2;
    p.input_width = p.output_width = W;
    const int x = add_tensor(p, "x", Location::Local, 0, 1, W, 1);
    const int r1 = add_tensor(p, "r1", Location::Local, 1, 1, W, 1);
    const int r2 = add_tensor(p, "r2", Location::Local, 2, 1, W, 1);
    REQUIRE(r2 == r1 + 1);
    Instr li;  // layer 0: the transfers are attributed to it, the instruction fetches are not
    li.op = OpCode::Layer;
    li.layer = 0;
    for (auto& c : p.tile_code) c.push_back(li);
    Instr ld;
    ld.op = OpCode::Load;
    ld.src = in;
    ld.dst = x;
    p.tile_code[0].push_back(ld);
    Instr sd;
    sd.op = OpCode::Send;
    sd.multicast = true;
    sd.src = x;
    sd.peer = 1;
    sd.levels = 2;
    sd.dst = r1;
    p.tile_code[0].push_back(sd);
    for (int q = 1; q <= 2; ++q) {
        Instr rc;
        rc.op = OpCode::Receive;
        rc.peer = 0;
        rc.dst = q == 1 ? r1 : r2;
        p.tile_code[static_cast<std::size_t>(q)].push_back(rc);
        Instr st;
        st.op = OpCode::Store;
        st.src = rc.dst;
        st.dst = q == 1 ? out1 : out2;
        p.tile_code[static_cast<std::size_t>(q)].push_back(st);
    }
    for (auto& c : p.tile_code) c.push_back(Instr{});
    Accelerator acc("chip", cfg);
    acc.load_program(p, 1);
    acc.run_blocking(true);
    acc.set_batch(B);
    const Eigen::MatrixXf xin = pattern_inputs(B, W, 4);
    acc.gbuf.tensor(in) = xin;
    acc.run_blocking(false);
    CHECK(acc.gbuf.tensor(out1) == xin);
    CHECK(acc.gbuf.tensor(out2) == xin);
    const double bytes = B * W / 8.0;
    // Tile 0 reads its tensor once per sample for both receivers; each receiver writes it.
    CHECK(acc.tiles[0].buffer.actions().get(action::kBufRead) == Approx(bytes));
    CHECK(acc.tiles[1].buffer.actions().get(action::kBufWrite) == Approx(bytes));
    CHECK(acc.tiles[2].buffer.actions().get(action::kBufWrite) == Approx(bytes));
    REQUIRE(acc.noc.layer_actions() != nullptr);
    return acc.noc.layer_actions()->at(0);
}
}  // namespace

TEST_CASE("multicast Send: one buffer read and one transfer deliver a sample to every receiver", "[tlm][multicast]") {
    Config cfg = small_config();
    cfg.chip.tiles = 3;
    // The bus carries the Load, the multicast once and the two Stores (2 bytes per sample each).
    CHECK(multicast_send(cfg).get(action::kBusByte) == Approx(4 * 5 * 2));
}

TEST_CASE("multicast Send over a 2-D mesh delivers to every receiver, on mesh links only", "[tlm][multicast][mesh]") {
    Config cfg = small_config();
    cfg.chip.tiles = 3;
    cfg.chip.interconnect = Topology::Mesh2d;
    cfg.chip.mesh_cols = 3;  // tiles 0, 1, 2 on one row: tile 0 -> 1 -> 2 is one path
    const ActionCounter a = multicast_send(cfg);
    CHECK(a.get(action::kBusByte) == 0);
    CHECK(a.get(action::kMeshLinkByte) > 0);
}
