// Real QDQ: weights given as DequantizeLinear of integer codes keep the model's codes and
// per-channel scales (read, never searched for), and activation QuantizeLinear /
// DequantizeLinear per tensor or per axis are exact. Models are built here as ONNX protos,
// the way onnxruntime's quantize_static and torch's fake-quant export write them.
#include <catch2/catch.hpp>

#include <onnx/onnx_pb.h>

#include <cmath>
#include <string>
#include <vector>

#include "../../support/OnnxModelBuilder.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/compiler/LayerAnalysis.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/OnnxImporter.h"

using namespace sotsim;
using namespace sotsim::workloads;
using onnx::TensorProto;

namespace {

struct Model : sotsim::testing::OnnxModelBuilder {
    explicit Model(const std::vector<int64_t>& input_shape, int opset = 13)
        : OnnxModelBuilder(input_shape, {opset, true, true, "", ""}) {}
    Network import() const { return import_onnx_bytes(m.SerializeAsString(), "qdq.onnx"); }
};

// Per-tensor QuantizeLinear -> DequantizeLinear of the float input (uint8, scale s, zero 0).
void input_qdq(Model& md, float s, const std::string& out) {
    md.init("xs", {}, {s});
    md.init("xz", {}, {0}, TensorProto::UINT8);
    md.node("QuantizeLinear", {"x", "xs", "xz"}, "xq");
    md.node("DequantizeLinear", {"xq", "xs", "xz"}, out);
}

Config chip() {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.chip.tiles = 2;
    c.tile.macros = 4;
    c.macro.weight_bits = 4;
    c.periphery.input.bits = 8;
    return c;
}

}  // namespace

TEST_CASE("DequantizeLinear of int8 codes: codes and per-channel scales are read, zero points removed", "[import][qdq]") {
    // onnxruntime quantize_static style: int8 weight initializer [out 3, in 4], per-axis
    // scales along the output channels, asymmetric zero points, full range (-128).
    Model md({4});
    input_qdq(md, 1.0f / 255, "xd");
    const std::vector<float> codes = {-128, 127, 0, 5, 3, -3, 1, 2, 100, -100, 7, 0};
    const std::vector<float> scale = {0.01f, 0.02f, 0.005f}, zp = {0, 2, -1};
    md.init("wq", {3, 4}, codes, TensorProto::INT8);
    md.init("ws", {3}, scale);
    md.init("wz", {3}, zp, TensorProto::INT8);
    Model::attr(md.node("DequantizeLinear", {"wq", "ws", "wz"}, "w"), "axis", 0);
    md.init("b", {3}, {0.1f, -0.2f, 0.3f});
    Model::attr(md.node("Gemm", {"xd", "w", "b"}, "y"), "transB", 1);
    const Network net = md.import();
    const Node& fc = net.nodes.back();
    REQUIRE(fc.kind == OpKind::Dense);
    const WeightCodes& wc = fc.dense.codes;
    REQUIRE_FALSE(wc.empty());
    CHECK(wc.bits == 8);
    CHECK(wc.per_channel);
    CHECK(wc.zero_point);
    for (int o = 0; o < 3; ++o) {
        CHECK(wc.scale[o] == scale[o]);
        for (int i = 0; i < 4; ++i) {
            CHECK(wc.code[o * 4 + i] == static_cast<int>(codes[o * 4 + i] - zp[o]));
            // the float weight the reference uses is ONNX's (q - z) * s
            CHECK(fc.dense.weight.data[o * 4 + i] == (codes[o * 4 + i] - zp[o]) * scale[o]);
        }
    }
    // The compiler takes the codes as they are: -128 needs a 9-bit sign-magnitude code.
    AnalysisOptions opt;
    std::vector<std::string> notes;
    const auto plans = analyse_layers(net, chip(), opt, notes);
    REQUIRE(plans.size() == 1);
    CHECK(plans[0].weight_bits == 9);
    CHECK(plans[0].q(0, 0) == -128);
    CHECK(plans[0].q(1, 0) == 1);
    CHECK(plans[0].col_scale == scale);
    CHECK(plans[0].weight_origin ==
          "model: 8-bit codes (DequantizeLinear) with zero points, one scale per output channel; stored as 9-bit "
          "sign-magnitude");
    CHECK(notes.empty());
}

TEST_CASE("MatMul weights [in, out] with per-axis uint8 codes along the outputs are transposed with their codes",
          "[import][qdq]") {
    Model md({3});
    input_qdq(md, 1.0f / 15, "xd");
    // W [in 3, out 2], uint8, zero point 8 per output (4-bit values in an 8-bit container)
    const std::vector<float> codes = {0, 15, 8, 9, 3, 12};
    md.init("wq", {3, 2}, codes, TensorProto::UINT8);
    md.init("ws", {2}, {0.5f, 0.25f});
    md.init("wz", {2}, {8, 8}, TensorProto::UINT8);
    Model::attr(md.node("DequantizeLinear", {"wq", "ws", "wz"}, "w"), "axis", 1);
    md.node("MatMul", {"xd", "w"}, "y");
    const Network net = md.import();
    const WeightCodes& wc = net.nodes.back().dense.codes;
    REQUIRE_FALSE(wc.empty());
    CHECK(wc.scale == std::vector<float>{0.5f, 0.25f});
    // [out, in]: out 0 = column 0 of W (0, 8, 3) - 8, out 1 = (15, 9, 12) - 8
    CHECK(wc.code == std::vector<int32_t>{-8, 0, -5, 7, 1, 4});
    std::vector<std::string> notes;
    const auto plans = analyse_layers(net, chip(), AnalysisOptions{}, notes);
    CHECK(plans[0].weight_bits == 5);  // |code| up to 8
    CHECK(plans[0].weights_on_grid);
}

