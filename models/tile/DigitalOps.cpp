#include "models/tile/DigitalOps.h"

#include "models/common/MaxPoolPlane.h"
#include "models/common/PaddedRun.h"
#include "models/common/SignConvention.h"
#include "models/common/Transpose.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace sotsim::digital {

namespace {
// Checks run per op, i.e. per streamed sample: a message that is composed is passed as a
// function and built only when the check fails.
void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(what);
}
template <class Message>
void require(bool ok, const Message& what) {
    if (!ok) throw std::runtime_error(what());
}
std::string shape(CRef m) {
    return std::to_string(m.rows()) + "x" + std::to_string(m.cols());
}
// A view whose columns follow each other without a gap (one row, or a whole matrix) is one
// vector of size() elements in storage order: element-wise kernels run over it in one loop.
bool contiguous(CRef m) { return m.cols() <= 1 || m.outerStride() == m.rows(); }
Eigen::Map<const Eigen::VectorXf> flat(CRef m) { return {m.data(), m.size()}; }
Eigen::Map<Eigen::VectorXf> flat(Ref m) { return {m.data(), m.size()}; }
void same_shape(CRef a, CRef b, const char* op) {
    require(a.rows() == b.rows() && a.cols() == b.cols(),
            [&] { return std::string(op) + ": operand shapes differ (" + shape(a) + " vs " + shape(b) + ")"; });
}
}  // namespace

double Work::ops() const {
    const double n = actions.total_count();
    return n > 0 ? n : elements;
}

namespace {

// The formula of each activation, written once: activate() selects it per element,
// activation() once per tensor (so the common comparisons vectorise without a dispatch).
template <ActKind K>
float act(const Instr& in, float x) {
    if constexpr (K == ActKind::None) return x;
    else if constexpr (K == ActKind::Sign) return sign_onnx(x);
    else if constexpr (K == ActKind::SignBinary) return x >= 0.0f ? 1.0f : -1.0f;
    else if constexpr (K == ActKind::Step) return x >= 0.0f ? 1.0f : 0.0f;
    else if constexpr (K == ActKind::Relu) return x > 0.0f ? x : 0.0f;
    else if constexpr (K == ActKind::Sigmoid) return 1.0f / (1.0f + std::exp(-x));
    else if constexpr (K == ActKind::Tanh) return std::tanh(x);
    else if constexpr (K == ActKind::Clip) return std::min(std::max(x, in.lo), in.hi);
    else if constexpr (K == ActKind::Quantize) {
        const float c = std::min(std::max(x, in.lo), in.hi);
        return std::nearbyint((c - in.lo) / (in.hi - in.lo) * static_cast<float>(in.levels));
    } else return std::nearbyint(x);  // Round
}

// f(tag) with tag = std::integral_constant<ActKind, K> for the instruction's kind K.
template <class F>
decltype(auto) with_kind(ActKind k, F&& f) {
    using std::integral_constant;
    switch (k) {
        case ActKind::None: return f(integral_constant<ActKind, ActKind::None>{});
        case ActKind::Sign: return f(integral_constant<ActKind, ActKind::Sign>{});
        case ActKind::SignBinary: return f(integral_constant<ActKind, ActKind::SignBinary>{});
        case ActKind::Step: return f(integral_constant<ActKind, ActKind::Step>{});
        case ActKind::Relu: return f(integral_constant<ActKind, ActKind::Relu>{});
        case ActKind::Sigmoid: return f(integral_constant<ActKind, ActKind::Sigmoid>{});
        case ActKind::Tanh: return f(integral_constant<ActKind, ActKind::Tanh>{});
        case ActKind::Clip: return f(integral_constant<ActKind, ActKind::Clip>{});
        case ActKind::Quantize: return f(integral_constant<ActKind, ActKind::Quantize>{});
        case ActKind::Round: break;
    }
    return f(integral_constant<ActKind, ActKind::Round>{});
}

}  // namespace

float activate(const Instr& in, float x) {
    return with_kind(in.act, [&](auto kind) { return act<decltype(kind)::value>(in, x); });
}

