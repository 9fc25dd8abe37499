// Float reference evaluator against outputs computed independently (torch.nn.functional /
// numpy in make_fixtures.py) and against hand-computed values.
#include "workloads/data/ArrayFile.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/OnnxImporter.h"

#include <catch2/catch.hpp>

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
