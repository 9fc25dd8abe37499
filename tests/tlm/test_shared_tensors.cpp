// Tile tensors with disjoint live ranges share host memory (models/tile/TensorLiveness.h);
// a tensor in shared memory starts every run as zeros, as a tensor of its own does (or is
// overwritten whole by its first use, TileController::writes_whole_dst).
#include <catch2/catch.hpp>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {
// z (z_blocks x lc columns) takes t's memory (t held 7s); an Mvm writes or accumulates into
// z's first lc columns, then all of z is stored: z must start every run as zeros.
void check_zero_start(int z_blocks, bool accumulate) {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    const int lc = phys::AnalogMacro::logical_cols(cfg, 1);
    const int B = 4;
    Program p;
    p.tile_code.resize(1);
    p.setup_code.resize(1);
    WeightBlock blk;
    blk.w = pattern_weights(16, lc, 2);
    blk.spec = binary_spec(16, lc);
    blk.tile = 0;
    blk.macro = 0;
    p.blocks.push_back(blk);
    Instr prog;
    prog.op = OpCode::Program;
    prog.block = 0;
    prog.macro = 0;
    p.setup_code[0].push_back(prog);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    const int zw = z_blocks * lc;
    const int fill = add_tensor(p, "fill", Location::Global, -1, 1, 2 * lc, 32);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, zw, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);      // pcs 1-4
    const int t = add_tensor(p, "t", Location::Local, 0, 1, 2 * lc, 32);  // pcs 2-3: the fill values
    const int z = add_tensor(p, "z", Location::Local, 0, 1, zw, 32);      // pcs 4-5: its first lc columns written
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = 16;
    p.output_width = zw;
    auto op = [&](OpCode o, int src, int dst) {
        Instr i;
        i.op = o;
        i.src = src;
        i.dst = dst;
        if (o == OpCode::Mvm) i.macro = 0, i.c0 = 0, i.cols = lc, i.accumulate = accumulate;
        p.tile_code[0].push_back(i);
    };
    Instr layer;
    layer.op = OpCode::Layer;
    layer.layer = 0;
    p.tile_code[0].push_back(layer);  // 0
    op(OpCode::Load, in, x);          // 1
    op(OpCode::Load, fill, t);        // 2
    op(OpCode::Store, t, fill);       // 3
    op(OpCode::Mvm, x, z);            // 4: columns [0, lc) of z
    op(OpCode::Store, z, out);        // 5: all of z
    acc.load_program(p, B);
    sc_start(SC_ZERO_TIME);
    acc.run_blocking(true);

    auto& store = acc.tiles[0].buffer.store();
    REQUIRE(store.at(z).data.data() == store.at(t).data.data());  // z took t's memory
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF ones = RowMajorF::Constant(B, 2 * lc, 7.0f);
    Access wf(tlm::TLM_WRITE_COMMAND, acc.tensor_address(fill), ones.data(), static_cast<unsigned>(ones.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(wf.t) == ones.size() * 4);
    for (int run = 0; run < 2; ++run) {
        RowMajorF xin = pattern_inputs(B, 16, 3 + run);
        Access wr(tlm::TLM_WRITE_COMMAND, acc.tensor_address(in), xin.data(), static_cast<unsigned>(xin.size() * 4));
        REQUIRE(acc.host.get_base_export()->transport_dbg(wr.t) == xin.size() * 4);
        acc.run_blocking(false);
        RowMajorF got(B, zw);
        Access rd(tlm::TLM_READ_COMMAND, acc.tensor_address(out), got.data(), static_cast<unsigned>(got.size() * 4));
        REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == got.size() * 4);
        INFO("run " << run);
        const Eigen::MatrixXf expect = Eigen::MatrixXf(xin) * blk.w.cast<float>();  // ideal path: exact
        CHECK((Eigen::MatrixXf(got.leftCols(lc)) - expect).cwiseAbs().maxCoeff() < 1e-4f);
        if (zw > lc) CHECK(got.rightCols(zw - lc).cwiseAbs().maxCoeff() == 0.0f);  // not t's 7s
    }
}
}  // namespace

TEST_CASE("shared tensors: a tensor reusing another's memory reads zeros where the run has not written it",
          "[tlm][chip][memory]") {
    check_zero_start(2, false);   // an Mvm overwrites half of it
}

// A first use that reads its destination (an accumulating Mvm over all its columns) adds to
// zeros, not to the 7s: the zeroing is skipped only for uses that overwrite it whole.
TEST_CASE("shared tensors: an Mvm accumulating into all of a reused tensor adds to zeros", "[tlm][chip][memory]") {
    check_zero_start(1, true);
}

TEST_CASE("shared tensors: an Mvm overwriting all of a reused tensor needs no zeros", "[tlm][chip][memory]") {
    check_zero_start(1, false);
}