TEST_CASE("QuantizeLinear -> Clip -> DequantizeLinear on float weights gives the Clip's code range", "[import][qdq]") {
    // Brevitas-style 4-bit weights exported with int8 containers.
    Model md({4});
    input_qdq(md, 1.0f / 255, "xd");
    md.init("w", {2, 4}, {0.7f, -0.8f, 0.1f, 0.31f, -0.05f, 0.2f, 0.4f, -0.69f});
    md.init("s", {}, {0.1f});
    md.init("z", {}, {0}, TensorProto::INT8);
    md.init("lo", {}, {-8}, TensorProto::INT8);
    md.init("hi", {}, {7}, TensorProto::INT8);
    md.node("QuantizeLinear", {"w", "s", "z"}, "wq");
    md.node("Clip", {"wq", "lo", "hi"}, "wc");
    md.node("DequantizeLinear", {"wc", "s", "z"}, "wd");
    Model::attr(md.node("Gemm", {"xd", "wd"}, "y"), "transB", 1);
    const Network net = md.import();
    const WeightCodes& wc = net.nodes.back().dense.codes;
    REQUIRE_FALSE(wc.empty());
    CHECK(wc.bits == 4);
    CHECK_FALSE(wc.per_channel);
    CHECK_FALSE(wc.zero_point);
    CHECK(wc.code == std::vector<int32_t>{7, -8, 1, 3, 0, 2, 4, -7});  // round half to even: -0.05/0.1 -> -0
}

TEST_CASE("weight scales along the input axis are not output-channel codes: the floats are searched", "[import][qdq]") {
    Model md({2});
    input_qdq(md, 1.0f / 255, "xd");
    md.init("wq", {2, 2}, {1, 2, 3, 4}, TensorProto::INT8);
    md.init("ws", {2}, {0.5f, 0.3f});
    Model::attr(md.node("DequantizeLinear", {"wq", "ws"}, "w"), "axis", 1);
    Model::attr(md.node("Gemm", {"xd", "w"}, "y"), "transB", 1);  // [out, in]: axis 1 = inputs
    const Network net = md.import();
    CHECK(net.nodes.back().dense.codes.empty());
}

TEST_CASE("an int8 initializer holding a value outside int8 is a clear error", "[import][qdq][errors]") {
    Model md({2});
    md.init("wq", {2, 2}, {1, 2, 300, 4}, TensorProto::INT8);
    md.init("ws", {}, {0.5f});
    md.node("DequantizeLinear", {"wq", "ws"}, "w");
    Model::attr(md.node("Gemm", {"x", "w"}, "y"), "transB", 1);
    try {
        md.import();
        FAIL("accepted an out-of-range int8 value");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()) == "qdq.onnx: error: initializer 'wq' holds 300, outside the range of its element type");
    }
}

TEST_CASE("per-channel activation QuantizeLinear / DequantizeLinear is exact, channel by channel", "[import][qdq]") {
    // x [N, 2, 1, 2]: channel scales 0.5 / 0.25, int8 zero points 3 / -2, opset 17.
    Model md({2, 1, 2}, 17);
    md.init("s", {2}, {0.5f, 0.25f});
    md.init("z", {2}, {3, -2}, TensorProto::INT8);
    Model::attr(md.node("QuantizeLinear", {"x", "s", "z"}, "q"), "axis", 1);
    Model::attr(md.node("DequantizeLinear", {"q", "s", "z"}, "y"), "axis", 1);
    const Network net = md.import();
    Batch x(1, 4);
    x << 1.3f, -70.0f, 0.37f, 40.0f;
    const Batch y = FloatEvaluator(net).run(x);
    // channel 0: round(1.3/0.5)=3 (2.6), +3 = 6 -> (6-3)*0.5 = 1.5; -70/0.5=-140+3 -> -128 -> -65.5
    // channel 1: round(0.37/0.25)=1 (1.48), -2 = -1 -> 0.25; 40/0.25=160-2=158 -> 127 -> 32.25
    CHECK(y(0, 0) == 1.5f);
    CHECK(y(0, 1) == -65.5f);
    CHECK(y(0, 2) == 0.25f);
    CHECK(y(0, 3) == 32.25f);
}

TEST_CASE("per-axis activation quantization along a spatial axis is refused naming the node", "[import][qdq][errors]") {
    Model md({2, 3, 3});
    md.init("s", {3}, {0.5f, 0.25f, 1.0f});
    Model::attr(md.node("QuantizeLinear", {"x", "s"}, "q"), "axis", 2);
    md.node("DequantizeLinear", {"q", "s"}, "y");
    try {
        md.import();
        FAIL("accepted");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()) == "qdq.onnx: error: node 'q' (op 'QuantizeLinear') quantizes per axis 2; "
                                       "activations are supported per tensor or per channel (axis 1)");
    }
}
