#include "workloads/import/OnnxImporter.h"

#include "workloads/import/OnnxConstants.h"
#include "models/common/UserFile.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace sotsim::workloads {
namespace {

using onnx_import::attr_float;
using onnx_import::attr_int;
using onnx_import::attr_ints;
using onnx_import::attr_string;
using onnx_import::Constant;

struct Operand {
    const Constant* constant = nullptr;  // set for constants
    int value = -1;                      // set for computed tensors
    bool present = false;
};

// A zero Pad on H/W whose output only feeds Conv / AveragePool: merged into their pads.
struct PendingPad {
    int source = -1;
    std::vector<int64_t> pads;  // top, left, bottom, right
    std::string node;
};

class Importer {
public:
    explicit Importer(std::string source) : src_(std::move(source)) { net_.source = src_; }

    Network run(const std::string& bytes) {
        onnx::ModelProto model;
        if (bytes.empty() || !model.ParseFromString(bytes))
            fail("not a valid ONNX model (protobuf parse failed)");
        if (!model.has_graph() || model.graph().node_size() == 0)
            fail("not a valid ONNX model (no graph or no nodes)");
        check_opset(model);
        const onnx::GraphProto& g = model.graph();
        for (const auto& init : g.initializer()) add_constant(init.name(), init, "initializer");
        read_input(g);
        for (int i = 0; i < g.node_size(); ++i) convert(g.node(i), i);
        if (g.output_size() != 1)
            fail("the model has " + std::to_string(g.output_size()) + " outputs; exactly one is supported");
        const std::string& out = g.output(0).name();
        if (consts_.count(out)) fail("graph output '" + out + "' is a constant");
        auto it = values_.find(out);
        if (it == values_.end()) fail("graph output '" + out + "' is not produced by any node");
        net_.output = it->second;
        prune();
        return std::move(net_);
    }

private:
    [[noreturn]] void fail(const std::string& msg) const { throw WorkloadError(src_, msg); }
    [[noreturn]] void fail_node(const std::string& msg) const {
        throw WorkloadError(src_, "node '" + node_name_ + "' (op '" + node_op_ + "') " + msg);
    }
    [[noreturn]] void fail_or_node(int producer, const std::string& msg) const {
        if (producer < 0) fail(msg);
        fail_node(msg);
    }

    void check_opset(const onnx::ModelProto& m) {
        for (const auto& os : m.opset_import())
            if (os.domain().empty() || os.domain() == "ai.onnx") net_.opset = os.version();
        if (net_.opset == 0) fail("the model declares no ai.onnx opset");
        if (net_.opset < kMinOnnxOpset || net_.opset > kMaxOnnxOpset)
            fail("opset " + std::to_string(net_.opset) + " is not supported (supported: " +
                 std::to_string(kMinOnnxOpset) + "-" + std::to_string(kMaxOnnxOpset) + ")");
    }

    void add_constant(const std::string& name, const onnx::TensorProto& proto, const char* what) {
        try {
            consts_[name] = onnx_import::constant_from_proto(proto);
        } catch (const std::runtime_error& e) {
            fail(std::string(what) + " '" + name + "' " + e.what());
        }
    }

    void read_input(const onnx::GraphProto& g) {
        std::vector<const onnx::ValueInfoProto*> inputs;
        for (const auto& in : g.input())
            if (!consts_.count(in.name())) inputs.push_back(&in);
        if (inputs.size() != 1)
            fail("the model has " + std::to_string(inputs.size()) + " data inputs; exactly one is supported");
        const auto& vi = *inputs[0];
        if (!vi.type().has_tensor_type()) fail("input '" + vi.name() + "' is not a tensor");
        const auto& tt = vi.type().tensor_type();
        if (tt.elem_type() != onnx::TensorProto::FLOAT)
            fail("input '" + vi.name() + "' has element type " + std::to_string(tt.elem_type()) +
                 "; only float32 inputs are supported");
        if (!tt.has_shape() || tt.shape().dim_size() < 2)
            fail("input '" + vi.name() + "' needs a shape [N, ...] with a batch dimension first");
        Shape per_sample;
        for (int d = 0; d < tt.shape().dim_size(); ++d) {
            const auto& dim = tt.shape().dim(d);
            if (d == 0) {
                if (dim.has_dim_value()) declared_batch_ = dim.dim_value();
                continue;
            }
            if (!dim.has_dim_value() || dim.dim_value() <= 0)
                fail("input '" + vi.name() + "' dimension " + std::to_string(d) +
                     " is dynamic; only the batch dimension may be");
            per_sample.push_back(dim.dim_value());
        }
        net_.input = add_value(vi.name(), per_sample, -1);
    }

