// ONNX import: IR structure of every fixture (tests/data/onnx, made by make_fixtures.py) and
// every error path.
#include "workloads/import/OnnxImporter.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace sotsim::workloads;

namespace {

std::string fixture(const std::string& name) { return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/onnx/" + name; }

// Runs import_onnx and returns the error line ("" when it succeeded).
std::string import_error(const std::string& path) {
    try {
        import_onnx(path);
    } catch (const WorkloadError& e) {
        return e.what();
    }
    return "";
}

std::vector<OpKind> kinds(const Network& n) {
    std::vector<OpKind> k;
    for (const Node& node : n.nodes) k.push_back(node.kind);
    return k;
}

}  // namespace

TEST_CASE("Gemm and MatMul become Dense with transB, alpha and beta folded", "[import]") {
    const Network n = import_onnx(fixture("gemm_matmul.onnx"));
    CHECK(n.opset == 13);
    CHECK(n.input_shape() == Shape{12});
    CHECK(n.output_shape() == Shape{4});
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::Dense, OpKind::Relu, OpKind::Dense, OpKind::AddConst});
    const Node& fc1 = n.nodes[0];
    CHECK(fc1.name == "fc1");
    CHECK(fc1.dense.weight.shape == Shape{6, 12});
    CHECK(fc1.dense.has_bias);
    CHECK(n.nodes[2].dense.weight.shape == Shape{4, 6});  // MatMul [6,4] stored as [out,in]
    CHECK_FALSE(n.nodes[2].dense.has_bias);
    CHECK(n.nodes[3].operand.broadcast == ConstOperand::Broadcast::PerChannel);
    CHECK(n.macs_per_sample() == 6 * 12 + 4 * 6);
}

TEST_CASE("Conv, BatchNorm, pooling and Flatten shapes", "[import]") {
    const Network n = import_onnx(fixture("conv_bn_pool.onnx"));
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::Conv, OpKind::BatchNorm, OpKind::Relu, OpKind::MaxPool,
                                            OpKind::Flatten, OpKind::Dense});
    CHECK(n.values[n.nodes[0].output].shape == Shape{3, 7, 7});
    CHECK(n.values[n.nodes[3].output].shape == Shape{3, 3, 3});
    CHECK(n.values[n.nodes[4].output].shape == Shape{27});
    CHECK(n.nodes[0].conv.pad_top == 1);
    CHECK(n.nodes[1].batchnorm.epsilon == Approx(1e-3f));
    CHECK(n.macs_per_sample() == 3 * 2 * 9 * 49 + 5 * 27);

    const Network s = import_onnx(fixture("conv_stride_avgpool.onnx"));
    const Node& conv = s.nodes[0];
    CHECK(conv.conv.stride_h == 2);
    CHECK(conv.conv.pad_left == 1);
    CHECK(conv.conv.pad_bottom == 1);
    CHECK_FALSE(conv.conv.has_bias);
    CHECK(s.values[conv.output].shape == Shape{4, 4, 4});  // (8+1-2)/2+1, (9+1-3)/2+1
    CHECK_FALSE(s.nodes[1].pool.count_include_pad);
    CHECK(s.nodes[2].pool.count_include_pad);
    CHECK(s.values[s.nodes[3].output].shape == Shape{4, 1, 1});
}

TEST_CASE("Clip bounds come from inputs; absent bounds are infinite", "[import]") {
    const Network n = import_onnx(fixture("activations.onnx"));
    CHECK(n.opset == 11);
    int clips = 0;
    for (const Node& node : n.nodes) {
        if (node.name == "clip") {
            CHECK(node.clip.min == -0.5f);
            CHECK(node.clip.max == 0.75f);
            ++clips;
        }
        if (node.name == "clip_max") {
            CHECK(std::isinf(node.clip.min));
            CHECK(node.clip.max == 1.0f);
            ++clips;
        }
    }
    CHECK(clips == 2);
}

TEST_CASE("Constant operands are classified scalar, per-channel or full", "[import]") {
    const Network n = import_onnx(fixture("elementwise.onnx"));
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::SubConst, OpKind::DivConst, OpKind::MulConst, OpKind::AddConst,
                                            OpKind::Add, OpKind::Reshape, OpKind::Dense});
    CHECK(n.nodes[0].operand.constant_first);
    CHECK(n.nodes[0].operand.broadcast == ConstOperand::Broadcast::PerChannel);
    CHECK(n.nodes[1].operand.broadcast == ConstOperand::Broadcast::PerChannel);
    CHECK_FALSE(n.nodes[1].operand.constant_first);
    CHECK(n.nodes[2].operand.broadcast == ConstOperand::Broadcast::Scalar);
    CHECK(n.nodes[3].operand.broadcast == ConstOperand::Broadcast::Full);
    CHECK(n.nodes[3].operand.value.shape == Shape{2, 3, 3});
    CHECK(n.nodes[4].inputs.size() == 2);
    CHECK(n.nodes[4].inputs[1] == n.input);  // residual reads the network input
    CHECK(n.values[n.nodes[5].output].shape == Shape{18});
}

