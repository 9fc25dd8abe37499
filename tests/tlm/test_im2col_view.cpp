// An Im2col whose destination only Mvms read is a view (TileController::Im2colView): the
// Mvms gather their bursts from the source. A view belongs to its run: the next run's Load
// into the source must not materialise the previous run's matrix, and the next run's Mvm
// reads the next run's source.
#include <catch2/catch.hpp>

#include "models/tile/DigitalOps.h"
#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

TEST_CASE("im2col view: a second run of the same batch gathers again and never materialises the matrix",
          "[tlm][chip][im2col]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    const int lc = phys::AnalogMacro::logical_cols(cfg, 1);
    const int B = 3;
    ConvGeom g;  // 1 x 4 x 4 input, 3 x 3 kernel, padding 1: 16 positions of 9 values
    g.c = 1, g.h = 4, g.w = 4, g.kh = 3, g.kw = 3, g.pad_t = g.pad_l = g.pad_b = g.pad_r = 1;
    const int P = g.out_h() * g.out_w(), K = g.c * g.kh * g.kw;
    REQUIRE(P == 16);

    Program p;
    p.tile_code.resize(1);
    p.setup_code.resize(1);
    WeightBlock blk;
    blk.w = pattern_weights(K, lc, 3);
    blk.spec = binary_spec(K, lc);
    blk.tile = 0;
    blk.macro = 0;
    p.blocks.push_back(blk);
    Instr prog;
    prog.op = OpCode::Program;
    prog.block = 0;
    prog.macro = 0;
    p.setup_code[0].push_back(prog);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    const int out = add_tensor(p, "out", Location::Global, -1, P, lc, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);
    const int cols = add_tensor(p, "x.im2col", Location::Local, 0, P, K, 1);
    const int y = add_tensor(p, "y", Location::Local, 0, P, lc, 32);
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = 16;
    p.output_width = P * lc;
    auto op = [&](OpCode o, int src, int dst) {
        Instr i;
        i.op = o;
        i.src = src;
        i.dst = dst;
        if (o == OpCode::Im2col) i.geom = g;
        if (o == OpCode::Mvm) i.macro = 0;
        p.tile_code[0].push_back(i);
    };
    Instr layer;
    layer.op = OpCode::Layer;
    layer.layer = 0;
    p.tile_code[0].push_back(layer);
    op(OpCode::Load, in, x);
    op(OpCode::Im2col, x, cols);
    op(OpCode::Mvm, cols, y);
    op(OpCode::Store, y, out);
    acc.load_program(p, B);
    sc_start(SC_ZERO_TIME);
    acc.run_blocking(true);

    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    auto& store = acc.tiles[0].buffer.store();
    for (int run = 0; run < 2; ++run) {
        RowMajorF xin = pattern_inputs(B, 16, 1 + 4 * run);
        Access wr(tlm::TLM_WRITE_COMMAND, acc.tensor_address(in), xin.data(), static_cast<unsigned>(xin.size() * 4));
        REQUIRE(acc.host.get_base_export()->transport_dbg(wr.t) == xin.size() * 4);
        acc.run_blocking(false);
        RowMajorF got(B * P, lc);
        Access rd(tlm::TLM_READ_COMMAND, acc.tensor_address(out), got.data(), static_cast<unsigned>(got.size() * 4));
        REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == got.size() * 4);
        // The ideal analog path is exact: this run's im2col matrix times the weights.
        Eigen::MatrixXf m(B * P, K);
        digital::im2col(g, B, 1, Eigen::MatrixXf(xin), m);
        const Eigen::MatrixXf expect = m * blk.w.cast<float>();
        INFO("run " << run);
        CHECK((Eigen::MatrixXf(got) - expect).cwiseAbs().maxCoeff() < 1e-4f);
        // Gathered, never stored: the destination has its shape but no memory.
        CHECK(store.at(cols).data.data() == nullptr);
    }
}
