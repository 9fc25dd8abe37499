#include "workloads/import/FloatEvaluator.h"

#include "workloads/import/WorkloadError.h"
#include "models/common/PaddedRun.h"
#include "models/common/SignConvention.h"

#include <algorithm>
#include <cmath>

namespace sotsim::workloads {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Batch dense(const Node& n, const Batch& x) {
    const Tensor& w = n.dense.weight;
    Batch y = x * w.as_matrix(w.shape[0], w.shape[1]).transpose();
    y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(n.dense.bias.data.data(), n.dense.bias.numel());
    return y;
}

Batch conv(const Node& n, const Shape& in, const Shape& out, const Batch& x) {
    const ConvParams& p = n.conv;
    const int64_t C = in[0], H = in[1], W = in[2];
    const int64_t M = out[0], OH = out[1], OW = out[2];
    const int64_t kh = p.weight.shape[2], kw = p.weight.shape[3];
    const auto wmat = p.weight.as_matrix(M, C * kh * kw);
    RowMatrix cols(C * kh * kw, OH * OW);
    Batch result(x.rows(), M * OH * OW);
    const Eigen::Map<const Eigen::VectorXf> bias(p.bias.data.data(), M);
    for (Eigen::Index s = 0; s < x.rows(); ++s) {
        const float* src = x.row(s).data();
        // im2col: row (c,ky,kx), column (oy,ox); zero where the window reads padding.
        for (int64_t c = 0; c < C; ++c)
            for (int64_t ky = 0; ky < kh; ++ky)
                for (int64_t kx = 0; kx < kw; ++kx) {
                    float* dst = cols.row((c * kh + ky) * kw + kx).data();
                    for (int64_t oy = 0; oy < OH; ++oy) {
                        const int64_t iy = oy * p.stride_h + ky - p.pad_top;
                        float* d = dst + oy * OW;
                        if (iy < 0 || iy >= H)
                            std::fill(d, d + OW, 0.0f);
                        else
                            padded_run(src + (c * H + iy) * W, static_cast<int>(W), static_cast<int>(kx - p.pad_left),
                                       static_cast<int>(p.stride_w), static_cast<int>(OW), 0.0f, d);
                    }
                }
        // The sample's output (M x OH*OW, CHW) computed in place in its row of the result.
        Eigen::Map<RowMatrix> y(result.row(s).data(), M, OH * OW);
        y.noalias() = wmat * cols;
        y.colwise() += bias;
    }
    return result;
}

Batch pool(const Node& n, const Shape& in, const Shape& out, const Batch& x) {
    const PoolParams& p = n.pool;
    const int64_t C = in[0], H = in[1], W = in[2], OH = out[1], OW = out[2];
    const bool is_max = n.kind == OpKind::MaxPool;
    Batch y(x.rows(), C * OH * OW);
    for (Eigen::Index s = 0; s < x.rows(); ++s) {
        const float* src = x.row(s).data();
        float* dst = y.row(s).data();
        for (int64_t c = 0; c < C; ++c)
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox) {
                    const int64_t y0 = oy * p.stride_h - p.pad_top, x0 = ox * p.stride_w - p.pad_left;
                    float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
                    int64_t count = 0;
                    for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + p.kernel_h, H); ++iy)
                        for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + p.kernel_w, W); ++ix) {
                            const float v = src[(c * H + iy) * W + ix];
                            acc = is_max ? std::max(acc, v) : acc + v;
                            ++count;
                        }
                    if (!is_max) {
                        const int64_t div = p.count_include_pad ? p.kernel_h * p.kernel_w : count;
                        acc = div > 0 ? acc / static_cast<float>(div) : 0.0f;
                    }
                    dst[(c * OH + oy) * OW + ox] = acc;
                }
    }
    return y;
}

Batch batchnorm(const Node& n, const Shape& in, const Batch& x) {
    const BatchNormParams& p = n.batchnorm;
    const int64_t C = in[0], inner = shape_numel(in) / C;
    Batch y(x.rows(), x.cols());
    for (int64_t c = 0; c < C; ++c) {
        const float a = p.scale.data[c] / std::sqrt(p.var.data[c] + p.epsilon);
        const float b = p.bias.data[c] - a * p.mean.data[c];
        y.middleCols(c * inner, inner) = (x.middleCols(c * inner, inner).array() * a + b).matrix();
    }
    return y;
}

Batch with_constant(const Node& n, const Shape& in, const Batch& x) {
    const ConstOperand& o = n.operand;
    const int64_t numel = shape_numel(in);
    // The constant expanded to one value per element of a sample.
    Eigen::RowVectorXf c(numel);
    if (o.broadcast == ConstOperand::Broadcast::Scalar) {
        c.setConstant(o.value.data[0]);
    } else if (o.broadcast == ConstOperand::Broadcast::PerChannel) {
        const int64_t inner = numel / in[0];
        for (int64_t i = 0; i < numel; ++i) c[i] = o.value.data[i / inner];
    } else {
        c = Eigen::Map<const Eigen::RowVectorXf>(o.value.data.data(), numel);
    }
    Batch y(x.rows(), x.cols());
    const auto cr = c.array();
    for (Eigen::Index s = 0; s < x.rows(); ++s) {
        const auto xr = x.row(s).array();
        switch (n.kind) {
            case OpKind::AddConst: y.row(s) = (xr + cr).matrix(); break;
            case OpKind::MulConst: y.row(s) = (xr * cr).matrix(); break;
            case OpKind::SubConst:
                if (o.constant_first) y.row(s) = (cr - xr).matrix();
                else y.row(s) = (xr - cr).matrix();
                break;
            case OpKind::DivConst:
                if (o.constant_first) y.row(s) = (cr / xr).matrix();
                else y.row(s) = (xr / cr).matrix();
                break;
            default: break;
        }
    }
    return y;
}

}  // namespace

