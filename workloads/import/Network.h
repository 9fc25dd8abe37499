#pragma once
// The network IR: what `import_onnx` produces and what the float evaluator and the compiler
// consume. Plain C++17 + Eigen, no ONNX types leak out of the importer.
//
// Model of a network
// ------------------
// * A Network is a list of Nodes in topological order over Values. Value 0..K are named
//   tensors; every Value has a *per-sample* shape: the batch dimension N of the ONNX model
//   is always stripped (an ONNX [N,1,28,28] value has shape {1,28,28}; [N,784] has {784}).
// * Exactly one Value is the network input (`input`, produced by no node) and one is the
//   output (`output`, the logits). Every node reads computed Values only; constants
//   (initializers, Constant nodes, anything computable from constants alone such as
//   Transpose(W) or DequantizeLinear(Wq)) are folded at import time into node parameters.
//   Identity nodes are removed (their output aliases their input). Nodes that do not
//   contribute to the output are dropped.
// * Tensors are float32, C order (row-major, last index fastest). A Batch holds one row per
//   sample, the row being the sample's per-sample tensor in C order.
//
// Operators (OpKind) and their exact semantics
// --------------------------------------------
//   Dense        y[o] = sum_i weight[o,i] * x[i] + bias[o]. Input shape {in}, output {out}.
//                From Gemm (transB, alpha and beta folded; transA must be 0) and MatMul.
//   Conv         2-D convolution, group 1, dilation 1: y[m,oy,ox] = bias[m] +
//                sum_{c,ky,kx} weight[m,c,ky,kx] * xpad[c, oy*stride_h+ky, ox*stride_w+kx],
//                xpad = x zero-padded by pad_top/left/bottom/right. In {C,H,W}, out {M,OH,OW}.
//   BatchNorm    inference form, per channel c (= dim 0 of the per-sample shape):
//                y = scale[c] * (x - mean[c]) / sqrt(var[c] + epsilon) + bias[c].
//   Relu         max(x, 0).
//   Sign         -1, 0, +1 (ONNX: Sign(0) = 0; a compiler binarizing to +-1 must decide 0).
//   Sigmoid      1 / (1 + exp(-x)).          Tanh  tanh(x).
//   Clip         min(max(x, clip.min), clip.max); absent bounds are -inf / +inf.
//   Round        round half to even (ONNX Round).
//   MaxPool      2-D, window kernel_h x kernel_w, strides, pads (padding never wins the max).
//   AveragePool  2-D; with count_include_pad the divisor is kernel_h*kernel_w, otherwise the
//                number of non-padding elements in the window.
//   GlobalAveragePool  {C,H,W} -> {C,1,1}, mean over H,W.
//   Flatten, Reshape   pure reinterpretation of the C-order data; only the shape changes.
//   AddConst, SubConst, MulConst, DivConst
//                elementwise x (op) c with a constant operand (see ConstOperand); when
//                `operand.constant_first` the constant is the left operand (c - x, c / x).
//   Add          x0 + x1, two computed tensors of identical shape (residual connections).
//   Softmax, LogSoftmax  over the features of a {features} tensor (ONNX axis 1 / -1). The
//                compiler maps them only as the last node, where argmax ignores them.
//   QuantizeLinear / DequantizeLinear on computed tensors are lowered exactly into
//   DivConst(scale) -> Round -> AddConst(zero point) -> Clip(qmin,qmax) and
//   SubConst(zero point) -> MulConst(scale); node names get a "/div", "/round", ... suffix.
//   Per-axis (channel axis 1) scales and zero points become PerChannel operands. On
//   weights they fold into the weight floats, and the integer codes stay beside them
//   (WeightCodes) so the compiler reads the model's grid instead of searching for one.
#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sotsim::workloads {

using Shape = std::vector<int64_t>;

// Overflow-checked size arithmetic for dimensions read from user files (ONNX, .npy, IDX).
// Every product of dimensions goes through these, so a declared shape such as
// [2^32, 2^32] is an error instead of wrapping to a small element count. They throw
// std::overflow_error (a std::runtime_error); callers add the file and position.
int64_t checked_mul(int64_t a, int64_t b);
int64_t checked_add(int64_t a, int64_t b);

// Number of elements of a shape (1 for the empty shape, i.e. a scalar). Negative
// dimensions and products that do not fit int64 throw std::overflow_error. A shape with a
// zero dimension has 0 elements; its other dimensions must still multiply without overflow,
// so the C-order strides of any accepted shape fit int64 too.
int64_t shape_numel(const Shape& shape);
// "[1,28,28]"
std::string shape_to_string(const Shape& shape);