Work activation(const Instr& in, CRef src, Ref dst) {
    same_shape(src, dst, "Activation");
    if (in.act == ActKind::Clip || in.act == ActKind::Quantize)
        require(in.hi > in.lo, "Activation: range hi must exceed lo");
    if (in.act == ActKind::Quantize) require(in.levels >= 1, "Activation: Quantize needs levels >= 1");
    with_kind(in.act, [&](auto kind) {
        const auto f = [&](float x) { return act<decltype(kind)::value>(in, x); };
        if (contiguous(src) && contiguous(dst)) flat(dst) = flat(src).unaryExpr(f);
        else dst = src.unaryExpr(f);
    });
    Work w;
    const double n = static_cast<double>(src.size());
    w.elements = n;
    switch (in.act) {
        case ActKind::None: break;
        case ActKind::Sign:
        case ActKind::SignBinary:
        case ActKind::Step:
        case ActKind::Relu: w.actions.add(action::kDigitalCompare, n); break;
        case ActKind::Clip: w.actions.add(action::kDigitalCompare, 2 * n); break;
        case ActKind::Quantize:
            w.actions.add(action::kDigitalCompare, 2 * n);
            w.actions.add(action::kDigitalMult, n);
            break;
        case ActKind::Round: w.actions.add(action::kDigitalAct, n); break;
        case ActKind::Sigmoid:
        case ActKind::Tanh: w.actions.add(action::kDigitalAct, n); break;
    }
    return w;
}

Work position_bias(const Instr& in, int batch, Ref dst) {
    const int P = in.rows, C = in.cols;
    require(P > 0 && C > 0, "PositionBias: rows and cols must be positive");
    require(dst.rows() == static_cast<Eigen::Index>(batch) * P,
            [&] { return "PositionBias: destination has " + std::to_string(dst.rows()) + " rows, expected " + std::to_string(batch * P); });
    require(in.c0 >= 0 && in.c0 + C <= dst.cols(), "PositionBias: column slice out of range");
    require(static_cast<long>(in.vbias.size()) == static_cast<long>(P) * C,
            [&] { return "PositionBias: vbias has " + std::to_string(in.vbias.size()) + " entries, expected " + std::to_string(P * C); });
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const RowMajorF> bias(in.vbias.data(), P, C);
    for (int s = 0; s < batch; ++s) dst.block(static_cast<Eigen::Index>(s) * P, in.c0, P, C) += bias;
    Work w;
    w.elements = static_cast<double>(batch) * P * C;
    w.actions.add(action::kDigitalAdd, w.elements);
    return w;
}

Work affine(const Instr& in, CRef src, Ref dst) {
    same_shape(src, dst, "Affine");
    const auto cols = src.cols();
    require(in.vscale.empty() || static_cast<Eigen::Index>(in.vscale.size()) == cols,
            [&] { return "Affine: vscale has " + std::to_string(in.vscale.size()) + " entries for " + std::to_string(cols) + " columns"; });
    require(in.vbias.empty() || static_cast<Eigen::Index>(in.vbias.size()) == cols,
            [&] { return "Affine: vbias has " + std::to_string(in.vbias.size()) + " entries for " + std::to_string(cols) + " columns"; });
    // In place in dst (no temporary tensor): the same two roundings (scale, then bias) as
    // an intermediate would have, then the activation.
    const Eigen::Map<const Eigen::VectorXf> scale(in.vscale.data(), static_cast<Eigen::Index>(in.vscale.size()));
    const Eigen::Map<const Eigen::VectorXf> bias(in.vbias.data(), static_cast<Eigen::Index>(in.vbias.size()));
    if (src.rows() == 1 && contiguous(src) && contiguous(dst)) {
        // One sample (a streamed program's tensors): the row as one vector, so the passes
        // vectorise instead of looping over columns of one element. Separate assignments,
        // so the scale and the bias stay two roundings (no fused multiply-add).
        auto d = flat(dst);
        if (!in.vscale.empty()) d = flat(src).cwiseProduct(scale);
        else if (dst.data() != src.data()) d = flat(src);
        if (!in.vbias.empty()) d += bias;
    } else {
        // Column by column (the tensors are column-major): a row-wise bias would walk each
        // row a stride apart. The same products and sums per element as dst = src, then
        // dst *= scale, then dst += bias.
        for (Eigen::Index c = 0; c < cols; ++c) {
            auto d = dst.col(c);
            if (!in.vscale.empty()) d = src.col(c) * scale[c];
            else if (dst.data() != src.data()) d = src.col(c);
            if (!in.vbias.empty()) d.array() += bias[c];
        }
    }
    Work w;
    // Fused affine + activation: one streaming pass, no intermediate tensor in the buffer.
    if (in.act != ActKind::None) w = activation(in, dst, dst);
    const double n = static_cast<double>(src.size());
    w.elements = n;
    if (!in.vscale.empty()) w.actions.add(action::kDigitalMult, n);
    if (!in.vbias.empty()) w.actions.add(action::kDigitalAdd, n);
    return w;
}

