// The tile's Affine and Activation kernels give every sample the same values whether it is
// processed alone (a streamed program's 1-row tensors, the contiguous one-vector path) or
// as one row of a batch inside a larger tensor (the general column path).
#include <catch2/catch.hpp>

#include <random>

#include "models/tile/DigitalOps.h"

using namespace sotsim;

namespace {
Instr affine_instr(int cols, ActKind act, bool with_scale, bool with_bias) {
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> val(-2.0f, 2.0f);
    Instr in;
    in.op = OpCode::Affine;
    in.act = act;
    in.lo = -1.0f;
    in.hi = 1.5f;
    in.levels = 7;
    for (int c = 0; c < cols && with_scale; ++c) in.vscale.push_back(val(gen));
    for (int c = 0; c < cols && with_bias; ++c) in.vbias.push_back(val(gen));
    return in;
}
}  // namespace

TEST_CASE("digital: a sample alone and the same sample in a batch get identical affine and activation values",
          "[digital][affine]") {
    const int rows = 9, cols = 257;
    Eigen::MatrixXf batch = Eigen::MatrixXf::Random(rows + 3, cols + 2) * 3.0f;
    for (ActKind act : {ActKind::None, ActKind::SignBinary, ActKind::Relu, ActKind::Quantize, ActKind::Tanh})
        for (int variant = 0; variant < 3; ++variant) {
            const Instr in = affine_instr(cols, act, variant != 1, variant != 2);
            // The batch as a block of a larger matrix: strided, the column path.
            Eigen::MatrixXf out_batch = Eigen::MatrixXf::Constant(rows + 3, cols + 2, 9.0f);
            digital::affine(in, batch.block(1, 2, rows, cols), out_batch.block(2, 1, rows, cols));
            Eigen::MatrixXf act_batch = Eigen::MatrixXf::Constant(rows, cols, 9.0f);
            digital::activation(in, batch.block(1, 2, rows, cols), act_batch);
            for (int r = 0; r < rows; ++r) {
                Eigen::MatrixXf one = batch.block(1 + r, 2, 1, cols);  // a 1 x cols tensor of its own
                Eigen::MatrixXf out(1, cols);
                digital::affine(in, one, out);
                REQUIRE(out == out_batch.block(2 + r, 1, 1, cols));
                digital::affine(in, one, one);  // in place
                REQUIRE(one == out);
                Eigen::MatrixXf a(1, cols);
                digital::activation(in, batch.block(1 + r, 2, 1, cols), a);
                REQUIRE(a == act_batch.row(r));
            }
            // The batch in place (the column path reading and writing the same columns).
            Eigen::MatrixXf inplace = batch.block(1, 2, rows, cols);
            digital::affine(in, inplace, inplace);
            REQUIRE(inplace == out_batch.block(2, 1, rows, cols));
            // Nothing outside the destination block written.
            REQUIRE((out_batch.topRows(2).array() == 9.0f).all());
            REQUIRE((out_batch.leftCols(1).array() == 9.0f).all());
        }
}
