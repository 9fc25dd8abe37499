#include "workloads/import/OnnxConstants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace sotsim::workloads::onnx_import {
namespace {

using onnx::TensorProto;

template <typename T>
std::vector<float> raw_as(const std::string& raw) {
    if (raw.size() % sizeof(T) != 0)
        throw std::runtime_error("raw_data size " + std::to_string(raw.size()) +
                                 " is not a multiple of the element size");
    std::vector<float> out(raw.size() / sizeof(T));
    for (size_t i = 0; i < out.size(); ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
        out[i] = static_cast<float>(v);
    }
    return out;
}

template <typename Field>
std::vector<float> field_as(const Field& f) {
    return std::vector<float>(f.begin(), f.end());
}

bool is_integer_type(int dtype) {
    return dtype != TensorProto::FLOAT && dtype != TensorProto::DOUBLE;
}

// Strides of a C-order shape.
std::vector<int64_t> strides_of(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
    return st;
}

// Index into a tensor of shape `src` (right-aligned, broadcast) for flat index `flat` of `dst`.
int64_t broadcast_index(int64_t flat, const Shape& dst, const std::vector<int64_t>& dst_strides,
                        const Shape& src, const std::vector<int64_t>& src_strides) {
    int64_t idx = 0;
    const size_t off = dst.size() - src.size();
    for (size_t d = 0; d < dst.size(); ++d) {
        const int64_t coord = (flat / dst_strides[d]) % dst[d];
        if (d >= off && src[d - off] != 1) idx += coord * src_strides[d - off];
    }
    return idx;
}

Tensor unary(const Tensor& t, float (*f)(float)) {
    Tensor out = t;
    for (float& v : out.data) v = f(v);
    return out;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const char* what) {
    const int64_t given = axis;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank)
        throw std::runtime_error(std::string(what) + " axis " + std::to_string(given) + " is out of range for rank " +
                                 std::to_string(rank));
    return axis;
}

float first_scalar(const Tensor& t, const char* what) {
    if (t.numel() != 1) throw std::runtime_error(std::string(what) + " must be a scalar, got " + shape_to_string(t.shape));
    return t.data[0];
}

// QuantizeLinear / DequantizeLinear on constants, per tensor or per axis.
Constant fold_qdq(const onnx::NodeProto& node, const std::vector<const Constant*>& in, bool quantize) {
    const Tensor& x = in.at(0)->tensor;
    const Tensor& scale = in.at(1)->tensor;
    const bool has_zp = in.size() > 2 && in[2] != nullptr;
    const int zp_type = has_zp ? in[2]->dtype : TensorProto::UINT8;
    if (scale.numel() < 1) throw std::runtime_error("scale is empty");
    Tensor zp = has_zp ? in[2]->tensor : Tensor{scale.shape, std::vector<float>(scale.data.size(), 0.0f)};
    if (zp.numel() != scale.numel()) throw std::runtime_error("zero point and scale differ in size");
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = 0, inner = 1, channels = 1;
    if (scale.numel() > 1) {
        axis = normalize_axis(attr_int(node, "axis", 1), rank, "quantization");
        channels = x.shape[axis];
        if (channels != scale.numel()) throw std::runtime_error("per-axis scale size does not match the axis");
        for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[d];
    }
    float qmin = 0, qmax = 255;
    if (zp_type == TensorProto::INT8) qmin = -128, qmax = 127;
    Constant out;
    out.tensor = x;
    out.dtype = quantize ? zp_type : TensorProto::FLOAT;
    if (quantize) out.int_lo = qmin, out.int_hi = qmax;
    // Dequantizing codes of a known small range: keep the codes (see Constant::dequantized).
    const Constant& src = *in.at(0);
    const bool codes = !quantize && is_integer_type(src.dtype) && std::isfinite(src.int_lo) &&
                       std::isfinite(src.int_hi) && src.int_hi - src.int_lo < 65536.0;
    std::shared_ptr<Constant::Dequantized> dq;
    if (codes) {
        dq = std::make_shared<Constant::Dequantized>();
        dq->code.resize(static_cast<std::size_t>(x.numel()));
        dq->scale = scale.data;
        dq->axis = axis;
        int bits = 1;
        while (std::ldexp(1.0, bits) < src.int_hi - src.int_lo + 1.0) ++bits;
        dq->bits = bits;
        for (float z : zp.data) dq->zero_point = dq->zero_point || z != 0.0f;
    }
    for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t c = scale.numel() > 1 ? (i / inner) % channels : 0;
        const float s = scale.data[c], z = zp.data[c];
        if (quantize) {
            out.tensor.data[i] = std::clamp(std::nearbyint(x.data[i] / s) + z, qmin, qmax);
        } else {
            out.tensor.data[i] = (x.data[i] - z) * s;
            if (dq) dq->code[static_cast<std::size_t>(i)] = static_cast<int32_t>(x.data[i] - z);
        }
    }
    out.dequantized = std::move(dq);
    return out;
}

