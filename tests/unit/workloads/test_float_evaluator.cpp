// Float reference evaluator against outputs computed independently (torch.nn.functional /
// numpy in make_fixtures.py) and against hand-computed values.
#include "workloads/data/ArrayFile.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/OnnxImporter.h"

#include <catch2/catch.hpp>
#include <random>

using namespace sotsim::workloads;

namespace {

std::string fixture(const std::string& name) { return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/onnx/" + name; }

Batch to_batch(const NpyArray& a) {
    const Eigen::Index rows = a.shape.at(0);
    const Eigen::Index cols = static_cast<Eigen::Index>(a.data.size()) / rows;
    Batch b(rows, cols);
    for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = static_cast<float>(a.data[i]);
    return b;
}

}  // namespace

TEST_CASE("Float evaluator matches the independently computed fixture outputs", "[evaluator]") {
    const char* names[] = {"gemm_matmul", "conv_bn_pool", "conv_stride_avgpool", "activations",
                           "elementwise", "fake_quant", "bnn_mlp", "static_batch_reshape", "pad_merge"};
    for (const char* name : names) {
        INFO(name);
        const Network net = import_onnx(fixture(std::string(name) + ".onnx"));
        const Batch x = to_batch(read_npy(fixture(std::string(name) + ".input.npy")));
        const Batch expected = to_batch(read_npy(fixture(std::string(name) + ".expected.npy")));
        const Batch y = FloatEvaluator(net).run(x);
        REQUIRE(y.rows() == expected.rows());
        REQUIRE(y.cols() == expected.cols());
        CHECK((y - expected).cwiseAbs().maxCoeff() < 1e-4f);
    }
}

TEST_CASE("Hand-computed Dense, Sign and argmax", "[evaluator]") {
    Network net;
    net.values = {{"x", {3}, -1}, {"h", {2}, 0}, {"y", {2}, 1}};
    net.input = 0;
    net.output = 2;
    Node dense;
    dense.kind = OpKind::Dense;
    dense.inputs = {0};
    dense.output = 1;
    dense.dense.weight = Tensor{{2, 3}, {1, -1, 2, 0.5f, 0.5f, -3}};
    dense.dense.bias = Tensor{{2}, {0.25f, -1}};
    Node sign;
    sign.kind = OpKind::Sign;
    sign.inputs = {1};
    sign.output = 2;
    net.nodes = {dense, sign};
    Batch x(2, 3);
    x << 1, 2, 3, -1, 0, 1;
    // h = [1-2+6+0.25, 0.5+1-9-1] = [5.25, -8.5]; [-1+0+2+0.25, -0.5+0-3-1] = [1.25, -4.5]
    const FloatEvaluator ev(net);
    const std::vector<Batch> all = ev.run_all(x);
    CHECK(all[1](0, 0) == Approx(5.25f));
    CHECK(all[1](0, 1) == Approx(-8.5f));
    CHECK(all[1](1, 0) == Approx(1.25f));
    const Batch y = ev.run(x);
    CHECK(y(0, 0) == 1.0f);
    CHECK(y(0, 1) == -1.0f);
    CHECK(ev.predict(x) == std::vector<int>{0, 0});
    Batch ties(1, 3);
    ties << 2, 5, 5;
    CHECK(argmax_rows(ties) == std::vector<int>{1});

    Batch wrong(1, 4);
    wrong.setZero();
    CHECK_THROWS_AS(ev.run(wrong), WorkloadError);
}

TEST_CASE("Hand-computed padded average and max pooling", "[evaluator]") {
    Network net;
    net.values = {{"x", {1, 2, 2}, -1}, {"y", {1, 2, 2}, 0}};
    net.input = 0;
    net.output = 1;
    Node pool;
    pool.kind = OpKind::AveragePool;
    pool.inputs = {0};
    pool.output = 1;
    pool.pool.kernel_h = pool.pool.kernel_w = 2;
    pool.pool.pad_bottom = pool.pool.pad_right = 1;
    net.nodes = {pool};
    Batch x(1, 4);
    x << 1, 2, 3, 4;
    // Windows: {1,2,3,4} -> 2.5; {2,4}+pad -> 3 (exclusive) / 1.5 (inclusive); {3,4} -> 3.5/1.75; {4} -> 4/1.
    Batch y = FloatEvaluator(net).run(x);
    CHECK(y(0, 0) == Approx(2.5f));
    CHECK(y(0, 1) == Approx(3.0f));
    CHECK(y(0, 2) == Approx(3.5f));
    CHECK(y(0, 3) == Approx(4.0f));
    net.nodes[0].pool.count_include_pad = true;
    y = FloatEvaluator(net).run(x);
    CHECK(y(0, 1) == Approx(1.5f));
    CHECK(y(0, 3) == Approx(1.0f));
    net.nodes[0].kind = OpKind::MaxPool;
    x << -1, -2, -3, -4;  // padding must never win the max
    y = FloatEvaluator(net).run(x);
    CHECK(y(0, 3) == -4.0f);
}

namespace {

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    Tensor t{shape, std::vector<float>(static_cast<std::size_t>(shape_numel(shape)))};
    for (float& v : t.data) v = u(rng);
    return t;
}

// y[m, oy, ox] = bias[m] + sum weight[m, c, ky, kx] * x[c, oy*sh + ky - pt, ox*sw + kx - pl]
// (0 outside x), summed in double straight from Network.h's definition.
std::vector<double> direct_conv(const ConvParams& p, const float* x, int64_t C, int64_t H, int64_t W, int64_t OH,
                                int64_t OW) {
    const int64_t M = p.weight.shape[0], kh = p.weight.shape[2], kw = p.weight.shape[3];
    std::vector<double> y(static_cast<std::size_t>(M * OH * OW));
    for (int64_t m = 0; m < M; ++m)
        for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
                double acc = p.bias.data[m];
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t ky = 0; ky < kh; ++ky)
                        for (int64_t kx = 0; kx < kw; ++kx) {
                            const int64_t iy = oy * p.stride_h + ky - p.pad_top, ix = ox * p.stride_w + kx - p.pad_left;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            acc += double(p.weight.data[((m * C + c) * kh + ky) * kw + kx]) * x[(c * H + iy) * W + ix];
                        }
                y[(m * OH + oy) * OW + ox] = acc;
            }
    return y;
}

}  // namespace