Work add(CRef a, CRef b, Ref dst) {
    same_shape(a, b, "Add");
    same_shape(a, dst, "Add");
    dst = a + b;
    Work w;
    w.elements = static_cast<double>(a.size());
    w.actions.add(action::kDigitalAdd, w.elements);
    return w;
}

namespace {
// Value of channel c at (y, x) of sample b in either layout.
struct Reader {
    CRef m;
    const ConvGeom& g;
    bool position_major;
    float at(int b, int c, int y, int x) const {
        if (position_major) return m(static_cast<Eigen::Index>(b) * g.h * g.w + y * g.w + x, c);
        return m(b, (static_cast<Eigen::Index>(c) * g.h + y) * g.w + x);
    }
};
bool layout_of(const ConvGeom& g, int batch, int src_rps, CRef src, const char* op) {
    require(g.c > 0 && g.h > 0 && g.w > 0 && g.kh > 0 && g.kw > 0 && g.stride_h > 0 && g.stride_w > 0 &&
                g.out_h() > 0 && g.out_w() > 0,
            [&] { return std::string(op) + ": invalid geometry"; });
    if (src_rps == 1 && src.rows() == batch && src.cols() == static_cast<Eigen::Index>(g.c) * g.h * g.w) return false;
    if (src_rps == g.h * g.w && src.rows() == static_cast<Eigen::Index>(batch) * g.h * g.w && src.cols() == g.c)
        return true;
    throw std::runtime_error(std::string(op) + ": source " + shape(src) + " matches neither CHW (B x " +
                             std::to_string(g.c * g.h * g.w) + ") nor position-major (B*" + std::to_string(g.h * g.w) +
                             " x " + std::to_string(g.c) + ") layout");
}
}  // namespace

Work im2col_check(const ConvGeom& g, int batch, int src_rps, CRef src, Eigen::Index rows, Eigen::Index cols) {
    layout_of(g, batch, src_rps, src, "Im2col");
    const int P = g.out_h() * g.out_w();
    const Eigen::Index K = static_cast<Eigen::Index>(g.c) * g.kh * g.kw;
    require(rows == static_cast<Eigen::Index>(batch) * P && cols == K,
            [&] { return "Im2col: destination is " + std::to_string(rows) + "x" + std::to_string(cols) + ", expected " +
                std::to_string(batch * P) + "x" + std::to_string(K); });
    Work w;
    w.elements = static_cast<double>(rows) * static_cast<double>(cols);  // element moves; no arithmetic
    return w;
}

namespace {
// The im2col gather, column-major: dst[(k - k0) * ld + (v - v0)] = im2col(v, k) for v in
// [v0, v0 + nv), k in [k0, k0 + nk). A position-major source is read along its columns
// (runs of x are contiguous); a flat CHW source (column-major, samples fastest) is first
// staged sample-major in groups of kGroup samples, only the channels the columns read, so
// the runs are contiguous there too (one blocked transpose of the source per group instead
// of one cache line per element).
class Gather {
public:
    Gather(const ConvGeom& g, int batch, int src_rps, CRef src, const char* op, GatherStage* stage = nullptr)
        : g_(g), batch_(batch), pm_(layout_of(g, batch, src_rps, src, op)), src_(src), st_(stage ? *stage : own_) {}