Shape reshape_target(const Shape& in, const Tensor& target, bool allowzero) {
    Shape out;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.data.size(); ++i) {
        int64_t d = integer_value(target.data[i], "Reshape shape");
        if (d == 0 && !allowzero) {
            if (i >= in.size()) throw std::runtime_error("Reshape 0 refers to a missing dimension");
            d = in[i];
        }
        if (d == -1) {
            if (infer >= 0) throw std::runtime_error("Reshape has more than one -1");
            infer = static_cast<int>(i);
            out.push_back(1);
            continue;
        }
        if (d < 0) throw std::runtime_error("Reshape has a negative dimension");
        known = checked_mul(known, d);
        out.push_back(d);
    }
    const int64_t total = shape_numel(in);
    if (infer >= 0) {
        if (known == 0 || total % known != 0) throw std::runtime_error("Reshape cannot infer -1");
        out[infer] = total / known;
    }
    if (shape_numel(out) != total)
        throw std::runtime_error("Reshape from " + shape_to_string(in) + " to " + shape_to_string(out) +
                                 " changes the element count");
    return out;
}

std::vector<int64_t> axes_input_or_attr(const onnx::NodeProto& node, const std::vector<const Constant*>& in) {
    if (in.size() > 1 && in[1] != nullptr) {
        std::vector<int64_t> axes;
        for (float v : in[1]->tensor.data) axes.push_back(integer_value(v, "axes"));
        return axes;
    }
    return attr_ints(node, "axes", {});
}

}  // namespace

int64_t integer_value(float v, const char* what) {
    if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) > 9.0e18f)
        throw std::runtime_error(std::string(what) + " value " + std::to_string(v) + " is not a valid integer");
    return static_cast<int64_t>(v);
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
    for (const auto& a : node.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

int64_t attr_int(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
    const auto* a = find_attribute(node, name);
    return a ? a->i() : fallback;
}

float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback) {
    const auto* a = find_attribute(node, name);
    return a ? a->f() : fallback;
}

std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& fallback) {
    const auto* a = find_attribute(node, name);
    return a ? a->s() : fallback;
}