std::vector<int> argmax_rows(const Batch& logits) {
    std::vector<int> out(logits.rows());
    for (Eigen::Index r = 0; r < logits.rows(); ++r) {
        Eigen::Index best = 0;
        logits.row(r).maxCoeff(&best);  // first maximum on ties
        out[r] = static_cast<int>(best);
    }
    return out;
}

FloatEvaluator::FloatEvaluator(const Network& net) : net_(net) {}

Batch FloatEvaluator::eval_node(const Network& net, const Node& n, const std::vector<const Batch*>& in) {
    const Batch& x = *in.at(0);
    const Shape& s = net.values[n.inputs[0]].shape;
    const Shape& o = net.values[n.output].shape;
    switch (n.kind) {
        case OpKind::Dense: return dense(n, x);
        case OpKind::Conv: return conv(n, s, o, x);
        case OpKind::BatchNorm: return batchnorm(n, s, x);
        case OpKind::Relu: return x.cwiseMax(0.0f);
        case OpKind::Sign: return x.unaryExpr([](float v) { return sign_onnx(v); });
        case OpKind::Sigmoid: return x.unaryExpr([](float v) { return 1.0f / (1.0f + std::exp(-v)); });
        case OpKind::Tanh: return x.unaryExpr([](float v) { return std::tanh(v); });
        case OpKind::Clip: {
            const float lo = n.clip.min, hi = n.clip.max;
            return x.unaryExpr([lo, hi](float v) { return std::min(std::max(v, lo), hi); });
        }
        case OpKind::Round: return x.unaryExpr([](float v) { return std::nearbyint(v); });
        case OpKind::MaxPool:
        case OpKind::AveragePool: return pool(n, s, o, x);
        case OpKind::GlobalAveragePool: {
            const int64_t C = s[0], inner = s[1] * s[2];
            Batch y(x.rows(), C);
            for (int64_t c = 0; c < C; ++c)
                y.col(c) = x.middleCols(c * inner, inner).rowwise().sum() / static_cast<float>(inner);
            return y;
        }
        case OpKind::Flatten:
        case OpKind::Reshape: return x;
        case OpKind::AddConst:
        case OpKind::SubConst:
        case OpKind::MulConst:
        case OpKind::DivConst: return with_constant(n, s, x);
        case OpKind::Add: return x + *in.at(1);
        case OpKind::Softmax:
        case OpKind::LogSoftmax: {
            // Row-wise, max-subtracted in double as numerically stable exporters expect.
            Batch y(x.rows(), x.cols());
            for (Eigen::Index r = 0; r < x.rows(); ++r) {
                const double m = x.row(r).maxCoeff();
                double sum = 0;
                for (Eigen::Index c = 0; c < x.cols(); ++c) sum += std::exp(double(x(r, c)) - m);
                for (Eigen::Index c = 0; c < x.cols(); ++c)
                    y(r, c) = n.kind == OpKind::Softmax ? static_cast<float>(std::exp(double(x(r, c)) - m) / sum)
                                                        : static_cast<float>(double(x(r, c)) - m - std::log(sum));
            }
            return y;
        }
    }
    return x;
}

std::vector<Batch> FloatEvaluator::run_all(const Batch& inputs) const {
    if (inputs.cols() != net_.input_size())
        throw WorkloadError(net_.source, "the input has " + std::to_string(inputs.cols()) +
                                             " values per sample; the model expects " +
                                             std::to_string(net_.input_size()) + " (shape " +
                                             shape_to_string(net_.input_shape()) + ")");
    std::vector<Batch> values(net_.values.size());
    values[net_.input] = inputs;
    for (const Node& n : net_.nodes) {
        std::vector<const Batch*> in;
        for (int v : n.inputs) in.push_back(&values[v]);
        values[n.output] = eval_node(net_, n, in);
    }
    return values;
}

Batch FloatEvaluator::run(const Batch& inputs) const {
    // Keep only what later nodes still need, so memory stays at a few layers.
    if (inputs.cols() != net_.input_size()) return run_all(inputs).at(net_.output);  // throws
    std::vector<int> last_use(net_.values.size(), -1);
    for (size_t i = 0; i < net_.nodes.size(); ++i)
        for (int v : net_.nodes[i].inputs) last_use[v] = static_cast<int>(i);
    std::vector<Batch> values(net_.values.size());
    values[net_.input] = inputs;
    for (size_t i = 0; i < net_.nodes.size(); ++i) {
        const Node& n = net_.nodes[i];
        std::vector<const Batch*> in;
        for (int v : n.inputs) in.push_back(&values[v]);
        values[n.output] = eval_node(net_, n, in);
        for (int v : n.inputs)
            if (last_use[v] == static_cast<int>(i) && v != net_.output) values[v].resize(0, 0);
    }
    return values[net_.output];
}

std::vector<int> FloatEvaluator::predict(const Batch& inputs) const { return argmax_rows(run(inputs)); }

}  // namespace sotsim::workloads