    void columns(Eigen::Index v0, Eigen::Index nv, int k0, int nk, float* dst, Eigen::Index ld) {
        if (nv <= 0 || nk <= 0) return;
        const int ow = g_.out_w(), P = g_.out_h() * ow, kk = g_.kh * g_.kw, hw = g_.h * g_.w;
        const int c_lo = k0 / kk, c_hi = (k0 + nk - 1) / kk, nc = c_hi - c_lo + 1;
        const Eigen::Index sld = src_.outerStride();
        const Eigen::Index b_end = (v0 + nv - 1) / P + 1;  // one past the last sample touched
        for (Eigen::Index b0 = v0 / P / kGroup * kGroup; b0 < b_end; b0 += kGroup) {
            const Eigen::Index gs = std::min<Eigen::Index>(kGroup, batch_ - b0);
            const Eigen::Index vs = std::max(v0, b0 * P), ve = std::min(v0 + nv, (b0 + gs) * P);
            if (!pm_ && (st_.src != src_.data() || st_.ld != sld || b0 != st_.b0 || c_lo != st_.c_lo || nc != st_.nc)) {
                // stage[s * nc * hw + (c - c_lo) * hw + y * w + x] = sample b0 + s, channel c.
                st_.values.resize(static_cast<std::size_t>(gs) * nc * hw);
                transpose(src_.data() + b0 + static_cast<Eigen::Index>(c_lo) * hw * sld, sld, st_.values.data(),
                          static_cast<Eigen::Index>(nc) * hw, static_cast<Eigen::Index>(nc) * hw, gs);
                st_.src = src_.data(), st_.ld = sld, st_.b0 = b0, st_.c_lo = c_lo, st_.nc = nc;
            }
            const float* const plane0 = pm_ ? src_.data() + b0 * hw : st_.values.data();
            const Eigen::Index sample_stride = pm_ ? hw : static_cast<Eigen::Index>(nc) * hw;
            if (rows_follow_) {
                spans(vs, ve, b0, k0, nk, plane0, sample_stride, c_lo, dst + (vs - v0), ld);
                continue;
            }
            // The group's vectors as runs of one (sample, output row).
            runs_.clear();
            for (Eigen::Index v = vs; v < ve;) {
                const int p = static_cast<int>(v % P), ox0 = p % ow;
                const int len = static_cast<int>(std::min<Eigen::Index>(ow - ox0, ve - v));
                runs_.push_back({static_cast<int>(v / P - b0), p / ow, ox0, len});
                v += len;
            }
            for (int k = 0; k < nk; ++k) {
                const int col = k0 + k, c = col / kk, i = (col / g_.kw) % g_.kh, j = col % g_.kw;
                // Channel c of sample b0 + s starts at base + s * sample_stride.
                const float* base = plane0 + (pm_ ? c * sld : (c - c_lo) * static_cast<Eigen::Index>(hw));
                float* out = dst + k * ld + (vs - v0);
                for (const Run& r : runs_) {
                    const int y = r.oy * g_.stride_h - g_.pad_t + i;
                    if (y < 0 || y >= g_.h)
                        std::fill(out, out + r.len, g_.pad_value);
                    else
                        padded_run(base + r.s * sample_stride + y * g_.w, g_.w, r.ox0 * g_.stride_w - g_.pad_l + j,
                                   g_.stride_w, r.len, g_.pad_value, out);
                    out += r.len;
                }
            }
        }
    }

private:
    // rows_follow_ (stride 1, out_w == w): the window column (c, i, j) of consecutive
    // output rows reads consecutive source rows, so over one sample's output rows whose
    // source row y = oy - pad_t + i lies inside, the column is ONE contiguous run of the
    // channel plane (a row's last position is followed by the next row's first), except
    // the positions whose x = ox - pad_l + j falls outside [0, w): the first pad_l - j and
    // the last j - pad_l of every output row. Those read a neighbouring row's pixel in the
    // long copy (or nothing, where the run is clipped to the sample's plane) and are then
    // set to the pad value. The short runs per output row (28 / 14 / 7 floats in VGG-8)
    // cost more in their set-up than in their copy.
    struct Span {
        Eigen::Index out;   // first vector, relative to the group's first (vs)
        Eigen::Index src;   // its source element for j = 0 relative to the sample's plane (may be < 0)
        int s, len, ox0;    // sample in the group, vectors, first output column (the span is inside the sample)
        bool fill;          // source row outside: the pad value throughout
    };
    void spans(Eigen::Index vs, Eigen::Index ve, Eigen::Index b0, int k0, int nk, const float* plane0,
               Eigen::Index sample_stride, int c_lo, float* dst, Eigen::Index ld) {
        const int ow = g_.out_w(), oh = g_.out_h(), P = oh * ow, kk = g_.kh * g_.kw, hw = g_.h * g_.w;
        const Eigen::Index sld = src_.outerStride();
        // Spans of every kernel row i (they depend on i alone, not on the channel or j).
        spans_.resize(static_cast<std::size_t>(g_.kh));
        for (int i = 0; i < g_.kh; ++i) {
            auto& list = spans_[static_cast<std::size_t>(i)];
            list.clear();
            // Output rows whose source row is inside: [oy_lo, oy_hi).
            const int oy_lo = std::clamp(g_.pad_t - i, 0, oh), oy_hi = std::clamp(g_.h + g_.pad_t - i, oy_lo, oh);
            for (Eigen::Index v = vs; v < ve;) {
                const Eigen::Index s = v / P - b0, sample_end = std::min(ve, (b0 + s + 1) * P);
                const Eigen::Index pa = v % P, pb = pa + (sample_end - v);
                const Eigen::Index cuts[4] = {pa, std::clamp<Eigen::Index>(oy_lo * ow, pa, pb),
                                              std::clamp<Eigen::Index>(oy_hi * ow, pa, pb), pb};
                for (int part = 0; part < 3; ++part) {
                    const Eigen::Index p = cuts[part], len = cuts[part + 1] - p;
                    if (len <= 0) continue;
                    const int oy = static_cast<int>(p / ow), ox0 = static_cast<int>(p % ow);
                    list.push_back({v + (p - pa) - vs, static_cast<Eigen::Index>(oy - g_.pad_t + i) * g_.w + ox0 - g_.pad_l,
                                    static_cast<int>(s), static_cast<int>(len), ox0, part != 1});
                }
                v = sample_end;
            }
        }
        const float pad = g_.pad_value;
        for (int k = 0; k < nk; ++k) {
            const int col = k0 + k, c = col / kk, i = (col / g_.kw) % g_.kh, j = col % g_.kw;
            const float* base = plane0 + (pm_ ? c * sld : (c - c_lo) * static_cast<Eigen::Index>(hw));
            // Positions of an output row whose x is outside: [0, left) and [ow - right, ow).
            const int left = std::clamp(g_.pad_l - j, 0, ow), right = std::clamp(j - g_.pad_l, 0, ow);
            float* col_out = dst + k * ld;
            for (const Span& sp : spans_[static_cast<std::size_t>(i)]) {
                float* out = col_out + sp.out;
                if (sp.fill) {
                    fill_run(out, sp.len, pad);
                    continue;
                }
                // The run clipped to the sample's plane [0, hw): what it leaves out is outside in x.
                const Eigen::Index first = sp.src + j;
                const Eigen::Index lo = std::max<Eigen::Index>(0, -first), hi = std::min<Eigen::Index>(sp.len, hw - first);
                if (hi > lo)
                    copy_run(base + sp.s * sample_stride + first + lo, static_cast<int>(hi - lo), out + lo);
                if (left == 0 && right == 0) continue;
                // Position of ox = 0 of each row; the outside parts clipped to the span.
                auto outside = [&](Eigen::Index a, Eigen::Index b) {
                    a = std::max<Eigen::Index>(a, 0), b = std::min<Eigen::Index>(b, sp.len);
                    if (b > a) fill_run(out + a, static_cast<int>(b - a), pad);
                };
                for (Eigen::Index row = -sp.ox0; row < sp.len; row += ow) {
                    outside(row, row + left);
                    outside(row + ow - right, row + ow);
                }
            }
        }
    }

