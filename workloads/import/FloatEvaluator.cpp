#include "workloads/import/FloatEvaluator.h"

#include "workloads/import/WorkloadError.h"
#include "models/common/MaxPoolPlane.h"
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

// One sample's convolution input with its zero border: plane[(c * hp + py) * wp + px] =
// x[c, py - pad_top, px - pad_left], 0 outside x, over the rows and columns the windows read.
// Every window row of the im2col is then a run inside one row of it: no bounds test per
// output row (with the padded reads per output row, the im2col was ~10 % of a VGG-8 run).
struct ConvPlane {
    int64_t hp, wp;
    std::vector<float> values;

    ConvPlane(const ConvParams& p, int64_t C, int64_t OH, int64_t OW, int64_t kh, int64_t kw)
        : hp((OH - 1) * p.stride_h + kh), wp((OW - 1) * p.stride_w + kw),
          values(static_cast<std::size_t>(C * hp * wp)) {}

    void fill(const float* src, const ConvParams& p, int64_t C, int64_t H, int64_t W) {
        for (int64_t c = 0; c < C; ++c)
            for (int64_t py = 0; py < hp; ++py) {
                float* row = values.data() + (c * hp + py) * wp;
                const int64_t iy = py - p.pad_top;
                if (iy < 0 || iy >= H)
                    std::fill(row, row + wp, 0.0f);
                else
                    padded_run(src + (c * H + iy) * W, static_cast<int>(W), static_cast<int>(-p.pad_left), 1,
                               static_cast<int>(wp), 0.0f, row);
            }
    }
};

// Row (c, ky, kx) of one sample's im2col (OH x W floats) straight from channel `chan` (H x W)
// where consecutive output rows read consecutive input rows (stride 1, OW == W): over the
// output rows whose input row oy + ky - pad_top is inside, the row is ONE run of the channel
// (an output row's last position is followed by the next row's first), except the
// positions whose x = ox + kx - pad_left falls outside [0, W): the first pad_left - kx and
// the last kx - pad_left of every output row, read from a neighbouring row in the long copy
// (or not at all, where the copy is clipped to the channel) and then set to 0. One copy
// instead of one short run (28 / 14 / 7 floats in VGG-8) per output row.
void window_row(const float* chan, int64_t H, int64_t W, int64_t OH, int64_t pad_top, int64_t pad_left, int64_t ky,
                int64_t kx, float* dst) {
    const int64_t oy_lo = std::clamp<int64_t>(pad_top - ky, 0, OH), oy_hi = std::clamp<int64_t>(H + pad_top - ky, oy_lo, OH);
    fill_run(dst, static_cast<int>(oy_lo * W), 0.0f);
    fill_run(dst + oy_hi * W, static_cast<int>((OH - oy_hi) * W), 0.0f);
    float* out = dst + oy_lo * W;
    const int64_t len = (oy_hi - oy_lo) * W, first = (oy_lo + ky - pad_top) * W + kx - pad_left;
    const int64_t lo = std::max<int64_t>(0, -first), hi = std::min<int64_t>(len, H * W - first);
    if (hi > lo) copy_run(chan + first + lo, static_cast<int>(hi - lo), out + lo);
    const int64_t left = std::clamp<int64_t>(pad_left - kx, 0, W), right = std::clamp<int64_t>(kx - pad_left, 0, W);
    if (left == 0 && right == 0) return;
    for (int64_t row = 0; row < len; row += W) {
        fill_run(out + row, static_cast<int>(left), 0.0f);
        fill_run(out + row + W - right, static_cast<int>(right), 0.0f);
    }
}

