#pragma once
// Importer internals: ONNX TensorProto -> Tensor, and constant folding of the few ONNX ops
// that exporters apply to weights (Transpose(W), Sign(W), DequantizeLinear(Wq), Mul(W, s),
// Reshape of a shape constant, ...). Not part of the public IR.
#include "workloads/import/Network.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace sotsim::workloads::onnx_import {

// A constant as the importer sees it: the values (as float) and the ONNX element type, which
// matters for QuantizeLinear (uint8 vs int8 saturation).
struct Constant {
    Tensor tensor;
    int dtype = onnx::TensorProto::FLOAT;
    // Shape(x) of a computed tensor folds to [0, d1, d2, ...]: the batch size is unknown at
    // import, and 0 is what Reshape reads as "keep this dimension". Such a constant may only
    // travel through shape plumbing (Gather/Unsqueeze/Squeeze/Concat/Cast) into a Reshape.
    bool batch_placeholder = false;
    // Integer constants: the range their codes may take, from the element type (int8, uint8)
    // narrowed by a Clip folded onto them (QuantizeLinear -> Clip(-8, 7) is a 4-bit code).
    // Infinite when the type gives no useful range (int32, int64).
    double int_lo = -std::numeric_limits<double>::infinity();
    double int_hi = std::numeric_limits<double>::infinity();
    // DequantizeLinear of integer codes: the codes and scales as the model states them, kept
    // beside the float values they fold to, so a weight's grid is read, never searched for.
    struct Dequantized {
        std::vector<int32_t> code;  // x - zero point, in the layout of `tensor`
        std::vector<float> scale;   // one per tensor, or one per index of `axis`
        int64_t axis = 0;
        int bits = 0;               // bits of the code range (int8: 8; Clip(-8, 7): 4)
        bool zero_point = false;    // some zero point differs from 0
    };
    std::shared_ptr<const Dequantized> dequantized;
};

// Largest constant that folding may create beyond the size of its inputs (broadcasting two
// constants), and the largest per-sample tensor the importer accepts: 2^26 float32 values
// (256 MiB per sample). Far above any network this simulator maps (VGG-8's largest
// activation has 2^17), low enough that a malformed shape cannot exhaust memory.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 26;
constexpr int64_t kMaxPerSampleElements = int64_t{1} << 26;

// Throws std::runtime_error with a message without the file prefix (the importer adds it).
Constant constant_from_proto(const onnx::TensorProto& proto);

// numpy broadcasting of two shapes; throws std::runtime_error when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Applies f elementwise with numpy broadcasting.
Tensor broadcast_apply(const Tensor& a, const Tensor& b, const std::function<float(float, float)>& f);
// Expands `t` (numpy broadcasting) to exactly `shape`.
Tensor broadcast_to(const Tensor& t, const Shape& shape);

// Evaluates `node` whose inputs are all constants. Returns false when the op is not foldable
// (the caller then reports it as unsupported); throws std::runtime_error on bad attributes.
bool fold_constant_node(const onnx::NodeProto& node, const std::vector<const Constant*>& inputs,
                        Constant& out);

// A float constant entry used as an integer (shape entry, axis, pad; the IR keeps every
// constant as float). Throws std::runtime_error for non-integers and magnitudes whose cast
// to int64 would be undefined.
int64_t integer_value(float v, const char* what);

// Attribute helpers (nullptr / defaults when absent).
const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name);
int64_t attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback);
std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& fallback);
std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                               const std::vector<int64_t>& fallback);

}  // namespace sotsim::workloads::onnx_import