    int add_value(const std::string& name, const Shape& shape, int producer) {
        // Computed tensors have no data in the file behind them: bound them before any
        // later stage allocates a batch of them.
        int64_t n = 0;
        try {
            n = shape_numel(shape);
        } catch (const std::overflow_error& e) {
            fail_or_node(producer, std::string("'") + name + "': " + e.what());
        }
        const std::string what = producer < 0 ? "input '" + name + "'" : "output '" + name + "'";
        if (n == 0) fail_or_node(producer, what + " has no elements (per-sample shape " + shape_to_string(shape) + ")");
        if (n > onnx_import::kMaxPerSampleElements)
            fail_or_node(producer, what + " has " + std::to_string(n) + " elements per sample (shape " +
                                       shape_to_string(shape) + "); at most " +
                                       std::to_string(onnx_import::kMaxPerSampleElements) + " are supported");
        net_.values.push_back({name, shape, producer});
        const int id = static_cast<int>(net_.values.size()) - 1;
        values_[name] = id;
        return id;
    }

    const Shape& shape(int value) const { return net_.values[value].shape; }

    // Appends a node producing a new value called `out_name`.
    int emit(Node node, const std::string& out_name, const Shape& out_shape) {
        const int id = add_value(out_name, out_shape, static_cast<int>(net_.nodes.size()));
        node.output = id;
        net_.nodes.push_back(std::move(node));
        return id;
    }

    Node make(OpKind kind, std::vector<int> inputs, const std::string& suffix = "") const {
        Node n;
        n.name = node_name_ + suffix;
        n.kind = kind;
        n.inputs = std::move(inputs);
        return n;
    }

    const Tensor& need_constant(const Operand& o, const char* what) const {
        if (!o.present) fail_node(std::string("has no ") + what + " input");
        if (!o.constant) fail_node(std::string("has a non-constant ") + what + " (weights must be initializers)");
        return o.constant->tensor;
    }

    int need_computed(const Operand& o) const {
        if (!o.present || o.value < 0) fail_node("needs a computed data input");
        return o.value;
    }

    void convert(const onnx::NodeProto& node, int index) {
        node_op_ = node.domain().empty() || node.domain() == "ai.onnx" ? node.op_type()
                                                                       : node.domain() + "." + node.op_type();
        node_name_ = node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
        std::vector<Operand> in;
        bool any_computed = false;
        extra_pads_.assign(4, 0);
        for (const std::string& name : node.input()) {
            Operand o;
            if (!name.empty()) {
                o.present = true;
                if (auto pp = pending_pads_.find(name); pp != pending_pads_.end()) {
                    const bool mergeable = (node.op_type() == "Conv" || node.op_type() == "AveragePool") && in.empty();
                    if (!mergeable)
                        fail_node("reads the output of Pad '" + pp->second.node +
                                  "'; Pad is supported only as the input padding of a Conv or AveragePool");
                    o.value = pp->second.source;
                    extra_pads_ = pp->second.pads;
                    any_computed = true;
                } else if (auto c = consts_.find(name); c != consts_.end()) {
                    o.constant = &c->second;
                } else if (auto v = values_.find(name); v != values_.end()) {
                    o.value = v->second;
                    any_computed = true;
                } else {
                    fail_node("reads '" + name +
                              "', which is neither an initializer nor produced by an earlier node");
                }
            }
            in.push_back(o);
        }
        if (node_op_ != node.op_type()) fail_node("is not supported");
        if (node.output_size() < 1 || node.output(0).empty()) fail_node("has no output");
        const std::string& out = node.output(0);
        for (int i = 1; i < node.output_size(); ++i)
            if (!node.output(i).empty() && node.op_type() != "Dropout")
                fail_node("has a second output '" + node.output(i) + "', which is not supported");

        // Size arithmetic on attributes and constants (pads, strides, shapes) is checked;
        // an overflow there is a malformed node.
        try {
            if (node.op_type() == "Shape" && any_computed) {
                fold_shape(node, in, out);
                return;
            }
            if (!any_computed) {
                fold(node, in, out);
                return;
            }
            convert_computed(node, in, out);
        } catch (const std::overflow_error& e) {
            fail_node(e.what());
        }
    }

    void fold(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        if (node.op_type() == "Constant") {
            const auto* v = onnx_import::find_attribute(node, "value");
            if (v && v->has_t()) {
                add_constant(out, v->t(), "Constant");
                return;
            }
            Constant c;
            if (const auto* f = onnx_import::find_attribute(node, "value_float")) {
                c.tensor = Tensor{{}, {f->f()}};
            } else if (const auto* fs = onnx_import::find_attribute(node, "value_floats")) {
                c.tensor = Tensor{{fs->floats_size()}, {fs->floats().begin(), fs->floats().end()}};
            } else if (const auto* i = onnx_import::find_attribute(node, "value_int")) {
                c.tensor = Tensor{{}, {static_cast<float>(i->i())}};
                c.dtype = onnx::TensorProto::INT64;
            } else if (const auto* is = onnx_import::find_attribute(node, "value_ints")) {
                c.tensor.shape = {is->ints_size()};
                for (int64_t x : is->ints()) c.tensor.data.push_back(static_cast<float>(x));
                c.dtype = onnx::TensorProto::INT64;
            } else {
                fail_node("has no supported value attribute");
            }
            consts_[out] = c;
            return;
        }
        std::vector<const Constant*> args;
        bool placeholder = false;
        for (const Operand& o : in) {
            args.push_back(o.constant);
            placeholder = placeholder || (o.constant && o.constant->batch_placeholder);
        }
        static const std::set<std::string> shape_plumbing = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast",
                                                             "Identity"};
        if (placeholder && !shape_plumbing.count(node.op_type()))
            fail_node("computes with the batch size (from Shape); only x.view(x.size(0), ...)-style shape "
                      "plumbing into a Reshape is supported");
        Constant result;
        bool ok = false;
        try {
            ok = onnx_import::fold_constant_node(node, args, result);
        } catch (const std::exception& e) {
            fail_node(std::string("cannot be evaluated on its constant inputs: ") + e.what());
        }
        if (!ok) fail_node("is not supported");
        for (float v : result.tensor.data)
            if (!std::isfinite(v)) fail_node("produces NaN or Inf from its constant inputs");
        result.batch_placeholder = placeholder;
        consts_[out] = std::move(result);
    }