TEST_CASE("Convolution with asymmetric padding and strides equals the direct sum", "[evaluator]") {
    std::mt19937 rng(7);
    struct Case {
        int64_t C, H, W, M, kh, kw, sh, sw, pt, pl, pb, pr;
    };
    // Output widths on both sides of the evaluator's 16-float runs (5, 16, 17, 33).
    // Stride 1 with OW == W (one run per window row over the output rows inside, the
    // positions outside in x zeroed after): VGG's 3 x 3 pad 1, padding on one side only, a
    // 5 x 5 window over a 3 x 4 input (rows and columns with several outside positions).
    const Case cases[] = {{2, 6, 9, 3, 3, 3, 1, 2, 1, 2, 0, 1}, {3, 7, 16, 2, 3, 2, 2, 1, 0, 1, 2, 0},
                          {1, 5, 17, 4, 2, 3, 1, 1, 1, 1, 0, 1}, {2, 4, 33, 2, 1, 1, 1, 1, 0, 0, 0, 0},
                          {2, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1}, {2, 5, 6, 2, 3, 3, 1, 1, 0, 0, 2, 2},
                          {2, 5, 6, 2, 3, 3, 1, 1, 2, 2, 0, 0}, {2, 3, 4, 2, 5, 5, 1, 1, 2, 2, 2, 2}};
    for (const Case& k : cases) {
        const int64_t OH = (k.H + k.pt + k.pb - k.kh) / k.sh + 1, OW = (k.W + k.pl + k.pr - k.kw) / k.sw + 1;
        INFO("C " << k.C << " H " << k.H << " W " << k.W << " -> " << OH << " x " << OW);
        Network net;
        net.values = {{"x", {k.C, k.H, k.W}, -1}, {"y", {k.M, OH, OW}, 0}};
        net.input = 0;
        net.output = 1;
        Node conv;
        conv.kind = OpKind::Conv;
        conv.inputs = {0};
        conv.output = 1;
        conv.conv.weight = random_tensor({k.M, k.C, k.kh, k.kw}, rng);
        conv.conv.bias = random_tensor({k.M}, rng);
        conv.conv.has_bias = true;
        conv.conv.stride_h = k.sh, conv.conv.stride_w = k.sw;
        conv.conv.pad_top = k.pt, conv.conv.pad_left = k.pl, conv.conv.pad_bottom = k.pb, conv.conv.pad_right = k.pr;
        net.nodes = {conv};
        const Tensor xs = random_tensor({3, k.C * k.H * k.W}, rng);
        const Batch x = Eigen::Map<const Batch>(xs.data.data(), 3, k.C * k.H * k.W);
        const Batch y = FloatEvaluator(net).run(x);
        REQUIRE(y.cols() == k.M * OH * OW);
        for (Eigen::Index s = 0; s < x.rows(); ++s) {
            const std::vector<double> ref = direct_conv(conv.conv, x.row(s).data(), k.C, k.H, k.W, OH, OW);
            for (std::size_t i = 0; i < ref.size(); ++i) REQUIRE(y(s, static_cast<Eigen::Index>(i)) == Approx(ref[i]).margin(1e-5));
        }
    }
}