TEST_CASE("QDQ and fake-quant weights fold; activation QDQ lowers to elementary ops", "[import]") {
    const Network n = import_onnx(fixture("fake_quant.onnx"));
    // Clip, Mul, Round, Div; Quantize -> Div Round Add Clip; Dequantize -> Sub Mul; Dense.
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::Clip, OpKind::MulConst, OpKind::Round, OpKind::DivConst,
                                            OpKind::DivConst, OpKind::Round, OpKind::AddConst, OpKind::Clip,
                                            OpKind::SubConst, OpKind::MulConst, OpKind::Dense});
    CHECK(n.nodes[7].clip.min == -128.0f);  // int8 zero point -> int8 saturation
    CHECK(n.nodes[7].clip.max == 127.0f);
    CHECK(n.nodes[7].name == "quant/saturate");
    CHECK(n.nodes.back().dense.weight.shape == Shape{6, 8});
}

TEST_CASE("Sign of a weight initializer is folded into a +-1 weight", "[import]") {
    const Network n = import_onnx(fixture("bnn_mlp.onnx"));
    CHECK(n.opset == 17);
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::Sign, OpKind::Dense, OpKind::BatchNorm, OpKind::Sign,
                                            OpKind::Dense});
    for (float w : n.nodes[1].dense.weight.data) CHECK(std::fabs(w) == 1.0f);
}

TEST_CASE("A static batch of 1 is treated as the batch dimension", "[import]") {
    const Network n = import_onnx(fixture("static_batch_reshape.onnx"));
    CHECK(n.input_shape() == Shape{1, 4, 4});
    CHECK(n.values[n.nodes[0].output].shape == Shape{16});
}

TEST_CASE("A zero Pad merges into the Conv or AveragePool it feeds", "[import]") {
    const Network n = import_onnx(fixture("pad_merge.onnx"));
    REQUIRE(kinds(n) == std::vector<OpKind>{OpKind::Conv, OpKind::AveragePool, OpKind::Flatten, OpKind::Dense});
    CHECK(n.nodes[0].conv.pad_top == 3);
    CHECK(n.nodes[0].conv.pad_left == 2);
    CHECK(n.nodes[0].conv.pad_bottom == 2);
    CHECK(n.nodes[0].conv.pad_right == 1);
    CHECK(n.nodes[1].pool.count_include_pad);
    CHECK(n.values[n.nodes[1].output].shape == Shape{3, 3, 2});
    CHECK_THAT(import_error(fixture("bad_pad_relu.onnx")),
               Catch::Matchers::Contains("node 'relu' (op 'Relu') reads the output of Pad 'pad'; Pad is supported only"));
}

TEST_CASE("Import errors name the file and the problem in one line", "[import][errors]") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    const std::string missing = fixture("does_not_exist.onnx");
    CHECK(import_error(missing) == missing + ": error: no such file");

    const std::string trunc = fixture("bad_truncated.onnx");
    CHECK(import_error(trunc) == trunc + ": error: not a valid ONNX model (protobuf parse failed)");
    const std::string garbage = fixture("bad_garbage.onnx");
    CHECK_THAT(import_error(garbage), StartsWith(garbage + ": error: not a valid ONNX model"));

    const std::string lstm = fixture("bad_unsupported_op.onnx");
    CHECK(import_error(lstm) == lstm + ": error: node 'lstm1' (op 'LSTM') is not supported");

    CHECK_THAT(import_error(fixture("bad_dilation2.onnx")),
               Contains("node 'conv_dilated' (op 'Conv') has dilation 2; only dilation 1 is supported"));
    CHECK_THAT(import_error(fixture("bad_group2.onnx")),
               Contains("node 'conv_grouped' (op 'Conv') has group 2; only group 1 is supported"));
    CHECK_THAT(import_error(fixture("bad_nonconst_weight.onnx")),
               Contains("node 'fc_dynamic' (op 'Gemm') has a non-constant weight"));
    CHECK_THAT(import_error(fixture("bad_missing_initializer.onnx")),
               Contains("node 'fc' (op 'Gemm') reads 'W_absent', which is neither an initializer"));
    CHECK_THAT(import_error(fixture("bad_nan_weight.onnx")), Contains("initializer 'W' contains NaN or Inf"));
    CHECK_THAT(import_error(fixture("bad_opset9.onnx")), Contains("opset 9 is not supported (supported: 11-17)"));
}

TEST_CASE("Empty and tiny byte strings are rejected, never crash", "[import][errors]") {
    for (const std::string& bytes : {std::string(), std::string("\x08", 1), std::string("hello world\n")}) {
        try {
            import_onnx_bytes(bytes, "mem.onnx");
            FAIL("accepted garbage");
        } catch (const WorkloadError& e) {
            CHECK_THAT(std::string(e.what()), Catch::Matchers::StartsWith("mem.onnx: error: not a valid ONNX model"));
        }
    }
    // Every prefix of a valid model is either rejected cleanly or (at a field boundary)
    // parses into something the importer still validates.
    std::ifstream f(fixture("conv_bn_pool.onnx"), std::ios::binary);
    const std::string good((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    int rejected = 0;
    for (size_t len = 0; len < good.size(); len += 7) {
        try {
            import_onnx_bytes(good.substr(0, len), "prefix.onnx");
        } catch (const WorkloadError&) {
            ++rejected;
        }
    }
    CHECK(rejected == static_cast<int>((good.size() + 6) / 7));
}