struct Tensor {
    Shape shape;              // empty = scalar
    std::vector<float> data;  // C order, size == shape_numel(shape)

    int64_t numel() const { return static_cast<int64_t>(data.size()); }
    // Row-major view of a 2-D tensor (Dense weight [out,in]) or of a 4-D conv weight as
    // [M, C*kh*kw].
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
    as_matrix(int64_t rows, int64_t cols) const {
        return {data.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)};
    }
};

// One row per sample, per-sample tensor in C order.
using Batch = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class OpKind {
    Dense,
    Conv,
    BatchNorm,
    Relu,
    Sign,
    Sigmoid,
    Tanh,
    Clip,
    Round,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    Flatten,
    Reshape,
    AddConst,
    SubConst,
    MulConst,
    DivConst,
    Add,
    Softmax,
    LogSoftmax,
};

const char* op_name(OpKind kind);

// The constant operand of AddConst/SubConst/MulConst/DivConst after broadcasting against
// the per-sample shape of the computed operand:
//   Scalar      value.shape = {}            one number for every element
//   PerChannel  value.shape = {C}           varies along dim 0 of the per-sample shape only
//                                           (for a {features} tensor: one per feature)
//   Full        value.shape = input shape   one number per element
struct ConstOperand {
    enum class Broadcast { Scalar, PerChannel, Full };
    Broadcast broadcast = Broadcast::Scalar;
    Tensor value;
    bool constant_first = false;  // c - x or c / x instead of x - c, x / c
};

// Weights the model gives as DequantizeLinear of integer codes (an integer initializer, or
// QuantizeLinear [-> Clip] of a float one, folded at import): weight[o, ...] equals
// (float) code[o, ...] * scale[o] up to float32 rounding. Empty when the weights are plain
// floats or their scales vary along another axis than the output channels.
struct WeightCodes {
    std::vector<int32_t> code;  // code - zero point, in the weight's layout
    std::vector<float> scale;   // one per output channel (a per-tensor scale repeated)
    int bits = 0;               // bits of the model's code range (int8: 8; Clip(-8, 7): 4)
    bool per_channel = false;   // the model gave one scale per output channel
    bool zero_point = false;    // some zero point differs from 0

    bool empty() const { return code.empty(); }
};

struct DenseParams {
    Tensor weight;  // [out, in]
    Tensor bias;    // [out]; zeros when the model has none (has_bias false)
    bool has_bias = false;
    WeightCodes codes;  // [out, in] when the model states them
};

struct ConvParams {
    Tensor weight;  // [out_channels, in_channels, kernel_h, kernel_w]
    Tensor bias;    // [out_channels]; zeros when has_bias is false
    bool has_bias = false;
    WeightCodes codes;  // [out_channels, in_channels * kernel_h * kernel_w] order of `weight`
    int64_t stride_h = 1, stride_w = 1;
    int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

struct PoolParams {
    int64_t kernel_h = 1, kernel_w = 1;
    int64_t stride_h = 1, stride_w = 1;
    int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    bool count_include_pad = false;  // AveragePool only
};

struct BatchNormParams {
    Tensor scale, bias, mean, var;  // each [C]
    float epsilon = 1e-5f;
};

struct ClipParams {
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();
};

struct Node {
    std::string name;         // ONNX node name (or "<op>_<index>" when the model has none)
    OpKind kind = OpKind::Relu;
    std::vector<int> inputs;  // value ids; one, or two for Add
    int output = -1;          // value id
    // Parameters: only the struct matching `kind` is meaningful.
    DenseParams dense;
    ConvParams conv;
    PoolParams pool;
    BatchNormParams batchnorm;
    ClipParams clip;
    ConstOperand operand;
};

struct Value {
    std::string name;
    Shape shape;        // per sample (batch dimension stripped)
    int producer = -1;  // node index, -1 for the network input
};

struct Network {
    std::string source;  // file it was imported from
    int64_t opset = 0;
    std::vector<Value> values;
    std::vector<Node> nodes;  // topological order
    int input = -1;
    int output = -1;

    const Shape& input_shape() const { return values.at(input).shape; }
    const Shape& output_shape() const { return values.at(output).shape; }
    int64_t input_size() const { return shape_numel(input_shape()); }
    int64_t output_size() const { return shape_numel(output_shape()); }
    // Node indices that read `value`, in order.
    std::vector<int> consumers(int value) const;
    // Multiply-accumulates per sample of Dense and Conv nodes.
    int64_t macs_per_sample() const;
    // One line per node: "name  Op  [in] -> [out]".
    std::string summary() const;
};

}  // namespace sotsim::workloads