Batch conv(const Node& n, const Shape& in, const Shape& out, const Batch& x) {
    const ConvParams& p = n.conv;
    const int64_t C = in[0], H = in[1], W = in[2];
    const int64_t M = out[0], OH = out[1], OW = out[2];
    const int64_t kh = p.weight.shape[2], kw = p.weight.shape[3];
    const int64_t K = C * kh * kw, P = OH * OW;
    const auto wmat = p.weight.as_matrix(M, K);
    ConvPlane plane(p, C, OH, OW, kh, kw);
    RowMatrix cols(K, P);
    Batch result(x.rows(), M * OH * OW);
    const Eigen::Map<const Eigen::VectorXf> bias(p.bias.data.data(), M);
    const bool rows_follow = p.stride_h == 1 && p.stride_w == 1 && OW == W;
    for (Eigen::Index s = 0; s < x.rows(); ++s) {
        // im2col: row (c,ky,kx), column (oy,ox); zero where the window reads padding.
        float* dst = cols.data();
        if (rows_follow) {
            for (int64_t c = 0; c < C; ++c)
                for (int64_t ky = 0; ky < kh; ++ky)
                    for (int64_t kx = 0; kx < kw; ++kx, dst += P)
                        window_row(x.row(s).data() + c * H * W, H, W, OH, p.pad_top, p.pad_left, ky, kx, dst);
        } else {
            plane.fill(x.row(s).data(), p, C, H, W);
            for (int64_t c = 0; c < C; ++c)
                for (int64_t ky = 0; ky < kh; ++ky)
                    for (int64_t kx = 0; kx < kw; ++kx)
                        for (int64_t oy = 0; oy < OH; ++oy, dst += OW) {
                            const float* src = plane.values.data() + (c * plane.hp + oy * p.stride_h + ky) * plane.wp + kx;
                            if (p.stride_w == 1)
                                copy_run(src, static_cast<int>(OW), dst);
                            else
                                for (int64_t ox = 0; ox < OW; ++ox) dst[ox] = src[ox * p.stride_w];
                        }
        }
        // The sample's output (M x OH*OW, CHW) computed in place in its row of the result.
        Eigen::Map<RowMatrix> y(result.row(s).data(), M, P);
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
    // Every window inside the input (no padding read): the same sums and comparisons in the
    // same order without the per-window bounds (VGG-8's 2 x 2 max pools).
    const bool inside = p.pad_top == 0 && p.pad_left == 0 && (OH - 1) * p.stride_h + p.kernel_h <= H &&
                        (OW - 1) * p.stride_w + p.kernel_w <= W;
    for (Eigen::Index s = 0; s < x.rows(); ++s) {
        const float* src = x.row(s).data();
        float* dst = y.row(s).data();
        if (inside && is_max) {
            for (int64_t c = 0; c < C; ++c)
                max_pool_plane(src + c * H * W, static_cast<int>(W), static_cast<int>(OH), static_cast<int>(OW),
                               static_cast<int>(p.kernel_h), static_cast<int>(p.kernel_w), static_cast<int>(p.stride_h),
                               static_cast<int>(p.stride_w), dst + c * OH * OW);
            continue;
        }
        if (inside) {
            const float div = static_cast<float>(p.kernel_h * p.kernel_w);
            for (int64_t c = 0; c < C; ++c)
                for (int64_t oy = 0; oy < OH; ++oy)
                    for (int64_t ox = 0; ox < OW; ++ox) {
                        const float* win = src + (c * H + oy * p.stride_h) * W + ox * p.stride_w;
                        float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
                        for (int64_t ky = 0; ky < p.kernel_h; ++ky)
                            for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
                                const float v = win[ky * W + kx];
                                acc = is_max ? std::max(acc, v) : acc + v;
                            }
                        dst[(c * OH + oy) * OW + ox] = is_max ? acc : acc / div;
                    }
            continue;
        }
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

// Samples per pass of run(): a multiple of 4 and at least kMinChunk, so that every Dense
// row comes out bit for bit as in one product over the whole batch (Eigen's product sums
// each output in the same order whatever the number of rows; only the last rows % 4 of a
// product, the same samples either way, take another kernel, and products of
// rows + cols + depth < 20 are coefficient-based), and small enough that one value of the
// chunk stays in the per-core cache (at batch 256, VGG-8's activations went to memory
// between nodes: the batch-norm and sign passes ran at its write bandwidth).
constexpr Eigen::Index kMinChunk = 20;
constexpr int64_t kChunkBytes = 1 << 20;

Eigen::Index chunk_rows(const Network& net) {
    int64_t widest = 1;
    for (const Value& v : net.values) widest = std::max(widest, shape_numel(v.shape));
    const int64_t rows = kChunkBytes / (widest * static_cast<int64_t>(sizeof(float)));
    return std::max<Eigen::Index>(kMinChunk, static_cast<Eigen::Index>(rows) / 4 * 4);
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
    const Eigen::Index n = inputs.rows(), step = chunk_rows(net_);
    Batch out;
    std::vector<Batch> values(net_.values.size());
    for (Eigen::Index at = 0; at < n || at == 0;) {
        // The rest in one chunk when it is shorter than two: every chunk has >= step rows.
        const Eigen::Index len = n - at < 2 * step ? n - at : step;
        values[net_.input] = inputs.middleRows(at, len);
        for (size_t i = 0; i < net_.nodes.size(); ++i) {
            const Node& nd = net_.nodes[i];
            std::vector<const Batch*> in;
            for (int v : nd.inputs) in.push_back(&values[v]);
            values[nd.output] = eval_node(net_, nd, in);
            for (int v : nd.inputs)
                if (last_use[v] == static_cast<int>(i) && v != net_.output) values[v].resize(0, 0);
        }
        if (len == n) return std::move(values[net_.output]);
        if (at == 0) out.resize(n, values[net_.output].cols());
        out.middleRows(at, len) = values[net_.output];
        at += len;
    }
    return out;
}

std::vector<int> FloatEvaluator::predict(const Batch& inputs) const { return argmax_rows(run(inputs)); }

}  // namespace sotsim::workloads