TEST_CASE("Pools whose windows lie inside equal the hand-computed windows", "[evaluator]") {
    // 1 x 3 x 5, kernel 2 x 2, stride (1, 2): windows at x 0-1 and 2-3 (column 4 never read).
    Network net;
    net.values = {{"x", {1, 3, 5}, -1}, {"y", {1, 2, 2}, 0}};
    net.input = 0;
    net.output = 1;
    Node pool;
    pool.kind = OpKind::MaxPool;
    pool.inputs = {0};
    pool.output = 1;
    pool.pool.kernel_h = pool.pool.kernel_w = 2;
    pool.pool.stride_h = 1, pool.pool.stride_w = 2;
    net.nodes = {pool};
    Batch x(1, 15);
    x << 1, 7, -2, 3, 100, 4, -5, 6, 0, 100, -1, 2, 9, -8, 100;
    Batch y = FloatEvaluator(net).run(x);
    CHECK(y(0, 0) == 7.0f);  // {1, 7, 4, -5}
    CHECK(y(0, 1) == 6.0f);  // {-2, 3, 6, 0}
    CHECK(y(0, 2) == 4.0f);  // {4, -5, -1, 2}
    CHECK(y(0, 3) == 9.0f);  // {6, 0, 9, -8}
    net.nodes[0].kind = OpKind::AveragePool;
    y = FloatEvaluator(net).run(x);
    CHECK(y(0, 0) == Approx(7.0f / 4));
    CHECK(y(0, 1) == Approx(7.0f / 4));
    CHECK(y(0, 2) == Approx(0.0f).margin(1e-7));
    CHECK(y(0, 3) == Approx(7.0f / 4));
}

TEST_CASE("Evaluating in chunks of samples gives the whole batch's outputs bit for bit", "[evaluator]") {
    // Conv (17 x 28 x 28 floats a sample, so run() takes the smallest chunk) -> Relu ->
    // Dense 10: 67 samples run as chunks of 20, 20 and 27; run_all evaluates each node over
    // all 67 at once. A Dense row summed in another order (a chunk boundary that moves a
    // sample into the last rows % 4 of a product) differs in its last bits.
    std::mt19937 rng(11);
    Network net;
    net.values = {{"x", {1, 28, 28}, -1}, {"c", {17, 28, 28}, 0}, {"r", {17, 28, 28}, 1}, {"y", {10}, 2}};
    net.input = 0;
    net.output = 3;
    Node conv;
    conv.kind = OpKind::Conv;
    conv.inputs = {0};
    conv.output = 1;
    conv.conv.weight = random_tensor({17, 1, 3, 3}, rng);
    conv.conv.bias = random_tensor({17}, rng);
    conv.conv.pad_top = conv.conv.pad_left = conv.conv.pad_bottom = conv.conv.pad_right = 1;
    Node relu;
    relu.kind = OpKind::Relu;
    relu.inputs = {1};
    relu.output = 2;
    Node dense;
    dense.kind = OpKind::Dense;
    dense.inputs = {2};
    dense.output = 3;
    dense.dense.weight = random_tensor({10, 17 * 28 * 28}, rng);
    dense.dense.bias = random_tensor({10}, rng);
    net.nodes = {conv, relu, dense};
    for (const Eigen::Index n : {67, 43, 1}) {
        INFO(n << " samples");
        const Tensor xs = random_tensor({n, 784}, rng);
        const Batch x = Eigen::Map<const Batch>(xs.data.data(), n, 784);
        const FloatEvaluator ev(net);
        const Batch whole = ev.run_all(x)[3];
        const Batch chunked = ev.run(x);
        REQUIRE(chunked.rows() == n);
        CHECK((chunked.array() == whole.array()).all());
    }
}