std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                               const std::vector<int64_t>& fallback) {
    const auto* a = find_attribute(node, name);
    if (!a) return fallback;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Constant constant_from_proto(const TensorProto& p) {
    if (p.data_location() == TensorProto::EXTERNAL)
        throw std::runtime_error("external tensor data is not supported (save the model with weights inside)");
    Constant c;
    c.dtype = p.data_type();
    for (int64_t d : p.dims()) {
        if (d < 0) throw std::runtime_error("negative dimension");
        c.tensor.shape.push_back(d);
    }
    const bool raw = p.has_raw_data();
    std::vector<float>& v = c.tensor.data;
    switch (p.data_type()) {
        case TensorProto::FLOAT: v = raw ? raw_as<float>(p.raw_data()) : field_as(p.float_data()); break;
        case TensorProto::DOUBLE: v = raw ? raw_as<double>(p.raw_data()) : field_as(p.double_data()); break;
        case TensorProto::INT64: v = raw ? raw_as<int64_t>(p.raw_data()) : field_as(p.int64_data()); break;
        case TensorProto::INT32: v = raw ? raw_as<int32_t>(p.raw_data()) : field_as(p.int32_data()); break;
        case TensorProto::INT8:
            v = raw ? raw_as<int8_t>(p.raw_data()) : field_as(p.int32_data());
            c.int_lo = -128, c.int_hi = 127;
            break;
        case TensorProto::UINT8:
            v = raw ? raw_as<uint8_t>(p.raw_data()) : field_as(p.int32_data());
            c.int_lo = 0, c.int_hi = 255;
            break;
        case TensorProto::BOOL: v = raw ? raw_as<uint8_t>(p.raw_data()) : field_as(p.int32_data()); break;
        default:
            throw std::runtime_error("element type " + std::to_string(p.data_type()) + " is not supported");
    }
    const int64_t need = shape_numel(c.tensor.shape);
    if (static_cast<int64_t>(v.size()) != need)
        throw std::runtime_error("holds " + std::to_string(v.size()) + " values but its shape " +
                                 shape_to_string(c.tensor.shape) + " needs " + std::to_string(need));
    for (float x : v)
        if (!std::isfinite(x)) throw std::runtime_error("contains NaN or Inf");
    if (std::isfinite(c.int_lo))
        for (float x : v)
            if (x < c.int_lo || x > c.int_hi)
                throw std::runtime_error("holds " + std::to_string(static_cast<long long>(x)) +
                                         ", outside the range of its element type");
    return c;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
    const size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (size_t i = 0; i < r; ++i) {
        const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
        const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
        if (da != db && da != 1 && db != 1)
            throw std::runtime_error("shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                                     " do not broadcast");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

Tensor broadcast_apply(const Tensor& a, const Tensor& b, const std::function<float(float, float)>& f) {
    Tensor out;
    out.shape = broadcast_shapes(a.shape, b.shape);
    const int64_t n = shape_numel(out.shape);
    // Broadcasting can enlarge two small constants ([K,1] op [1,K]) without any data in the
    // file backing the result; cap what folding may create.
    if (n > std::max({a.numel(), b.numel(), kMaxFoldedElements}))
        throw std::runtime_error("broadcasting " + shape_to_string(a.shape) + " and " + shape_to_string(b.shape) +
                                 " gives " + std::to_string(n) + " elements, more than the " +
                                 std::to_string(kMaxFoldedElements) + " a folded constant may have");
    out.data.resize(n);
    const auto so = strides_of(out.shape), sa = strides_of(a.shape), sb = strides_of(b.shape);
    for (int64_t i = 0; i < n; ++i)
        out.data[i] = f(a.data[broadcast_index(i, out.shape, so, a.shape, sa)],
                        b.data[broadcast_index(i, out.shape, so, b.shape, sb)]);
    return out;
}

Tensor broadcast_to(const Tensor& t, const Shape& shape) {
    if (broadcast_shapes(t.shape, shape) != shape)
        throw std::runtime_error("cannot broadcast " + shape_to_string(t.shape) + " to " + shape_to_string(shape));
    Tensor zero{shape, std::vector<float>(shape_numel(shape), 0.0f)};
    return broadcast_apply(t, zero, [](float x, float) { return x; });
}

bool fold_constant_node(const onnx::NodeProto& node, const std::vector<const Constant*>& in, Constant& out) {
    const std::string& op = node.op_type();
    auto arg = [&](size_t i) -> const Tensor& {
        if (i >= in.size() || in[i] == nullptr) throw std::runtime_error("missing input " + std::to_string(i));
        return in[i]->tensor;
    };
    out.dtype = in.empty() || in[0] == nullptr ? TensorProto::FLOAT : in[0]->dtype;
    if (op == "Identity") {
        arg(0);
        out = *in[0];
    } else if (op == "Cast") {
        out.dtype = static_cast<int>(attr_int(node, "to", TensorProto::FLOAT));
        out.tensor = arg(0);
        if (is_integer_type(out.dtype))
            for (float& v : out.tensor.data) v = std::trunc(v);
    } else if (op == "Neg") {
        out.tensor = unary(arg(0), [](float x) { return -x; });
    } else if (op == "Abs") {
        out.tensor = unary(arg(0), [](float x) { return std::fabs(x); });
    } else if (op == "Sign") {
        out.tensor = unary(arg(0), [](float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f); });
    } else if (op == "Relu") {
        out.tensor = unary(arg(0), [](float x) { return std::max(x, 0.0f); });
    } else if (op == "Round") {
        out.tensor = unary(arg(0), [](float x) { return std::nearbyint(x); });
    } else if (op == "Sigmoid") {
        out.tensor = unary(arg(0), [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
    } else if (op == "Tanh") {
        out.tensor = unary(arg(0), [](float x) { return std::tanh(x); });
    } else if (op == "Sqrt") {
        out.tensor = unary(arg(0), [](float x) { return std::sqrt(x); });
    } else if (op == "Clip") {
        float lo = attr_float(node, "min", -INFINITY), hi = attr_float(node, "max", INFINITY);
        if (in.size() > 1 && in[1]) lo = first_scalar(in[1]->tensor, "Clip min");
        if (in.size() > 2 && in[2]) hi = first_scalar(in[2]->tensor, "Clip max");
        out.tensor = arg(0);
        for (float& v : out.tensor.data) v = std::min(std::max(v, lo), hi);
        if (is_integer_type(out.dtype)) {  // a Clip on integer codes narrows their range
            out.int_lo = std::max<double>(in[0]->int_lo, std::ceil(lo));
            out.int_hi = std::min<double>(in[0]->int_hi, std::floor(hi));
        }
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
        const bool integer = is_integer_type(in.at(0)->dtype) && is_integer_type(in.at(1)->dtype);
        std::function<float(float, float)> f;
        if (op == "Add") f = [](float x, float y) { return x + y; };
        if (op == "Sub") f = [](float x, float y) { return x - y; };
        if (op == "Mul") f = [](float x, float y) { return x * y; };
        if (op == "Div")
            f = [integer](float x, float y) { return integer ? std::trunc(x / y) : x / y; };
        out.tensor = broadcast_apply(arg(0), arg(1), f);
    } else if (op == "Transpose") {
        const Tensor& x = arg(0);
        const size_t r = x.shape.size();
        std::vector<int64_t> perm = attr_ints(node, "perm", {});
        if (perm.empty())
            for (size_t i = 0; i < r; ++i) perm.push_back(static_cast<int64_t>(r - 1 - i));
        if (perm.size() != r) throw std::runtime_error("Transpose perm has the wrong length");
        std::vector<bool> seen(r, false);
        for (int64_t p : perm) {
            if (p < 0 || p >= static_cast<int64_t>(r) || seen[p])
                throw std::runtime_error("Transpose perm is not a permutation of 0.." + std::to_string(r - 1));
            seen[p] = true;
        }
        out.tensor.shape.resize(r);
        for (size_t i = 0; i < r; ++i) out.tensor.shape[i] = x.shape.at(perm[i]);
        out.tensor.data.resize(x.data.size());
        const auto si = strides_of(x.shape), so = strides_of(out.tensor.shape);
        for (int64_t flat = 0; flat < x.numel(); ++flat) {
            int64_t src = 0;
            for (size_t d = 0; d < r; ++d) src += ((flat / so[d]) % out.tensor.shape[d]) * si[perm[d]];
            out.tensor.data[flat] = x.data[src];
        }
    } else if (op == "Reshape") {
        out.tensor = arg(0);
        out.tensor.shape = reshape_target(arg(0).shape, arg(1), attr_int(node, "allowzero", 0) != 0);
    } else if (op == "Flatten") {
        out.tensor = arg(0);
        const int64_t r = static_cast<int64_t>(out.tensor.shape.size());
        int64_t axis = attr_int(node, "axis", 1);
        if (axis < 0) axis += r;
        if (axis < 0 || axis > r) throw std::runtime_error("Flatten axis is out of range for rank " + std::to_string(r));
        int64_t outer = 1;
        for (int64_t d = 0; d < axis && d < r; ++d) outer *= out.tensor.shape[d];
        out.tensor.shape = {outer, out.tensor.numel() / std::max<int64_t>(outer, 1)};
    } else if (op == "Unsqueeze") {
        out.tensor = arg(0);
        std::vector<int64_t> axes = axes_input_or_attr(node, in);
        const int64_t r = static_cast<int64_t>(out.tensor.shape.size() + axes.size());
        for (int64_t& a : axes) a = normalize_axis(a, r, "Unsqueeze");
        std::sort(axes.begin(), axes.end());
        if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
            throw std::runtime_error("Unsqueeze axes name a dimension twice");
        for (int64_t a : axes) out.tensor.shape.insert(out.tensor.shape.begin() + a, 1);
    } else if (op == "Squeeze") {
        out.tensor = arg(0);
        std::vector<int64_t> axes = axes_input_or_attr(node, in);
        const int64_t r = static_cast<int64_t>(out.tensor.shape.size());
        Shape s;
        for (int64_t a : axes)
            if (out.tensor.shape[normalize_axis(a, r, "Squeeze")] != 1)
                throw std::runtime_error("Squeeze axis " + std::to_string(a) + " has size " +
                                         std::to_string(out.tensor.shape[normalize_axis(a, r, "Squeeze")]));
        for (int64_t d = 0; d < r; ++d) {
            bool drop = axes.empty() ? out.tensor.shape[d] == 1 : false;
            for (int64_t a : axes) drop = drop || normalize_axis(a, r, "Squeeze") == d;
            if (!drop) s.push_back(out.tensor.shape[d]);
        }
        out.tensor.shape = s;
    } else if (op == "Gather") {
        // Shape chains (x.view(x.size(0), -1)): gathering entries of a constant tensor.
        const Tensor& x = arg(0);
        const Tensor& idx = arg(1);
        const int64_t r = static_cast<int64_t>(x.shape.size());
        if (r < 1) throw std::runtime_error("Gather of a scalar");
        const int64_t axis = normalize_axis(attr_int(node, "axis", 0), r, "Gather");
        int64_t outer = 1, inner = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
        for (int64_t d = axis + 1; d < r; ++d) inner *= x.shape[d];
        const int64_t n = x.shape[axis];
        out.tensor.shape.assign(x.shape.begin(), x.shape.begin() + axis);
        out.tensor.shape.insert(out.tensor.shape.end(), idx.shape.begin(), idx.shape.end());
        out.tensor.shape.insert(out.tensor.shape.end(), x.shape.begin() + axis + 1, x.shape.end());
        for (int64_t o = 0; o < outer; ++o)
            for (float fi : idx.data) {
                int64_t i = static_cast<int64_t>(fi);
                if (i < 0) i += n;
                if (i < 0 || i >= n) throw std::runtime_error("Gather index out of range");
                for (int64_t k = 0; k < inner; ++k) out.tensor.data.push_back(x.data[(o * n + i) * inner + k]);
            }
    } else if (op == "Concat") {
        if (in.empty()) throw std::runtime_error("Concat without inputs");
        const Shape& s0 = arg(0).shape;
        const int64_t r = static_cast<int64_t>(s0.size());
        const int64_t axis = normalize_axis(attr_int(node, "axis", 0), r, "Concat");
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= s0[d];
        out.tensor.shape = s0;
        out.tensor.shape[axis] = 0;
        for (size_t i = 0; i < in.size(); ++i) {
            const Shape& si = arg(i).shape;
            if (static_cast<int64_t>(si.size()) != r) throw std::runtime_error("Concat inputs differ in rank");
            for (int64_t d = 0; d < r; ++d)
                if (d != axis && si[d] != s0[d]) throw std::runtime_error("Concat inputs differ in shape");
            out.tensor.shape[axis] += si[axis];
        }
        for (int64_t o = 0; o < outer; ++o)
            for (size_t i = 0; i < in.size(); ++i) {
                const Tensor& t = arg(i);
                const int64_t chunk = t.numel() / std::max<int64_t>(outer, 1);
                out.tensor.data.insert(out.tensor.data.end(), t.data.begin() + o * chunk, t.data.begin() + (o + 1) * chunk);
            }
    } else if (op == "QuantizeLinear") {
        out = fold_qdq(node, in, true);
    } else if (op == "DequantizeLinear") {
        out = fold_qdq(node, in, false);
    } else {
        return false;
    }
    return true;
}

}  // namespace sotsim::workloads::onnx_import