    // Shape of a computed tensor: its per-sample shape is known at import; the batch entry
    // becomes 0 (see Constant::batch_placeholder).
    void fold_shape(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        const int x = need_computed(in.at(0));
        if (attr_int(node, "start", 0) != 0 || onnx_import::find_attribute(node, "end"))
            fail_node("with start/end attributes is not supported");
        Constant c;
        c.dtype = onnx::TensorProto::INT64;
        c.tensor.data.push_back(0.0f);
        for (int64_t d : shape(x)) c.tensor.data.push_back(static_cast<float>(d));
        c.tensor.shape = {static_cast<int64_t>(c.tensor.data.size())};
        c.batch_placeholder = true;
        consts_[out] = std::move(c);
    }

    void convert_computed(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        const std::string& op = node.op_type();
        auto arg = [&](size_t i) -> Operand { return i < in.size() ? in[i] : Operand{}; };
        if (op == "Identity" || op == "Dropout") {
            values_[out] = need_computed(arg(0));
        } else if (op == "Pad") {
            convert_pad(node, in, out);
        } else if (op == "Gemm") {
            convert_gemm(node, arg(0), arg(1), arg(2), out);
        } else if (op == "MatMul") {
            convert_matmul(arg(0), arg(1), out);
        } else if (op == "Conv") {
            convert_conv(node, arg(0), arg(1), arg(2), out);
        } else if (op == "BatchNormalization") {
            convert_batchnorm(node, in, out);
        } else if (op == "Relu" || op == "Sign" || op == "Sigmoid" || op == "Tanh" || op == "Round") {
            const OpKind k = op == "Relu" ? OpKind::Relu
                             : op == "Sign" ? OpKind::Sign
                             : op == "Sigmoid" ? OpKind::Sigmoid
                             : op == "Tanh" ? OpKind::Tanh
                                            : OpKind::Round;
            const int x = need_computed(arg(0));
            emit(make(k, {x}), out, shape(x));
        } else if (op == "Clip") {
            convert_clip(node, in, out);
        } else if (op == "MaxPool" || op == "AveragePool") {
            convert_pool(node, arg(0), out, op == "MaxPool" ? OpKind::MaxPool : OpKind::AveragePool);
        } else if (op == "GlobalAveragePool") {
            const int x = need_computed(arg(0));
            if (shape(x).size() != 3) fail_node("needs a [N,C,H,W] input, got per-sample " + shape_to_string(shape(x)));
            emit(make(OpKind::GlobalAveragePool, {x}), out, {shape(x)[0], 1, 1});
        } else if (op == "Flatten") {
            const int x = need_computed(arg(0));
            const int64_t rank = static_cast<int64_t>(shape(x).size()) + 1;
            int64_t axis = attr_int(node, "axis", 1);
            if (axis < 0) axis += rank;
            if (axis != 1) fail_node("axis " + std::to_string(axis) + " would mix samples; only axis 1 is supported");
            emit(make(OpKind::Flatten, {x}), out, {shape_numel(shape(x))});
        } else if (op == "Reshape") {
            convert_reshape(node, arg(0), arg(1), out);
        } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
            convert_binary(op, arg(0), arg(1), out);
        } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
            convert_qdq(node, op == "QuantizeLinear", arg(0), arg(1), arg(2), out);
        } else if (op == "Softmax" || op == "LogSoftmax") {
            const int x = need_computed(arg(0));
            if (shape(x).size() != 1)
                fail_node("over a per-sample " + shape_to_string(shape(x)) + " tensor; only [N, classes] is supported");
            const int64_t axis = attr_int(node, "axis", -1);
            if (axis != 1 && axis != -1) fail_node("axis " + std::to_string(axis) + " would mix samples");
            emit(make(op == "Softmax" ? OpKind::Softmax : OpKind::LogSoftmax, {x}), out, shape(x));
        } else {
            fail_node("is not supported");
        }
    }

    void convert_gemm(const onnx::NodeProto& node, Operand a, Operand b, Operand c, const std::string& out) {
        const int x = need_computed(a);
        const Tensor& B = need_constant(b, "weight");
        if (attr_int(node, "transA", 0) != 0) fail_node("has transA=1, which is not supported");
        if (shape(x).size() != 1) fail_node("needs a 2-D [N,K] input, got per-sample " + shape_to_string(shape(x)));
        if (B.shape.size() != 2) fail_node("weight must be 2-D, got " + shape_to_string(B.shape));
        const bool transB = attr_int(node, "transB", 0) != 0;
        const float alpha = attr_float(node, "alpha", 1.0f), beta = attr_float(node, "beta", 1.0f);
        Node n = make(OpKind::Dense, {x});
        n.dense.weight = transB ? B : transpose2d(B);
        for (float& w : n.dense.weight.data) w *= alpha;
        n.dense.codes = weight_codes(*b.constant, transB ? 0 : 1, !transB, alpha);
        const int64_t M = n.dense.weight.shape[0], K = n.dense.weight.shape[1];
        if (K != shape(x)[0])
            fail_node("weight " + shape_to_string(B.shape) + " does not match input " + shape_to_string(shape(x)));
        n.dense.bias = Tensor{{M}, std::vector<float>(M, 0.0f)};
        if (c.present) {
            Tensor C = need_constant(c, "bias");
            while (C.shape.size() > 1 && C.shape[0] == 1) C.shape.erase(C.shape.begin());
            try {
                C = onnx_import::broadcast_to(C, {M});
            } catch (const std::exception&) {
                fail_node("bias " + shape_to_string(C.shape) + " does not broadcast to [" + std::to_string(M) + "]");
            }
            for (int64_t i = 0; i < M; ++i) n.dense.bias.data[i] = beta * C.data[i];
            n.dense.has_bias = true;
        }
        emit(std::move(n), out, {M});
    }

    void convert_matmul(Operand a, Operand b, const std::string& out) {
        if (a.constant) fail_node("has a constant left operand; only x @ W with constant W is supported");
        const int x = need_computed(a);
        const Tensor& B = need_constant(b, "weight");
        if (shape(x).size() != 1) fail_node("needs a 2-D [N,K] input, got per-sample " + shape_to_string(shape(x)));
        if (B.shape.size() != 2 || B.shape[0] != shape(x)[0])
            fail_node("weight " + shape_to_string(B.shape) + " does not match input " + shape_to_string(shape(x)));
        Node n = make(OpKind::Dense, {x});
        n.dense.weight = transpose2d(B);
        n.dense.codes = weight_codes(*b.constant, 1, true, 1.0f);
        const int64_t M = B.shape[1];
        n.dense.bias = Tensor{{M}, std::vector<float>(M, 0.0f)};
        emit(std::move(n), out, {M});
    }

    // The model's integer codes of a weight constant (Constant::dequantized) whose output
    // channels lie along `out_axis`; `transpose`: a 2-D weight stored [in, out] (MatMul,
    // Gemm with transB=0) is turned [out, in] like its floats; `alpha` scales it (Gemm).
    // Empty when the weight has no codes, or its scales vary along another axis (then the
    // compiler searches the floats for a grid) or are not positive.
    static WeightCodes weight_codes(const Constant& c, int64_t out_axis, bool transpose, float alpha) {
        WeightCodes w;
        const auto& dq = c.dequantized;
        const Shape& s = c.tensor.shape;
        if (!dq || static_cast<int64_t>(s.size()) <= out_axis || !(alpha > 0.0f)) return w;
        const bool per_axis = dq->scale.size() > 1;
        if (per_axis && dq->axis != out_axis) return w;
        const int64_t M = s[static_cast<std::size_t>(out_axis)];
        w.scale.resize(static_cast<std::size_t>(M));
        for (int64_t m = 0; m < M; ++m) {
            w.scale[m] = (per_axis ? dq->scale[m] : dq->scale[0]) * alpha;
            if (!(w.scale[m] > 0.0f)) return WeightCodes{};
        }
        if (transpose) {  // [K, M] -> [M, K]
            const int64_t K = s[0];
            w.code.resize(dq->code.size());
            for (int64_t k = 0; k < K; ++k)
                for (int64_t m = 0; m < M; ++m) w.code[m * K + k] = dq->code[k * M + m];
        } else {
            w.code = dq->code;
        }
        w.bits = dq->bits;
        w.per_channel = per_axis;
        w.zero_point = dq->zero_point;
        return w;
    }

    static Tensor transpose2d(const Tensor& t) {
        Tensor r{{t.shape[1], t.shape[0]}, std::vector<float>(t.data.size())};
        for (int64_t i = 0; i < t.shape[0]; ++i)
            for (int64_t j = 0; j < t.shape[1]; ++j) r.data[j * t.shape[0] + i] = t.data[i * t.shape[1] + j];
        return r;
    }

    // Resolves pads from `pads` / `auto_pad` for a 2-D window; returns {top,left,bottom,right}.
    std::vector<int64_t> window_pads(const onnx::NodeProto& node, const Shape& in, int64_t kh, int64_t kw,
                                     int64_t sh, int64_t sw) const {
        const std::string autopad = attr_string(node, "auto_pad", "NOTSET");
        const bool padded_input = extra_pads_ != std::vector<int64_t>(4, 0);
        if (autopad == "NOTSET") {
            std::vector<int64_t> p = attr_ints(node, "pads", {0, 0, 0, 0});
            if (p.size() != 4) fail_node("pads must have 4 entries for a 2-D window");
            for (int64_t v : p)
                if (v < 0) fail_node("has negative pads");
            for (int i = 0; i < 4; ++i) p[i] = checked_add(p[i], extra_pads_[i]);
            return p;
        }
        if (padded_input) fail_node("has auto_pad on the output of a Pad, which is not supported");
        if (autopad == "VALID") return {0, 0, 0, 0};
        if (autopad == "SAME_UPPER" || autopad == "SAME_LOWER") {
            std::vector<int64_t> p(4);
            const int64_t dims[2] = {in[1], in[2]}, k[2] = {kh, kw}, s[2] = {sh, sw};
            for (int d = 0; d < 2; ++d) {
                const int64_t o = checked_add(dims[d], s[d] - 1) / s[d];
                const int64_t total = std::max<int64_t>(checked_add(checked_mul(o - 1, s[d]), k[d]) - dims[d], 0);
                const int64_t small = total / 2, large = total - small;
                p[d] = autopad == "SAME_UPPER" ? small : large;
                p[d + 2] = autopad == "SAME_UPPER" ? large : small;
            }
            return p;
        }
        fail_node("has unknown auto_pad '" + autopad + "'");
    }

    void convert_pad(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        const int x = need_computed(in.at(0));
        if (attr_string(node, "mode", "constant") != "constant") fail_node("mode must be 'constant'");
        if (in.size() < 2 || !in[1].present) fail_node("needs a pads input");
        const Tensor& p = need_constant(in[1], "pads");
        if (in.size() > 2 && in[2].present && scalar(need_constant(in[2], "constant_value"), "constant_value") != 0.0f)
            fail_node("pads with a non-zero value; only zero padding is supported");
        if (in.size() > 3 && in[3].present) fail_node("has an axes input, which is not supported");
        if (shape(x).size() != 3 || p.numel() != 8 || p.data[0] != 0 || p.data[1] != 0 || p.data[4] != 0 ||
            p.data[5] != 0)
            fail_node("must pad only H and W of a [N,C,H,W] tensor");
        for (float v : p.data)
            if (v < 0) fail_node("has negative pads (cropping is not supported)");
        PendingPad pp;
        pp.source = x;
        pp.node = node_name_;
        try {
            for (int i : {2, 3, 6, 7}) pp.pads.push_back(onnx_import::integer_value(p.data[i], "pads"));
        } catch (const std::runtime_error& e) {
            fail_node(e.what());
        }
        pending_pads_[out] = pp;
    }

    void check_unit_dilation(const onnx::NodeProto& node) const {
        for (int64_t d : attr_ints(node, "dilations", {}))
            if (d != 1) fail_node("has dilation " + std::to_string(d) + "; only dilation 1 is supported");
    }

    Shape window_output(const Shape& in, int64_t channels, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                        const std::vector<int64_t>& p) const {
        const int64_t span_h = checked_add(checked_add(in[1], p[0]), p[2]);
        const int64_t span_w = checked_add(checked_add(in[2], p[1]), p[3]);
        if (span_h < kh || span_w < kw)
            fail_node("window " + std::to_string(kh) + "x" + std::to_string(kw) + " does not fit input " +
                      shape_to_string(in));
        return {channels, (span_h - kh) / sh + 1, (span_w - kw) / sw + 1};
    }

    std::vector<int64_t> strides2(const onnx::NodeProto& node) const {
        std::vector<int64_t> s = attr_ints(node, "strides", {1, 1});
        if (s.size() != 2 || s[0] < 1 || s[1] < 1) fail_node("strides must be two positive numbers");
        return s;
    }

    void convert_conv(const onnx::NodeProto& node, Operand xo, Operand wo, Operand bo, const std::string& out) {
        const int x = need_computed(xo);
        const Tensor& W = need_constant(wo, "weight");
        const Shape& s = shape(x);
        if (s.size() != 3) fail_node("needs a [N,C,H,W] input (2-D convolution), got per-sample " + shape_to_string(s));
        const int64_t group = attr_int(node, "group", 1);
        if (group != 1) fail_node("has group " + std::to_string(group) + "; only group 1 is supported");
        check_unit_dilation(node);
        if (W.shape.size() != 4 || W.shape[1] != s[0])
            fail_node("weight " + shape_to_string(W.shape) + " does not match input " + shape_to_string(s));
        const int64_t M = W.shape[0], kh = W.shape[2], kw = W.shape[3];
        if (M < 1 || kh < 1 || kw < 1) fail_node("weight " + shape_to_string(W.shape) + " is empty");
        const auto ks = attr_ints(node, "kernel_shape", {kh, kw});
        if (ks.size() != 2 || ks[0] != kh || ks[1] != kw) fail_node("kernel_shape does not match the weight");
        const auto st = strides2(node);
        const auto p = window_pads(node, s, kh, kw, st[0], st[1]);
        Node n = make(OpKind::Conv, {x});
        n.conv.weight = W;
        n.conv.codes = weight_codes(*wo.constant, 0, false, 1.0f);
        n.conv.bias = Tensor{{M}, std::vector<float>(M, 0.0f)};
        if (bo.present) {
            const Tensor& B = need_constant(bo, "bias");
            if (B.numel() != M) fail_node("bias " + shape_to_string(B.shape) + " does not match " + std::to_string(M) + " output channels");
            n.conv.bias.data = B.data;
            n.conv.has_bias = true;
        }
        n.conv.stride_h = st[0], n.conv.stride_w = st[1];
        n.conv.pad_top = p[0], n.conv.pad_left = p[1], n.conv.pad_bottom = p[2], n.conv.pad_right = p[3];
        emit(std::move(n), out, window_output(s, M, kh, kw, st[0], st[1], p));
    }

    void convert_pool(const onnx::NodeProto& node, Operand xo, const std::string& out, OpKind kind) {
        const int x = need_computed(xo);
        const Shape& s = shape(x);
        if (s.size() != 3) fail_node("needs a [N,C,H,W] input (2-D pooling), got per-sample " + shape_to_string(s));
        if (attr_int(node, "ceil_mode", 0) != 0) fail_node("has ceil_mode=1; only ceil_mode 0 is supported");
        check_unit_dilation(node);
        const auto k = attr_ints(node, "kernel_shape", {});
        if (k.size() != 2 || k[0] < 1 || k[1] < 1) fail_node("kernel_shape must be two positive numbers");
        const auto st = strides2(node);
        const auto p = window_pads(node, s, k[0], k[1], st[0], st[1]);
        Node n = make(kind, {x});
        n.pool.kernel_h = k[0], n.pool.kernel_w = k[1];
        n.pool.stride_h = st[0], n.pool.stride_w = st[1];
        n.pool.pad_top = p[0], n.pool.pad_left = p[1], n.pool.pad_bottom = p[2], n.pool.pad_right = p[3];
        n.pool.count_include_pad = attr_int(node, "count_include_pad", 0) != 0;
        if (extra_pads_ != std::vector<int64_t>(4, 0)) {
            // Pad made real zeros that every window counts; the pool's own pads must then count too.
            const auto own = attr_ints(node, "pads", {0, 0, 0, 0});
            if (!n.pool.count_include_pad && own != std::vector<int64_t>(4, 0))
                fail_node("combines a preceding Pad with its own pads and count_include_pad=0, which is not supported");
            n.pool.count_include_pad = true;
        }
        emit(std::move(n), out, window_output(s, s[0], k[0], k[1], st[0], st[1], p));
    }

    void convert_batchnorm(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        if (in.size() != 5) fail_node("needs 5 inputs");
        if (attr_int(node, "training_mode", 0) != 0) fail_node("has training_mode=1, which is not supported");
        const int x = need_computed(in[0]);
        const Shape& s = shape(x);
        if (s.empty()) fail_node("needs a channel dimension");
        const char* names[4] = {"scale", "bias", "mean", "var"};
        Tensor* dst[4];
        Node n = make(OpKind::BatchNorm, {x});
        dst[0] = &n.batchnorm.scale, dst[1] = &n.batchnorm.bias, dst[2] = &n.batchnorm.mean, dst[3] = &n.batchnorm.var;
        for (int i = 0; i < 4; ++i) {
            *dst[i] = need_constant(in[i + 1], names[i]);
            if (dst[i]->numel() != s[0])
                fail_node(std::string(names[i]) + " has " + std::to_string(dst[i]->numel()) + " values for " +
                          std::to_string(s[0]) + " channels");
            dst[i]->shape = {s[0]};
        }
        n.batchnorm.epsilon = attr_float(node, "epsilon", 1e-5f);
        for (float v : n.batchnorm.var.data)
            if (v + n.batchnorm.epsilon <= 0) fail_node("has var + epsilon <= 0");
        emit(std::move(n), out, s);
    }

    void convert_clip(const onnx::NodeProto& node, const std::vector<Operand>& in, const std::string& out) {
        const int x = need_computed(in.at(0));
        Node n = make(OpKind::Clip, {x});
        n.clip.min = attr_float(node, "min", n.clip.min);
        n.clip.max = attr_float(node, "max", n.clip.max);
        if (in.size() > 1 && in[1].present) n.clip.min = scalar(need_constant(in[1], "min"), "min");
        if (in.size() > 2 && in[2].present) n.clip.max = scalar(need_constant(in[2], "max"), "max");
        emit(std::move(n), out, shape(x));
    }

    float scalar(const Tensor& t, const char* what) const {
        if (t.numel() != 1) fail_node(std::string(what) + " must be a scalar, got " + shape_to_string(t.shape));
        return t.data[0];
    }

    void convert_reshape(const onnx::NodeProto& node, Operand xo, Operand so, const std::string& out) {
        const int x = need_computed(xo);
        const Tensor& t = need_constant(so, "shape");
        if (t.numel() < 1) fail_node("has an empty target shape");
        if (attr_int(node, "allowzero", 0) != 0 && std::count(t.data.begin(), t.data.end(), 0.0f))
            fail_node("has allowzero=1 with a 0 dimension, which is not supported");
        const Shape& s = shape(x);
        auto entry = [&](float v) {
            try {
                return onnx_import::integer_value(v, "target shape");
            } catch (const std::runtime_error& e) {
                fail_node(e.what());
            }
        };
        const int64_t first = entry(t.data[0]);
        if (!(first == 0 || first == -1 || (declared_batch_ > 0 && first == declared_batch_)))
            fail_node("target shape must keep the batch dimension first (0, -1 or the model's batch size)");
        Shape target;
        int infer = -1;
        int64_t known = 1;
        for (int64_t i = 1; i < t.numel(); ++i) {
            int64_t d = entry(t.data[i]);
            if (d == 0) {
                if (i - 1 >= static_cast<int64_t>(s.size())) fail_node("0 in the target shape refers to a missing dimension");
                d = s[i - 1];
            }
            if (d == -1) {
                if (infer >= 0 || first == -1) fail_node("target shape has more than one -1");
                infer = static_cast<int>(target.size());
                target.push_back(1);
                continue;
            }
            if (d < 0) fail_node("target shape has a negative dimension");
            known = checked_mul(known, d);
            target.push_back(d);
        }
        const int64_t total = shape_numel(s);
        if (infer >= 0) {
            if (known == 0 || total % known) fail_node("cannot infer -1 for input " + shape_to_string(s));
            target[infer] = total / known;
        }
        if (shape_numel(target) != total)
            fail_node("reshapes per-sample " + shape_to_string(s) + " to " + shape_to_string(target) +
                      ", which changes the number of elements per sample");
        emit(make(OpKind::Reshape, {x}), out, target);
    }

    void convert_binary(const std::string& op, Operand a, Operand b, const std::string& out) {
        if (!a.present || !b.present) fail_node("needs two inputs");
        if (!a.constant && !b.constant) {
            if (op != "Add") fail_node("of two computed tensors is not supported (one operand must be a constant)");
            if (shape(a.value) != shape(b.value))
                fail_node("adds " + shape_to_string(shape(a.value)) + " and " + shape_to_string(shape(b.value)) +
                          "; residual Add needs identical shapes");
            emit(make(OpKind::Add, {a.value, b.value}), out, shape(a.value));
            return;
        }
        const bool constant_first = a.constant != nullptr;
        const int x = constant_first ? b.value : a.value;
        const Tensor& c = constant_first ? a.constant->tensor : b.constant->tensor;
        const OpKind kind = op == "Add" ? OpKind::AddConst
                            : op == "Sub" ? OpKind::SubConst
                            : op == "Mul" ? OpKind::MulConst
                                          : OpKind::DivConst;
        Node n = make(kind, {x});
        n.operand = classify_operand(c, shape(x));
        n.operand.constant_first = constant_first && (kind == OpKind::SubConst || kind == OpKind::DivConst);
        if (kind == OpKind::DivConst && !n.operand.constant_first)
            for (float v : n.operand.value.data)
                if (v == 0.0f) fail_node("divides by a constant that contains 0");
        emit(std::move(n), out, shape(x));
    }

    // Broadcasts constant `c` against a computed [N, s...] tensor and classifies the result.
    ConstOperand classify_operand(const Tensor& c, const Shape& s) const {
        Shape full = s;
        full.insert(full.begin(), 1);
        Shape b;
        try {
            b = onnx_import::broadcast_shapes(full, c.shape);
        } catch (const std::exception&) {
            fail_node("constant " + shape_to_string(c.shape) + " does not broadcast to per-sample " + shape_to_string(s));
        }
        if (b != full)
            fail_node("constant " + shape_to_string(c.shape) + " would enlarge per-sample " + shape_to_string(s));
        ConstOperand o;
        // Right-align the constant's shape to the per-sample rank.
        Shape aligned(s.size(), 1);
        for (size_t i = 0; i < c.shape.size() && i < s.size(); ++i)
            aligned[s.size() - 1 - i] = c.shape[c.shape.size() - 1 - i];
        bool only_dim0 = true;
        for (size_t d = 1; d < aligned.size(); ++d) only_dim0 = only_dim0 && aligned[d] == 1;
        if (c.numel() == 1) {
            o.broadcast = ConstOperand::Broadcast::Scalar;
            o.value = Tensor{{}, {c.data[0]}};
        } else if (only_dim0 && !s.empty()) {
            o.broadcast = ConstOperand::Broadcast::PerChannel;
            o.value = onnx_import::broadcast_to(Tensor{{aligned[0]}, c.data}, {s[0]});
        } else {
            o.broadcast = ConstOperand::Broadcast::Full;
            o.value = onnx_import::broadcast_to(Tensor{aligned, c.data}, s);
        }
        return o;
    }

    // QuantizeLinear / DequantizeLinear of a computed tensor, per tensor or per axis (the
    // channel axis 1: one scale and zero point per channel of the per-sample tensor).
    void convert_qdq(const onnx::NodeProto& node, bool quantize, Operand xo, Operand so, Operand zo,
                     const std::string& out) {
        int x = need_computed(xo);
        const Shape s = shape(x);
        const Tensor& scale = need_constant(so, "scale");
        const bool per_axis = scale.numel() > 1;
        if (scale.numel() < 1) fail_node("has an empty scale");
        if (per_axis) {
            const int64_t rank = static_cast<int64_t>(s.size()) + 1;
            int64_t axis = attr_int(node, "axis", 1);
            if (axis < 0) axis += rank;
            if (axis != 1)
                fail_node("quantizes per axis " + std::to_string(axis) +
                          "; activations are supported per tensor or per channel (axis 1)");
            if (s.empty() || scale.numel() != s[0])
                fail_node("has " + std::to_string(scale.numel()) + " scales for " +
                          std::to_string(s.empty() ? 1 : s[0]) + " channels");
        }
        for (float v : scale.data)
            if (v == 0.0f) fail_node("has scale 0");
        Tensor zp{scale.shape, std::vector<float>(scale.data.size(), 0.0f)};
        int zp_type = onnx::TensorProto::UINT8;
        if (zo.present) {
            zp = need_constant(zo, "zero point");
            zp_type = zo.constant->dtype;
            if (zp.numel() != scale.numel()) fail_node("zero point and scale differ in size");
        }
        const bool any_zp = std::any_of(zp.data.begin(), zp.data.end(), [](float z) { return z != 0.0f; });
        auto const_op = [&](OpKind k, const Tensor& v, const std::string& suffix, const std::string& name) {
            Node n = make(k, {x}, suffix);
            n.operand.broadcast = per_axis ? ConstOperand::Broadcast::PerChannel : ConstOperand::Broadcast::Scalar;
            n.operand.value = per_axis ? Tensor{{s[0]}, v.data} : Tensor{{}, {v.data[0]}};
            x = emit(std::move(n), name, s);
        };
        if (quantize) {
            const_op(OpKind::DivConst, scale, "/div", out + "/div");
            x = emit(make(OpKind::Round, {x}, "/round"), out + "/round", s);
            if (any_zp) const_op(OpKind::AddConst, zp, "/add_zero_point", out + "/add_zero_point");
            Node clip = make(OpKind::Clip, {x}, "/saturate");
            clip.clip.min = zp_type == onnx::TensorProto::INT8 ? -128.0f : 0.0f;
            clip.clip.max = zp_type == onnx::TensorProto::INT8 ? 127.0f : 255.0f;
            emit(std::move(clip), out, s);
        } else {
            if (any_zp) const_op(OpKind::SubConst, zp, "/sub_zero_point", out + "/sub_zero_point");
            const_op(OpKind::MulConst, scale, "/mul", out);
        }
    }

    // Drops nodes that do not feed the output and renumbers values.
    void prune() {
        std::vector<bool> live_value(net_.values.size(), false);
        live_value[net_.output] = true;
        std::vector<bool> live_node(net_.nodes.size(), false);
        for (int i = static_cast<int>(net_.nodes.size()) - 1; i >= 0; --i) {
            if (!live_value[net_.nodes[i].output]) continue;
            live_node[i] = true;
            for (int v : net_.nodes[i].inputs) live_value[v] = true;
        }
        if (!live_value[net_.input]) fail("the output does not depend on the input");
        Network pruned;
        pruned.source = net_.source;
        pruned.opset = net_.opset;
        std::vector<int> remap(net_.values.size(), -1);
        auto keep_value = [&](int v, int producer) {
            pruned.values.push_back(net_.values[v]);
            pruned.values.back().producer = producer;
            remap[v] = static_cast<int>(pruned.values.size()) - 1;
        };
        keep_value(net_.input, -1);
        pruned.input = 0;
        for (size_t i = 0; i < net_.nodes.size(); ++i) {
            if (!live_node[i]) continue;
            Node n = net_.nodes[i];
            for (int& v : n.inputs) v = remap[v];
            keep_value(n.output, static_cast<int>(pruned.nodes.size()));
            n.output = remap[n.output];
            pruned.nodes.push_back(std::move(n));
        }
        pruned.output = remap[net_.output];
        net_ = std::move(pruned);
    }

    std::string src_;
    Network net_;
    std::map<std::string, Constant> consts_;
    std::map<std::string, int> values_;
    int64_t declared_batch_ = -1;
    std::string node_name_, node_op_;
    std::map<std::string, PendingPad> pending_pads_;
    std::vector<int64_t> extra_pads_;  // from a PendingPad read by the current node
};

}  // namespace

Network import_onnx_bytes(const std::string& bytes, const std::string& source) {
    return Importer(source).run(bytes);
}

Network import_onnx(const std::string& path) {
    std::string bytes;
    try {
        bytes = io::read_user_file(path);
    } catch (const io::UserFileError& e) {
        throw WorkloadError(path, e.what());
    }
    return import_onnx_bytes(bytes, path);
}

}  // namespace sotsim::workloads