    static constexpr Eigen::Index kGroup = 8;  // samples per staging of a flat source
    const ConvGeom& g_;
    const Eigen::Index batch_;
    const bool pm_;
    const bool rows_follow_ = g_.stride_h == 1 && g_.stride_w == 1 && g_.out_w() == g_.w;
    CRef src_;
    GatherStage own_;   // a flat source's staged group, when the caller keeps none
    GatherStage& st_;
    struct Run {
        int s, oy, ox0, len;  // sample in the group, output row, first output column, vectors
    };
    std::vector<Run> runs_;
    std::vector<std::vector<Span>> spans_;
};
}  // namespace

Work im2col(const ConvGeom& g, int batch, int src_rps, CRef src, Ref dst) {
    const Work w = im2col_check(g, batch, src_rps, src, dst.rows(), dst.cols());
    // dst is column-major: the gather writes its columns directly.
    Gather(g, batch, src_rps, src, "Im2col")
        .columns(0, dst.rows(), 0, static_cast<int>(dst.cols()), dst.data(), dst.outerStride());
    return w;
}

void im2col_rows(const ConvGeom& g, int batch, int src_rps, CRef src, Eigen::Index v0, Eigen::Index nv, int k0,
                 int nk, float* out, int stride, GatherStage* stage) {
    Gather gather(g, batch, src_rps, src, "Im2col", stage);
    const int P = g.out_h() * g.out_w(), kk = g.kh * g.kw;
    require(v0 >= 0 && nv >= 0 && v0 + nv <= static_cast<Eigen::Index>(batch) * P && k0 >= 0 && nk >= 0 &&
                k0 + nk <= g.c * kk && nk <= stride,
            "Im2col: rows/columns out of range");
    // Blocks of kBlock vectors: gathered column-major into a block that stays in cache, then
    // transposed into the row-major burst. The block's columns are kLd floats apart, not
    // 256: the transpose reads 64 of them per pass, and at 1 KiB apart they would share 4 of
    // L1's 64 sets (12 ways) and evict each other before their next 8 vectors are read.
    constexpr Eigen::Index kBlock = 256, kLd = kBlock + 16;
    thread_local std::vector<float> block;
    block.resize(static_cast<std::size_t>(kLd) * static_cast<std::size_t>(std::max(nk, 1)));
    for (Eigen::Index b0 = 0; b0 < nv; b0 += kBlock) {
        const Eigen::Index nb = std::min(kBlock, nv - b0);
        gather.columns(v0 + b0, nb, k0, nk, block.data(), kLd);
        transpose(block.data(), kLd, out + b0 * stride, stride, nk, nb);
    }
}

namespace {
// Position-major max pooling without padding (VGG-8's): every window lies inside, so the
// general loop of pool() reduces to the same comparisons in the same order, here read along
// each channel's contiguous column (the general loop's bounds tests and layout switch per
// element cost ~5 ns a value on the host of docs/performance.md; max_pool_plane's vector
// path for 2 x 2 windows of stride 2). Returns the comparisons.
double max_pool_inside(const ConvGeom& g, int batch, CRef src, Ref dst) {
    const int oh = g.out_h(), ow = g.out_w(), h = g.h, w = g.w;
    for (int c = 0; c < g.c; ++c) {
        const float* col = src.col(c).data();
        float* out = dst.col(c).data();
        for (int b = 0; b < batch; ++b) {
            max_pool_plane(col + static_cast<Eigen::Index>(b) * h * w, w, oh, ow, g.kh, g.kw, g.stride_h, g.stride_w,
                           out + static_cast<Eigen::Index>(b) * oh * ow);
        }
    }
    return static_cast<double>(batch) * g.c * oh * ow * (g.kh * g.kw - 1);
}
}  // namespace

Work pool(const ConvGeom& g, bool max, int batch, int src_rps, CRef src, Ref dst) {
    const bool pm = layout_of(g, batch, src_rps, src, "Pool");
    const int oh = g.out_h(), ow = g.out_w();
    if (pm)
        require(dst.rows() == static_cast<Eigen::Index>(batch) * oh * ow && dst.cols() == g.c,
                [&] { return "Pool: destination is " + shape(dst) + ", expected position-major " + std::to_string(batch * oh * ow) +
                    "x" + std::to_string(g.c); });
    else
        require(dst.rows() == batch && dst.cols() == static_cast<Eigen::Index>(g.c) * oh * ow,
                [&] { return "Pool: destination is " + shape(dst) + ", expected CHW " + std::to_string(batch) + "x" +
                    std::to_string(g.c * oh * ow); });
    Reader rd{src, g, pm};
    double compares = 0, adds = 0, mults = 0;
    // The fast path reads whole windows: only where every window lies inside the input.
    if (pm && max && g.pad_t == 0 && g.pad_l == 0 && g.pad_b == 0 && g.pad_r == 0 && g.kh <= g.h && g.kw <= g.w)
        compares = max_pool_inside(g, batch, src, dst);
    else
        for (int b = 0; b < batch; ++b)
            for (int c = 0; c < g.c; ++c)
                for (int oy = 0; oy < oh; ++oy)
                    for (int ox = 0; ox < ow; ++ox) {
                        float acc = max ? -std::numeric_limits<float>::infinity() : 0.0f;
                        int valid = 0;
                        for (int i = 0; i < g.kh; ++i)
                            for (int j = 0; j < g.kw; ++j) {
                                const int y = oy * g.stride_h - g.pad_t + i, x = ox * g.stride_w - g.pad_l + j;
                                if (y < 0 || y >= g.h || x < 0 || x >= g.w) continue;  // padding excluded
                                const float v = rd.at(b, c, y, x);
                                acc = max ? std::max(acc, v) : acc + v;
                                ++valid;
                            }
                        if (valid == 0) acc = 0.0f;
                        else if (!max) acc /= static_cast<float>(valid);
                        if (valid > 1) (max ? compares : adds) += valid - 1;
                        if (!max && valid > 0) mults += 1;
                        if (pm) dst(static_cast<Eigen::Index>(b) * oh * ow + oy * ow + ox, c) = acc;
                        else dst(b, (static_cast<Eigen::Index>(c) * oh + oy) * ow + ox) = acc;
                    }
    Work w;
    w.elements = static_cast<double>(dst.size());
    if (compares > 0) w.actions.add(action::kDigitalCompare, compares);
    if (adds > 0) w.actions.add(action::kDigitalAdd, adds);
    if (mults > 0) w.actions.add(action::kDigitalMult, mults);
    return w;
}

Work copy(int batch, int src_rps, int dst_rps, CRef src, Ref dst) {
    Work w;
    w.elements = static_cast<double>(src.size());
    if (src.rows() == dst.rows() && src.cols() == dst.cols()) {
        dst = src;
        return w;
    }
    if (src_rps > 1 && dst_rps == 1 && dst.rows() == batch && src.rows() == static_cast<Eigen::Index>(batch) * src_rps &&
        dst.cols() == src.cols() * src_rps) {
        // Channel c: src rows b*P + p (a row-major batch x P matrix) -> dst columns c*P + p.
        const Eigen::Index P = src_rps, C = src.cols();
        for (Eigen::Index c = 0; c < C; ++c)
            transpose(src.data() + c * src.outerStride(), P, dst.data() + c * P * dst.outerStride(), dst.outerStride(),
                      batch, P);
        return w;
    }
    if (dst_rps > 1 && src_rps == 1 && src.rows() == batch && dst.rows() == static_cast<Eigen::Index>(batch) * dst_rps &&
        src.cols() == dst.cols() * dst_rps) {
        const Eigen::Index P = dst_rps, C = dst.cols();
        for (Eigen::Index c = 0; c < C; ++c)
            transpose(src.data() + c * P * src.outerStride(), src.outerStride(), dst.data() + c * dst.outerStride(), P,
                      P, batch);
        return w;
    }
    throw std::runtime_error("Copy: cannot convert " + shape(src) + " (rows/sample " + std::to_string(src_rps) + ") to " +
                             shape(dst) + " (rows/sample " + std::to_string(dst_rps) + ")");
}

}  // namespace sotsim::digital
