#include "workloads/compiler/LayerAnalysis.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "models/physics/AnalogMacro.h"
#include "models/physics/CycleTime.h"
#include "models/physics/NeuronTransfer.h"
#include "workloads/compiler/WeightQuantizer.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/WorkloadError.h"

namespace sotsim::workloads {

int bits_for_levels(int levels) {
    int bits = 1;
    while ((1 << bits) - 1 < levels) ++bits;
    return bits;
}

namespace {

bool is_mvm(OpKind k) { return k == OpKind::Dense || k == OpKind::Conv; }
bool is_affine(OpKind k) {
    return k == OpKind::BatchNorm || k == OpKind::AddConst || k == OpKind::SubConst ||
           k == OpKind::MulConst || k == OpKind::DivConst;
}

int domain_bits(const SymbolicValue& s) {
    switch (s.dom) {
        case Domain::Signed: return 1;
        case Domain::Int: return s.int_exact() ? bits_for_levels(std::max(1, s.int_levels())) : 32;
        case Domain::Grid: return bits_for_levels(std::max(1, s.levels));
        case Domain::Real: return 32;
    }
    return 32;
}

// Integers as they come out of float32 arithmetic on integer data (exact sums, scales with
// 1e-7 relative error): closer than this (relative) to an integer counts as one. A batch-norm
// threshold 3e-4 away from an integer is not one: a*T + b never reaches 0 there.
bool near_int(double x) {
    return std::isfinite(x) && std::fabs(x - std::nearbyint(x)) <= 1e-5 * std::max(1.0, std::fabs(x));
}

constexpr float kNoBound = std::numeric_limits<float>::max();

class Analyser {
public:
    Analyser(const Network& net, const Config& cfg, const AnalysisOptions& opt, std::vector<std::string>& notes)
        : net_(net), cfg_(cfg), opt_(opt), notes_(notes) {}

    std::vector<LayerPlan> run() {
        check_linear();
        SymbolicValue s;
        s.shape = net_.input_shape();
        s.reset_affine();
        init_input(s);
        std::vector<TemplateOp> ops;
        std::vector<LayerPlan> plans;
        for (std::size_t i = 0; i < net_.nodes.size(); ++i) {
            const Node& n = net_.nodes[i];
            if (n.kind == OpKind::Softmax || n.kind == OpKind::LogSoftmax) {
                if (i + 1 != net_.nodes.size() || plans.empty())
                    fail(n, "only a trailing Softmax/LogSoftmax (after the last layer) is supported");
                notes_.push_back(std::string("trailing ") + op_name(n.kind) + " '" + n.name +
                                 "' dropped: the chip outputs the logits, whose argmax is the same");
                continue;
            }
            if (!is_mvm(n.kind)) {
                apply(n, s, ops);
                continue;
            }
            LayerPlan lp;
            lp.node = static_cast<int>(i);
            lp.name = n.name;
            make_mvm_input(s, ops, lp, n, plans.empty());
            if (plans.empty()) lp.pre = std::move(ops);
            else finish_layer(plans.back(), s, std::move(ops));
            ops.clear();
            build_mvm(lp, n, s);
            i = fold_readout(lp, i, s);
            choose_wide_inputs(lp, n);
            plans.push_back(std::move(lp));
        }
        if (plans.empty())
            throw WorkloadError(net_.source, "the model has no Gemm/MatMul/Conv layer to map onto the arrays");
        materialize(s, ops);
        finish_layer(plans.back(), s, std::move(ops));
        return plans;
    }

private:
    // The network input's domain as the options give it (never assumed).
    void init_input(SymbolicValue& s) {
        const InputDomain& d = opt_.input;
        switch (d.kind) {
            case InputDomain::Kind::Unknown:
                s.dom = Domain::Real;
                input_unknown_ = true;
                return;
            case InputDomain::Kind::Range:
                s.dom = Domain::Real;
                s.lo = d.lo;
                s.hi = d.hi;
                if (!d.values.empty()) s.values = &d.values;
                return;
            case InputDomain::Kind::Grid:
                if (d.pm1()) {
                    s.dom = Domain::Signed;
                    s.lo = -1;
                    s.hi = 1;
                } else if (d.levels == 1 && d.lo == 0.0 && d.hi == 1.0) {
                    s.set_int(0, 1);
                } else {
                    s.dom = Domain::Grid;
                    s.lo = d.lo;
                    s.hi = d.hi;
                    s.step = d.step;
                    s.levels = d.levels;
                }
                return;
        }
    }

    // A decision that changes the model (inserted quantization): a note, or an error
    // under --strict.
    void approximation(const Node& n, const std::string& what) {
        if (opt_.strict) fail(n, what + " (--strict refuses approximations of the model)");
        notes_.push_back(what);
    }

    [[noreturn]] void fail(const Node& n, const std::string& msg) const {
        throw WorkloadError(net_.source, "node '" + n.name + "' (" + op_name(n.kind) + "): " + msg);
    }

    // The compiler maps chains: every node reads the previous node's output.
    void check_linear() const {
        int prev = net_.input;
        for (const Node& n : net_.nodes) {
            if (n.kind == OpKind::Add && n.inputs.size() == 2 && (n.inputs[0] == prev || n.inputs[1] == prev)) {
                prev = n.output;  // residual: the other operand must be a stored layer input (apply())
                continue;
            }
            if (n.inputs.size() != 1 || n.inputs[0] != prev)
                fail(n, "the compiler maps single-path networks; this node does not consume the previous node's output");
            prev = n.output;
        }
    }

    TemplateOp layout_op(TemplateOp::Kind k, const SymbolicValue& s) const {
        TemplateOp op;
        op.kind = k;
        op.pos_major = s.pos_major;
        op.positions = s.positions();
        op.channels = s.channels();
        op.bits = domain_bits(s);
        return op;
    }

    void materialize(SymbolicValue& s, std::vector<TemplateOp>& ops) const {
        if (s.identity()) return;
        s.values = nullptr;
        double lo, hi;
        s.affine_bounds(lo, hi);
        TemplateOp op = layout_op(TemplateOp::Kind::Affine, s);
        op.a = s.a;
        op.b = s.b;
        op.bits = 32;
        ops.push_back(std::move(op));
        s.lo = lo;
        s.hi = hi;
        s.dom = Domain::Real;
        s.reset_affine();
    }

    void emit_act(SymbolicValue& s, std::vector<TemplateOp>& ops, ActKind act, float lo = 0,
                  float hi = 0, int levels = 0) const {
        s.values = nullptr;
        TemplateOp op = layout_op(TemplateOp::Kind::Act, s);
        op.act = act;
        op.lo = lo;
        op.hi = hi;
        op.levels = levels;
        op.bits = domain_bits(s);
        ops.push_back(std::move(op));
    }

    // Per-channel values of a constant operand, for the current per-sample shape.
    std::vector<float> channel_constant(const Node& n, const SymbolicValue& s) const {
        const ConstOperand& c = n.operand;
        const int C = s.channels();
        std::vector<float> v(static_cast<std::size_t>(C));
        switch (c.broadcast) {
            case ConstOperand::Broadcast::Scalar: std::fill(v.begin(), v.end(), c.value.data.at(0)); break;
            case ConstOperand::Broadcast::PerChannel:
                if (static_cast<int>(c.value.data.size()) != C) fail(n, "per-channel constant has the wrong size");
                std::copy(c.value.data.begin(), c.value.data.end(), v.begin());
                break;
            case ConstOperand::Broadcast::Full: {
                const int P = static_cast<int>(shape_numel(s.shape) / C);
                for (int ch = 0; ch < C; ++ch) {
                    v[ch] = c.value.data.at(static_cast<std::size_t>(ch) * P);
                    for (int p = 1; p < P; ++p)
                        if (c.value.data[static_cast<std::size_t>(ch) * P + p] != v[ch])
                            fail(n, "constants that vary within a channel are not supported by the compiler");
                }
                break;
            }
        }
        return v;
    }

    void apply(const Node& n, SymbolicValue& s, std::vector<TemplateOp>& ops) const {
        const int C = s.channels();
        switch (n.kind) {
            case OpKind::BatchNorm: {
                const auto& bn = n.batchnorm;
                for (int c = 0; c < C; ++c) {
                    const float g = bn.scale.data[c] / std::sqrt(bn.var.data[c] + bn.epsilon);
                    s.a[c] *= g;
                    s.b[c] = s.b[c] * g + (bn.bias.data[c] - bn.mean.data[c] * g);
                }
                return;
            }
            case OpKind::AddConst:
            case OpKind::SubConst:
            case OpKind::MulConst:
            case OpKind::DivConst: {
                const std::vector<float> k = channel_constant(n, s);
                const bool first = n.operand.constant_first;
                for (int c = 0; c < C; ++c) {
                    if (n.kind == OpKind::AddConst) s.b[c] += k[c];
                    else if (n.kind == OpKind::SubConst) {
                        if (first) { s.a[c] = -s.a[c]; s.b[c] = k[c] - s.b[c]; }
                        else s.b[c] -= k[c];
                    } else if (n.kind == OpKind::MulConst) { s.a[c] *= k[c]; s.b[c] *= k[c]; }
                    else {
                        if (first) fail(n, "dividing a constant by a tensor is not supported by the compiler");
                        s.a[c] /= k[c];
                        s.b[c] /= k[c];
                    }
                }
                return;
            }
            case OpKind::Relu: {
                if (int_clip(s, ops, 0.0, std::numeric_limits<double>::infinity())) return;
                materialize(s, ops);
                if (s.dom == Domain::Signed) s.set_int(0, 1);
                if (s.dom == Domain::Grid) s.dom = Domain::Real;
                s.lo = std::max(s.lo, 0.0);
                s.hi = std::max(s.hi, 0.0);
                emit_act(s, ops, ActKind::Relu);
                return;
            }
            case OpKind::Sign: {
                // Sign(0) = 0 (models/common/SignConvention.h): three levels unless the
                // pre-activation provably never is 0.
                const bool zero = zero_possible(s);
                materialize(s, ops);
                if (zero) s.set_int(-1, 1);
                else { s.dom = Domain::Signed; s.lo = -1; s.hi = 1; }
                // Zero unreachable in exact arithmetic: a +-1 comparator (the chip's analog
                // estimate can still land exactly on the threshold; ActKind::SignBinary).
                emit_act(s, ops, zero ? ActKind::Sign : ActKind::SignBinary);
                return;
            }
            case OpKind::Sigmoid:
                materialize(s, ops);
                s.dom = Domain::Real; s.lo = 0; s.hi = 1;
                emit_act(s, ops, ActKind::Sigmoid);
                return;
            case OpKind::Tanh:
                materialize(s, ops);
                s.dom = Domain::Real; s.lo = -1; s.hi = 1;
                emit_act(s, ops, ActKind::Tanh);
                return;
            case OpKind::Clip: {
                if (int_clip(s, ops, n.clip.min, n.clip.max)) return;
                materialize(s, ops);
                const double lo = std::max<double>(s.lo, n.clip.min), hi = std::min<double>(s.hi, n.clip.max);
                const bool keeps_domain = s.dom == Domain::Signed && n.clip.min <= -1 && n.clip.max >= 1;
                if (!keeps_domain) s.dom = Domain::Real;
                s.lo = lo;
                s.hi = hi;
                emit_act(s, ops, ActKind::Clip, n.clip.min, n.clip.max);
                return;
            }
            case OpKind::Round: {
                // Integers under an affine map with integer coefficients are integers already:
                // a quantizer that re-reads the grid of the one before it (Q -> DQ -> Q -> DQ
                // on the same scale, or on a scale that divides it) costs nothing, so the chain
                // runs as one quantizer (the Clip that follows is an integer clip).
                if (s.dom == Domain::Int && snap_integer_affine(s)) return;
                materialize(s, ops);
                // Integers from here on (bounds may still be infinite: a later Clip bounds them,
                // as in QuantizeLinear -> Round -> Clip(qmin, qmax)).
                const double lo = std::nearbyint(s.lo), hi = std::nearbyint(s.hi);
                if (s.dom == Domain::Grid || s.dom == Domain::Real) s.set_int(lo, hi);
                else if (s.dom == Domain::Signed) s.set_int(-1, 1);
                emit_act(s, ops, ActKind::Round);
                return;
            }
            case OpKind::MaxPool:
            case OpKind::AveragePool:
            case OpKind::GlobalAveragePool: {
                if (s.shape.size() != 3) fail(n, "pooling needs a [C,H,W] tensor");
                const bool max = n.kind == OpKind::MaxPool;
                if (max && std::any_of(s.a.begin(), s.a.end(), [](float v) { return v < 0; }))
                    materialize(s, ops);  // max commutes only with non-negative scales
                const auto& pp = n.pool;
                if (n.kind == OpKind::AveragePool && pp.count_include_pad &&
                    (pp.pad_top || pp.pad_left || pp.pad_bottom || pp.pad_right))
                    fail(n, "average pooling with count_include_pad over padding is not supported");
                ConvGeom g;
                g.c = static_cast<int>(s.shape[0]);
                g.h = static_cast<int>(s.shape[1]);
                g.w = static_cast<int>(s.shape[2]);
                if (n.kind == OpKind::GlobalAveragePool) {
                    g.kh = g.h;
                    g.kw = g.w;
                } else {
                    g.kh = static_cast<int>(pp.kernel_h); g.kw = static_cast<int>(pp.kernel_w);
                    g.stride_h = static_cast<int>(pp.stride_h); g.stride_w = static_cast<int>(pp.stride_w);
                    g.pad_t = static_cast<int>(pp.pad_top); g.pad_l = static_cast<int>(pp.pad_left);
                    g.pad_b = static_cast<int>(pp.pad_bottom); g.pad_r = static_cast<int>(pp.pad_right);
                }
                if (!max) {  // averages leave the integer grid and the data's values
                    s.dom = Domain::Real;
                    s.values = nullptr;
                }
                s.shape = net_.values[n.output].shape;
                TemplateOp op = layout_op(TemplateOp::Kind::Pool, s);
                op.geom = g;
                op.pool_max = max;
                ops.push_back(std::move(op));
                return;
            }
            case OpKind::Flatten:
            case OpKind::Reshape: {
                const Shape& to = net_.values[n.output].shape;
                if (s.pos_major) {
                    s.pos_major = false;
                    ops.push_back(layout_op(TemplateOp::Kind::ToFlat, s));
                }
                if (to.size() == 1 && !s.identity()) {
                    // Every feature becomes its own channel: expand the per-channel map.
                    const std::int64_t numel = shape_numel(s.shape);
                    const std::int64_t per = numel / s.channels();
                    std::vector<float> a(static_cast<std::size_t>(numel)), b(a.size());
                    for (std::int64_t i = 0; i < numel; ++i) { a[i] = s.a[i / per]; b[i] = s.b[i / per]; }
                    s.a = std::move(a);
                    s.b = std::move(b);
                    s.shape = to;
                } else if (s.scalar_affine()) {
                    const float a0 = s.a.at(0), b0 = s.b.at(0);
                    s.shape = to;
                    s.a.assign(static_cast<std::size_t>(s.channels()), a0);
                    s.b.assign(static_cast<std::size_t>(s.channels()), b0);
                } else {
                    materialize(s, ops);
                    s.shape = to;
                    s.reset_affine();
                }
                return;
            }
            case OpKind::Add: {
                // Residual: the skip operand is a tensor the chip stored as the input of an
                // earlier layer; it is added digitally. With one common scale on both integer
                // operands the sum stays on the integer grid (scales aligned).
                const int prev_value = net_.nodes[static_cast<std::size_t>(&n - net_.nodes.data()) - 1].output;
                const int skip = n.inputs[0] == prev_value ? n.inputs[1] : n.inputs[0];
                const auto it = stored_.find(skip);
                if (it == stored_.end() || it->second.first < 0)
                    fail(n, "the residual operand is not the input of an earlier layer on the chip; only skips over "
                            "whole layers (y = f(h) + h with h the input of a Gemm/Conv) are supported");
                const SymbolicValue& h = it->second.second;
                if (h.shape != s.shape) fail(n, "residual operands differ in shape");
                if (s.pos_major) {
                    s.pos_major = false;
                    ops.push_back(layout_op(TemplateOp::Kind::ToFlat, s));
                }
                // Two integer operands a_s T_s + b_s and a_h T_h + b_h whose scales are equal or
                // in an integer ratio r align on the finer scale: the sum is a_fine (T_fine +
                // r T_coarse) + b_s + b_h, still integers (the coarser codes scaled by r).
                // Otherwise the sum is real (exact when a later quantizer re-grids it).
                const bool ints = s.dom == Domain::Int && h.dom == Domain::Int && s.bounded() && h.bounded() &&
                                  s.common_scale() && h.common_scale() && s.a[0] != 0.0f && h.a[0] != 0.0f;
                double r = 0.0;
                const std::size_t nc = s.a.size();
                TemplateOp op = layout_op(TemplateOp::Kind::AddStored, s);
                op.layer = it->second.first;
                if (ints && integer_ratio(s.a[0], h.a[0], r) && r > 1.0) {
                    // The branch is on r times the skip's scale: scale its codes up first.
                    TemplateOp up = layout_op(TemplateOp::Kind::Affine, s);
                    up.a.assign(nc, static_cast<float>(r));
                    up.b.assign(nc, 0.0f);
                    s.set_int(r * s.lo, r * s.hi);
                    s.a.assign(nc, h.a[0]);
                    up.bits = domain_bits(s);
                    ops.push_back(std::move(up));
                }
                if (ints && integer_ratio(h.a[0], s.a[0], r)) {
                    // The skip is on r (>= 1) times the current scale: add r T_h.
                    op.a.assign(nc, static_cast<float>(r));
                    op.b.assign(nc, 0.0f);
                    for (std::size_t c = 0; c < s.b.size(); ++c) s.b[c] += h.b[c];
                    s.set_int(s.lo + r * h.lo, s.hi + r * h.hi);
                } else {
                    materialize(s, ops);
                    op.a = h.a;
                    op.b = h.b;
                    double hl, hh;
                    h.affine_bounds(hl, hh);
                    s.dom = Domain::Real;
                    s.lo += hl;
                    s.hi += hh;
                }
                s.values = nullptr;
                op.bits = domain_bits(s);
                ops.push_back(std::move(op));
                return;
            }
            default: fail(n, "not supported by the compiler here");
        }
    }

    // True when a[c] T + b[c] rounds to the same integers as A[c] T + B[c] with A, B the
    // nearest integers, for every T in the (bounded) range: float scale/zero-point
    // arithmetic leaves e.g. (-z s) / s = -32.99999 where Round sees -33. Then a, b := A, B.
    static bool snap_integer_affine(SymbolicValue& s) {
        if (!s.bounded()) return false;
        const double tmax = std::max(std::fabs(s.lo), std::fabs(s.hi));
        for (std::size_t c = 0; c < s.a.size(); ++c) {
            const double A = std::nearbyint(s.a[c]), B = std::nearbyint(s.b[c]);
            if (std::fabs(s.a[c] - A) * tmax + std::fabs(s.b[c] - B) >= 0.25) return false;
        }
        for (std::size_t c = 0; c < s.a.size(); ++c) {
            s.a[c] = static_cast<float>(std::nearbyint(s.a[c]));
            s.b[c] = static_cast<float>(std::nearbyint(s.b[c]));
        }
        return true;
    }

    // big / small when it is a positive integer up to 2^16 (to float precision): r = 1 for
    // equal scales.
    static bool integer_ratio(float big, float small, double& r) {
        const double q = static_cast<double>(big) / static_cast<double>(small);
        r = std::nearbyint(q);
        return r >= 1.0 && r <= 65536.0 && std::fabs(q - r) <= 1e-6 * r;
    }

    // Clip(min, max) of a*T + b on integers T (one common a, b): clipping T at integer
    // bounds keeps the integer grid, so no affine needs to be applied first. Returns false
    // when a cut falls between levels (then the caller materializes).
    bool int_clip(SymbolicValue& s, std::vector<TemplateOp>& ops, double mn, double mx) const {
        if (s.dom != Domain::Int || !s.common_scale() || s.a[0] == 0.0f) return false;
        for (float b : s.b)
            if (b != s.b[0]) return false;
        const double a = s.a[0], b = s.b[0];
        double tlo = (mn - b) / a, thi = (mx - b) / a;
        if (a < 0) std::swap(tlo, thi);
        const bool cut_lo = tlo > s.lo, cut_hi = thi < s.hi;
        if ((cut_lo && !near_int(tlo)) || (cut_hi && !near_int(thi))) return false;
        const double nlo = cut_lo ? std::nearbyint(tlo) : s.lo, nhi = cut_hi ? std::nearbyint(thi) : s.hi;
        if (nlo > nhi) return false;
        if (!cut_lo && !cut_hi) return true;  // the clip does nothing on this range
        s.lo = nlo;
        s.hi = nhi;
        emit_act(s, ops, ActKind::Clip, std::isfinite(nlo) ? static_cast<float>(nlo) : -kNoBound,
                 std::isfinite(nhi) ? static_cast<float>(nhi) : kNoBound);
        return true;
    }

    // Can a[c] * T + b[c] be exactly 0 for a stored value T of the current domain?
    static bool zero_possible(const SymbolicValue& s) {
        for (std::size_t c = 0; c < s.a.size(); ++c) {
            const double a = s.a[c], b = s.b[c];
            if (a == 0.0) {
                if (b == 0.0) return true;
                continue;
            }
            const double t0 = -b / a;
            switch (s.dom) {
                case Domain::Int:
                    if (t0 >= s.lo - 0.5 && t0 <= s.hi + 0.5 && near_int(t0)) return true;
                    break;
                case Domain::Signed:
                    if (near_int(t0) && std::fabs(std::fabs(t0) - 1.0) < 0.5) return true;
                    break;
                case Domain::Grid: {
                    const double k = (t0 - s.lo) / s.step;
                    if (k >= -0.5 && k <= s.levels + 0.5 && near_int(k)) return true;
                    break;
                }
                case Domain::Real:
                    if (s.values) {  // the raw input: is the threshold one of its values?
                        const auto it = std::lower_bound(s.values->begin(), s.values->end(), t0 - 1e-6 * std::fabs(t0));
                        if (it != s.values->end() && std::fabs(*it - t0) <= 1e-6 * std::max(1.0, std::fabs(t0)))
                            return true;
                    } else if (t0 >= s.lo && t0 <= s.hi) {
                        return true;
                    }
                    break;
            }
        }
        return false;
    }

    // Raw grid values (lo + step*k) -> their integer index k, exactly (the data is on the grid).
    void grid_to_int(SymbolicValue& s, std::vector<TemplateOp>& ops) const {
        emit_act(s, ops, ActKind::Quantize, static_cast<float>(s.lo), static_cast<float>(s.hi), s.levels);
        for (std::size_t c = 0; c < s.a.size(); ++c) {
            s.b[c] = static_cast<float>(s.a[c] * s.lo + s.b[c]);
            s.a[c] = static_cast<float>(s.a[c] * s.step);
        }
        s.set_int(0, s.levels);
    }

    // Integers T with one scale per channel (a per-axis quantizer, a per-channel
    // normalisation of grid data) feeding an array, whose rows share one input scale: when
    // every a[c] is an integer multiple r[c] of the smallest |a|, the codes are scaled to
    // r[c] T (a digital op before the array; more levels, exact). Otherwise the input is not
    // representable exactly and the layer is refused (one line naming it).
    // `refuse` false: return false instead (the caller then treats the input as real).
    bool align_channel_scales(SymbolicValue& s, std::vector<TemplateOp>& ops, const Node& mvm, bool refuse) const {
        float unit = 0.0f;
        for (float a : s.a)
            if (a != 0.0f && (unit == 0.0f || std::fabs(a) < unit)) unit = std::fabs(a);
        std::vector<float> r(s.a.size(), 0.0f);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (std::size_t c = 0; c < s.a.size() && unit > 0.0f; ++c) {
            double q = 0.0;
            if (s.a[c] != 0.0f && !integer_ratio(std::fabs(s.a[c]), unit, q)) {
                if (!refuse) return false;
                std::ostringstream os;
                os << "its input has one scale per channel (e.g. a per-axis QuantizeLinear) and the array rows share "
                      "one input scale: channel "
                   << c << " has scale " << s.a[c] << ", not an integer multiple of the smallest, " << unit
                   << "; quantize this activation per tensor, or with per-channel scales that are integer (e.g. "
                      "power-of-two) multiples of one scale";
                fail(mvm, os.str());
            }
            r[c] = static_cast<float>(s.a[c] < 0.0f ? -q : q);
            lo = std::min({lo, r[c] * s.lo, r[c] * s.hi});
            hi = std::max({hi, r[c] * s.lo, r[c] * s.hi});
        }
        if (unit == 0.0f) return true;  // every channel constant: nothing to drive
        TemplateOp op = layout_op(TemplateOp::Kind::Affine, s);
        op.a = r;
        op.b.assign(s.a.size(), 0.0f);
        s.set_int(lo, hi);
        s.a.assign(s.a.size(), unit);
        op.bits = domain_bits(s);
        ops.push_back(std::move(op));
        return true;
    }

    // Integers T with one scale per channel in no integer ratio (torchvision's Normalize with
    // a std per channel, per-axis activation scales): no single input grid holds them, but
    // the rows of one channel share its scale. The layer's rows are grouped by channel, each
    // group's partial sums are scaled by ratio[c] = a[c] / unit in the PE before the groups
    // are added (exact: integer sums, one digital multiply per group). Channel c's value
    // a[c] T + b[c] = ratio[c] * (unit T + b[c] / ratio[c]): the common scale `unit` and the
    // per-channel offsets then go through the usual encodings. False when a channel's scale
    // is zero (nothing to group; the caller falls back).
    bool group_channel_scales(SymbolicValue& s, LayerPlan& lp, const Node& mvm) const {
        float unit = 0.0f;
        for (float a : s.a) {
            if (a == 0.0f || !std::isfinite(a)) return false;
            if (unit == 0.0f || std::fabs(a) < unit) unit = std::fabs(a);
        }
        if (unit == 0.0f || !s.bounded()) return false;
        lp.channel_ratio.resize(s.a.size());
        for (std::size_t c = 0; c < s.a.size(); ++c) {
            lp.channel_ratio[c] = s.a[c] / unit;
            s.b[c] /= lp.channel_ratio[c];
            s.a[c] = unit;
        }
        std::size_t runs = 1;
        for (std::size_t c = 1; c < s.a.size(); ++c) runs += lp.channel_ratio[c] != lp.channel_ratio[c - 1];
        notes_.push_back("layer '" + mvm.name + "': its input has " + std::to_string(s.a.size()) +
                         " channel scales in no integer ratio; rows grouped into " + std::to_string(runs) +
                         " channel run(s), each scaled in the PE before the sum (exact)");
        return true;
    }

    static std::string row_groups_note(const LayerPlan& lp) {
        if (lp.channel_ratio.empty()) return "";
        return "; one scale per input channel: rows grouped by channel, scaled in the PE";
    }

    // The row groups of a layer with channel ratios, once K is known: channel c holds rows
    // [c * K / C, (c + 1) * K / C) (CHW flatten, im2col channel-major), and consecutive
    // channels with one ratio form one group.
    static void set_row_groups(LayerPlan& lp) {
        lp.row_groups.clear();
        if (lp.channel_ratio.empty()) return;
        const int C = static_cast<int>(lp.channel_ratio.size());
        if (C <= 0 || lp.k % C != 0)
            throw std::logic_error("row groups: " + std::to_string(lp.k) + " rows over " + std::to_string(C) + " channels");
        const int per = lp.k / C;
        for (int c = 0; c < C; ++c) {
            if (!lp.row_groups.empty() && lp.row_groups.back().scale == lp.channel_ratio[c])
                lp.row_groups.back().rows += per;
            else
                lp.row_groups.push_back({c * per, per, lp.channel_ratio[c]});
        }
    }

    // Make the current value an integer-grid MVM input; the scale stays in `s.a`, any
    // offset goes to `lp.in_offset` (digital correction per column after the MVM).
    void make_mvm_input(SymbolicValue& s, std::vector<TemplateOp>& ops, LayerPlan& lp, const Node& mvm,
                        bool first_layer) {
        if (s.pos_major) {
            s.pos_major = false;
            ops.push_back(layout_op(TemplateOp::Kind::ToFlat, s));
        }
        // The data's own levels reach this layer unchanged (no quantizer of the model between).
        const bool raw = first_layer && ops.empty() && opt_.input.known();
        if (s.dom == Domain::Grid) {
            // The data's own grid; per-channel scales (a per-channel normalisation) in
            // integer ratios stay exact, others leave real values that are quantized below.
            std::vector<TemplateOp> aligned = ops;
            SymbolicValue g = s;
            grid_to_int(g, aligned);
            // Scales in no integer ratio: the rows are grouped by channel (exact).
            if (g.common_scale() || align_channel_scales(g, aligned, mvm, false) || group_channel_scales(g, lp, mvm)) {
                s = g;
                ops = std::move(aligned);
            } else {
                materialize(s, ops);
            }
        } else if (s.dom == Domain::Int && s.bounded() && !s.common_scale()) {
            // The model's own per-channel grid: one input grid when the scales are in integer
            // ratios, else rows grouped by channel scale.
            if (!align_channel_scales(s, ops, mvm, false) && !group_channel_scales(s, lp, mvm))
                align_channel_scales(s, ops, mvm, true);  // refused, naming the channel
        }
        const std::string from = raw ? "data: " : "model: ";
        const std::string tail = (raw ? ", from " + opt_.input.source : "") + row_groups_note(lp);
        lp.in_offset.clear();
        if (s.dom == Domain::Signed && s.common_scale() && s.a[0] > 0.0f) {
            lp.input = InputEncoding::Signed;
            lp.input_bits = 1;
            lp.input_origin = from + "+-1 values" + tail;
            set_offsets(s, lp, 0.0);
        } else if (s.dom == Domain::Int && s.int_exact() && s.common_scale() && s.a[0] != 0.0f) {
            offset_encode(s, ops, lp);
            lp.input_origin = from + std::to_string(s.int_levels() + 1) + " levels" + tail;
        } else {
            requantize(s, ops, lp, mvm, first_layer);
        }
        set_uint_encoding(lp, s, mvm);
        lp.in_bits = domain_bits(s);
        // What the chip stores as this layer's input (the previous layer's output tensor):
        // value = a * D + a * in_offset[c]. A later residual Add may read it.
        SymbolicValue stored = s;
        for (std::size_t c = 0; c < stored.b.size(); ++c) {
            if (!lp.channel_ratio.empty()) stored.a[c] *= lp.channel_ratio[c];
            stored.b[c] = lp.in_offset.empty() ? 0.0f : static_cast<float>(stored.a[c] * lp.in_offset[c]);
        }
        stored_[mvm.inputs.at(0)] = {static_cast<int>(layer_count_) - 1, stored};
        ++layer_count_;
    }

    // Integers T in [lo, hi] with value a*T + b: drive D = T - lo (or hi - T when a < 0) on
    // levels 0..hi-lo; the value is |a| * (D + offset[c]).
    void offset_encode(SymbolicValue& s, std::vector<TemplateOp>& ops, LayerPlan& lp) const {
        const bool flip = s.a[0] < 0.0f;
        if (flip || s.lo != 0.0) {
            TemplateOp op = layout_op(TemplateOp::Kind::Affine, s);
            op.a.assign(s.a.size(), flip ? -1.0f : 1.0f);
            op.b.assign(s.a.size(), static_cast<float>(flip ? s.hi : -s.lo));
            op.bits = bits_for_levels(std::max(1, s.int_levels()));
            ops.push_back(std::move(op));
        }
        const double base = flip ? -s.hi : s.lo;
        if (flip)
            for (float& a : s.a) a = -a;
        const int L = s.int_levels();
        s.set_int(0, L);
        set_offsets(s, lp, base);
    }

    // in_offset[c] = base + b[c] / a (in units of the common scale a); b is then 0.
    static void set_offsets(SymbolicValue& s, LayerPlan& lp, double base) {
        bool any = false;
        std::vector<double> off(s.b.size());
        for (std::size_t c = 0; c < s.b.size(); ++c) {
            off[c] = base + static_cast<double>(s.b[c]) / s.a[c];
            if (std::fabs(off[c]) < 1e-6) off[c] = 0.0;  // Relu / Clip snapped to an integer bound
            any = any || off[c] != 0.0;
            s.b[c] = 0.0f;
        }
        if (any) lp.in_offset = std::move(off);
    }

    // The model has no quantizer for this MVM input: quantize it to the driver precision over
    // a known range (bounds from the graph or the input domain, else calibrated), with a note.
    void requantize(SymbolicValue& s, std::vector<TemplateOp>& ops, LayerPlan& lp, const Node& mvm, bool first_layer) {
        double lo, hi;
        s.affine_bounds(lo, hi);
        std::string origin = first_layer && !input_unknown_ && opt_.input.known() ? opt_.input.source : "the graph";
        if (!std::isfinite(lo) || !std::isfinite(hi)) {
            if (first_layer && input_unknown_)
                fail(mvm, "the network input reaches this layer without a quantizer and its value domain is unknown: "
                          "give the data (--dataset, scanned once) or --input-range LO:HI");
            if (!opt_.calibration || opt_.calibration->rows() == 0)
                fail(mvm, "the input of this layer is unbounded (e.g. ReLU without Clip) and the model has no quantizer "
                          "for it; export the model with explicit activation quantization (QuantizeLinear, or Clip -> "
                          "Mul -> Round -> Div), or run with data to calibrate it");
            calibrated_range(mvm.inputs.at(0), lo, hi);
            origin = "calibrated on " + std::to_string(opt_.calibration->rows()) + " samples";
        }
        if (!(hi > lo)) hi = lo + 1.0;
        const int bits = cfg_.periphery.input.bits;
        const int L = (1 << bits) - 1;
        std::ostringstream os;
        os << "layer '" << mvm.name << "': " << (first_layer ? "network input" : "input") << " in [" << lo << ", " << hi
           << "] (" << origin << ") has no quantizer in the model; quantized to " << bits
           << " bit(s) (periphery.input.bits)";
        approximation(mvm, os.str());
        materialize(s, ops);
        emit_act(s, ops, ActKind::Quantize, static_cast<float>(lo), static_cast<float>(hi), L);
        const float step = static_cast<float>((hi - lo) / L);
        s.set_int(0, L);
        s.a.assign(s.a.size(), step);
        s.b.assign(s.b.size(), static_cast<float>(lo));
        const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi), span = static_cast<float>(hi - lo);
        if (lo == 0.0)
            lp.inserted_before = {{OpKind::Clip, fhi, 0.0f}, {OpKind::DivConst, fhi}, {OpKind::MulConst, float(L)},
                                  {OpKind::Round, 0},        {OpKind::DivConst, float(L)}, {OpKind::MulConst, fhi}};
        else
            lp.inserted_before = {{OpKind::Clip, fhi, flo},     {OpKind::SubConst, flo},    {OpKind::DivConst, span},
                                  {OpKind::MulConst, float(L)}, {OpKind::Round, 0},         {OpKind::DivConst, float(L)},
                                  {OpKind::MulConst, span},     {OpKind::AddConst, flo}};
        lp.input_from_model = false;
        lp.input_origin = "inserted: " + std::to_string(bits) + " bit(s) over [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], " + origin;
        set_offsets(s, lp, 0.0);
    }

    void calibrated_range(int value, double& lo, double& hi) {
        if (calib_values_.empty()) calib_values_ = FloatEvaluator(net_).run_all(*opt_.calibration);
        const Batch& v = calib_values_.at(static_cast<std::size_t>(value));
        lo = v.minCoeff();
        hi = v.maxCoeff();
    }

    // Drivers for D in 0..L: binary; PWM when the chip has a pulse-width DAC, in one pulse
    // when the DAC holds the bits, else sliced into DAC-wide groups over several cycles
    // (input slicing, shift-added); otherwise bit-serial (one bit plane per cycle). Every
    // choice is exact; only a layer whose inputs exceed the DAC pays for extra cycles.
    void set_uint_encoding(LayerPlan& lp, const SymbolicValue& s, const Node& mvm) {
        lp.input_slice_bits = 0;
        if (lp.input == InputEncoding::Signed && s.dom == Domain::Signed) return;
        const int L = std::max(1, s.int_levels());
        lp.input_bits = bits_for_levels(L);
        if (lp.input_bits > phys::kMaxInputBits)
            fail(mvm, "its inputs take " + std::to_string(L + 1) + " levels (" + std::to_string(lp.input_bits) +
                          " bits); the macros drive inputs of at most " + std::to_string(phys::kMaxInputBits) +
                          " bits (quantize this activation to fewer levels)");
        const int dac = cfg_.periphery.input.bits;
        if (L == 1) {
            lp.input = InputEncoding::Binary;
        } else if (cfg_.periphery.input.encoding == InputEncoding::Pwm && dac > 1) {
            lp.input = InputEncoding::Pwm;
            if (lp.input_bits > dac) lp.input_slice_bits = dac;  // or bit-serial: choose_wide_inputs
        } else {
            lp.input = InputEncoding::BitSerial;
            if (lp.input_bits > dac) {
                notes_.push_back("layer '" + mvm.name + "': " + std::to_string(lp.input_bits) + "-bit inputs on " +
                                 std::to_string(dac) + "-bit drivers: driven bit-serially over " +
                                 std::to_string(lp.input_bits) + " cycles (exact)");
                lp.input_origin += "; driven bit-serially over " + std::to_string(lp.input_bits) + " cycles";
            }
        }
    }

    // PWM inputs wider than the DAC, once the layer's blocks are known: DAC-wide slices
    // (ceil(bits / DAC bits) pulses, shift-added) or 1-bit planes (bits cycles, no pulse
    // window), both exact. --wide-inputs says which; auto takes the shorter
    // estimated array time per input vector of the layer's widest block (input cycles x
    // phys::planned_input_cycle_time: settle, pulse window, the readout's conversions), a
    // tie keeping the slices (fewer conversions). The note gives both estimates.
    void choose_wide_inputs(LayerPlan& lp, const Node& mvm) {
        if (lp.input != InputEncoding::Pwm || lp.input_slice_bits == 0) return;
        phys::BlockSpec sliced;
        sliced.rows = std::min(lp.k, phys::AnalogMacro::logical_rows(cfg_, lp.weight_bits));
        sliced.cols = std::min(lp.n, phys::AnalogMacro::logical_cols(cfg_, lp.weight_bits));
        sliced.weight_bits = lp.weight_bits;
        sliced.input_bits = lp.input_bits;
        sliced.readout = lp.readout;
        sliced.input = InputEncoding::Pwm;
        sliced.input_slice_bits = lp.input_slice_bits;
        phys::BlockSpec serial = sliced;
        serial.input = InputEncoding::BitSerial;
        serial.input_slice_bits = 0;
        const int n_slice = phys::AnalogMacro::input_cycles(sliced), n_serial = phys::AnalogMacro::input_cycles(serial);
        const double t_slice = n_slice * phys::planned_input_cycle_time(cfg_, sliced);
        const double t_serial = n_serial * phys::planned_input_cycle_time(cfg_, serial);
        const WideInputs want = opt_.wide_inputs;
        const bool bit_serial = want == WideInputs::BitSerial || (want == WideInputs::Auto && t_serial < t_slice);
        auto ns = [](double t) {
            std::ostringstream o;
            o << std::setprecision(3) << t * 1e9 << " ns";
            return o.str();
        };
        const std::string slices = std::to_string(n_slice) + " slices of " + std::to_string(lp.input_slice_bits) + " bits";
        const std::string planes = "bit-serially over " + std::to_string(n_serial) + " cycles";
        const std::string why = want == WideInputs::Auto        ? "--wide-inputs auto: the shorter estimated array time"
                                : want == WideInputs::Slice ? "--wide-inputs slice"
                                                            : "--wide-inputs bit_serial";
        std::ostringstream note;
        note << "layer '" << mvm.name << "': " << lp.input_bits << "-bit inputs on a " << lp.input_slice_bits
             << "-bit pulse-width DAC: driven " << (bit_serial ? planes : "as " + slices + ", shift-added") << " ("
             << ns(bit_serial ? t_serial : t_slice) << " per vector) rather than "
             << (bit_serial ? "as " + slices : planes) << " (" << ns(bit_serial ? t_slice : t_serial) << "); " << why
             << " (exact either way)";
        notes_.push_back(note.str());
        if (bit_serial) {
            lp.input = InputEncoding::BitSerial;
            lp.input_slice_bits = 0;
            lp.input_origin += "; driven " + planes + " (chosen over " + slices + ")";
        } else {
            lp.input_origin += "; driven as " + slices + " (input slicing)";
        }
    }

    void finish_layer(LayerPlan& lp, SymbolicValue& s, std::vector<TemplateOp> ops) const {
        if (s.pos_major) {
            s.pos_major = false;
            ops.push_back(layout_op(TemplateOp::Kind::ToFlat, s));
        }
        lp.post.insert(lp.post.end(), std::make_move_iterator(ops.begin()), std::make_move_iterator(ops.end()));
        lp.out_width = static_cast<int>(shape_numel(s.shape));
        lp.out_bits = domain_bits(s);
        // Columns of a unit are output channels; their flat extent in the stored tensor:
        lp.out_positions = lp.n > 0 ? lp.out_width / lp.n : 1;
    }

    void build_mvm(LayerPlan& lp, const Node& n, SymbolicValue& s) {
        const float sx = s.a.at(0);
        const Shape& in_shape = s.shape;
        Eigen::MatrixXf w;
        std::vector<float> bias;
        if (n.kind == OpKind::Dense) {
            lp.n = static_cast<int>(n.dense.weight.shape.at(0));
            lp.k = static_cast<int>(n.dense.weight.shape.at(1));
            w = n.dense.weight.as_matrix(lp.n, lp.k);
            bias = n.dense.bias.data;
            lp.p = 1;
        } else {
            const auto& cp = n.conv;
            lp.conv = true;
            lp.n = static_cast<int>(cp.weight.shape.at(0));
            const int kh = static_cast<int>(cp.weight.shape.at(2)), kw = static_cast<int>(cp.weight.shape.at(3));
            lp.k = static_cast<int>(cp.weight.shape.at(1)) * kh * kw;
            w = cp.weight.as_matrix(lp.n, lp.k);
            bias = cp.bias.data;
            ConvGeom& g = lp.geom;
            g.c = static_cast<int>(in_shape.at(0));
            g.h = static_cast<int>(in_shape.at(1));
            g.w = static_cast<int>(in_shape.at(2));
            g.kh = kh;
            g.kw = kw;
            g.stride_h = static_cast<int>(cp.stride_h);
            g.stride_w = static_cast<int>(cp.stride_w);
            g.pad_t = static_cast<int>(cp.pad_top);
            g.pad_l = static_cast<int>(cp.pad_left);
            g.pad_b = static_cast<int>(cp.pad_bottom);
            g.pad_r = static_cast<int>(cp.pad_right);
            lp.p = g.out_h() * g.out_w();
        }
        if (bias.empty()) bias.assign(static_cast<std::size_t>(lp.n), 0.0f);
        const WeightCodes& codes = n.kind == OpKind::Dense ? n.dense.codes : n.conv.codes;
        const QuantizedWeights qw =
            codes.empty() ? quantize_weights(w, cfg_.macro.weight_bits) : weights_from_codes(codes, lp.n, lp.k);
        lp.q = qw.q;
        lp.col_scale = qw.scale;
        lp.weight_scale = qw.max_scale();
        lp.weight_bits = qw.bits;
        lp.weights_on_grid = qw.on_grid;
        lp.weight_origin = weight_origin(qw, codes);
        if (!qw.on_grid) {
            std::ostringstream os;
            os << "layer '" << n.name << "': weights are on no quantization grid; post-training quantized to "
               << qw.bits << " bit(s) (max error " << qw.max_rel_error * 100 << " % of max |w|)";
            approximation(n, os.str());
        }
        const bool padded = lp.conv && (lp.geom.pad_t || lp.geom.pad_l || lp.geom.pad_b || lp.geom.pad_r);
        if (padded && lp.input == InputEncoding::Signed) {
            // A +-1 driver has no zero level: padded rows are driven as -1 and their
            // contribution is added back digitally, per output position.
            lp.pad_value = -1.0f;
            lp.position_bias = true;
        }
        if (!lp.in_offset.empty()) lp.position_bias = true;
        set_row_groups(lp);
        // Output state: y = (sx * s_w[c]) * acc + bias, per output channel. The accumulator
        // holds integers unless a fractional offset correction is added to it.
        s.shape = net_.values[n.output].shape;
        s.pos_major = lp.conv;
        s.reset_affine();
        for (int c = 0; c < lp.n; ++c) {
            s.a[c] = sx * qw.scale[c];
            s.b[c] = bias[c];
        }
        s.dom = Domain::Real;
        s.lo = -std::numeric_limits<double>::infinity();
        s.hi = std::numeric_limits<double>::infinity();
        bool integral = true;
        if (lp.position_bias) {
            TemplateOp op = layout_op(TemplateOp::Kind::PositionBias, s);
            op.table = position_bias_table(lp);
            for (Eigen::Index i = 0; i < op.table.size() && integral; ++i)
                integral = op.table.data()[i] == std::nearbyint(op.table.data()[i]);
            lp.post.push_back(std::move(op));
        }
        if (integral && qw.on_grid && lp.channel_ratio.empty()) s.set_int(s.lo, s.hi);
    }

    static std::string weight_origin(const QuantizedWeights& qw, const WeightCodes& codes) {
        const std::string scales = qw.per_channel ? "one scale per output channel" : "one scale";
        if (!qw.on_grid) return "inserted: post-training quantized to " + std::to_string(qw.bits) + " bit(s)";
        if (!qw.from_codes) return "model: " + std::to_string(qw.bits) + "-bit grid, " + scales;
        std::string s = "model: " + std::to_string(codes.bits) + "-bit codes (DequantizeLinear)";
        if (codes.zero_point) s += " with zero points";
        s += ", " + scales;
        if (qw.bits != codes.bits) s += "; stored as " + std::to_string(qw.bits) + "-bit sign-magnitude";
        return s;
    }

    static double ratio(const LayerPlan& lp, int c) {
        return lp.channel_ratio.empty() ? 1.0 : static_cast<double>(lp.channel_ratio.at(static_cast<std::size_t>(c)));
    }

    // Per output position and column, in accumulator units: what the driven codes leave out.
    // +-1 inputs: padded rows were driven as -1, so add back sum of their weights. Offset
    // encoding: the value is a * (D + off), so add off * (sum of weights over the rows that
    // hold data at this position; padding is 0 in the model, not an offset level).
    Eigen::MatrixXf position_bias_table(const LayerPlan& lp) const {
        Eigen::MatrixXf t = Eigen::MatrixXf::Zero(lp.p, lp.n);
        const bool offsets = !lp.in_offset.empty();
        if (!lp.conv) {
            const int per = lp.in_offset.empty() ? 1 : lp.k / static_cast<int>(lp.in_offset.size());
            for (int k = 0; k < lp.k && offsets; ++k)
                t.row(0) += static_cast<float>(lp.in_offset[k / per] * ratio(lp, k / per)) *
                            lp.q.col(k).cast<float>().transpose();
            return t;
        }
        const ConvGeom& g = lp.geom;
        const int ow = g.out_w();
        const bool pm_pad = lp.pad_value == -1.0f;
        for (int oy = 0; oy < g.out_h(); ++oy)
            for (int ox = 0; ox < ow; ++ox)
                for (int c = 0; c < g.c; ++c)
                    for (int i = 0; i < g.kh; ++i)
                        for (int j = 0; j < g.kw; ++j) {
                            const int y = oy * g.stride_h - g.pad_t + i, x = ox * g.stride_w - g.pad_l + j;
                            const bool inside = y >= 0 && y < g.h && x >= 0 && x < g.w;
                            const int kidx = (c * g.kh + i) * g.kw + j;
                            float f = 0.0f;
                            if (!inside && pm_pad) f = 1.0f;
                            if (inside && offsets) f = static_cast<float>(lp.in_offset[c] * ratio(lp, c));
                            if (f != 0.0f) t.row(oy * ow + ox) += f * lp.q.col(kidx).cast<float>().transpose();
                        }
        return t;
    }

    // Sense amps / SOT neurons replace the ADC when the layer's post ops are affine followed
    // by Sign / Sigmoid: the affine folds into per-column thresholds (and a common gain).
    // The layer must fit one row block, or its row blocks are summed as charge before the
    // one decision (periphery.accumulation.mode analog, current summation): a comparator
    // cannot add digital partial sums. Returns the last node index consumed.
    std::size_t fold_readout(LayerPlan& lp, std::size_t mvm_index, SymbolicValue& s) {
        const ReadoutKind want = cfg_.periphery.readout;
        lp.readout = want == ReadoutKind::Tdc ? ReadoutKind::Tdc : ReadoutKind::Adc;
        if (want != ReadoutKind::SenseAmp && want != ReadoutKind::SigmoidNeuron) return mvm_index;
        const int rows = phys::AnalogMacro::logical_rows(cfg_, lp.weight_bits);
        if (lp.position_bias || !lp.channel_ratio.empty()) return mvm_index;  // digital corrections / group scales
        const bool several = lp.k > rows;
        if (several) {
            const bool analog = cfg_.periphery.accumulation.mode == Accumulation::Analog &&
                                cfg_.array.summation == Summation::Current;
            if (!analog) {
                notes_.push_back("layer '" + lp.name + "': K = " + std::to_string(lp.k) + " spans " +
                                 std::to_string((lp.k + rows - 1) / rows) + " row blocks; ADC per block + digital "
                                 "accumulation (periphery.accumulation.mode analog sums them before one decision)");
                return mvm_index;
            }
        }
        std::size_t j = mvm_index + 1;
        SymbolicValue t = s;
        std::vector<TemplateOp> none;
        while (j < net_.nodes.size() && is_affine(net_.nodes[j].kind)) apply(net_.nodes[j++], t, none);
        if (j >= net_.nodes.size()) return mvm_index;
        const OpKind act = net_.nodes[j].kind;
        const bool sa = want == ReadoutKind::SenseAmp && act == OpKind::Sign;
        const bool neuron = want == ReadoutKind::SigmoidNeuron && act == OpKind::Sigmoid;
        if (!sa && !neuron) return mvm_index;
        if (neuron) {
            const float g0 = std::fabs(t.a.at(0));
            for (float a : t.a)
                if (std::fabs(std::fabs(a) - g0) > 1e-5f * g0) {
                    notes_.push_back("layer '" + lp.name + "': sigmoid gains differ per column; ADC + digital sigmoid");
                    return mvm_index;
                }
            lp.neuron_gain = g0;
            if (cfg_.periphery.neuron.model == "imac") note_imac_mapping(lp, std::min(lp.k, rows));
        }
        if (sa && zero_possible(t)) {
            // A comparator outputs +-1, but Sign(0) = 0: the digital Sign keeps the 0 level.
            notes_.push_back("layer '" + lp.name + "': the Sign input can be exactly 0; ADC + digital Sign");
            return mvm_index;
        }
        lp.threshold.assign(static_cast<std::size_t>(lp.n), 0.0f);
        for (int c = 0; c < lp.n; ++c) {
            float a = t.a[c];
            if (a < 0) {  // flip the column so the comparison direction is always >=
                lp.q.row(c) *= -1;
                a = -a;
            }
            if (a == 0.0f) lp.threshold[c] = t.b[c] >= 0 ? -1e30f : 1e30f;
            else lp.threshold[c] = -t.b[c] / a;
        }
        lp.readout = sa ? ReadoutKind::SenseAmp : ReadoutKind::SigmoidNeuron;
        lp.analog_sum = several;
        s.shape = net_.values[net_.nodes[j].output].shape;
        s.reset_affine();
        if (sa) { s.dom = Domain::Signed; s.lo = -1; s.hi = 1; }
        else { s.dom = Domain::Real; s.lo = 0; s.hi = 1; }
        return j;
    }

    // The IMAC neuron realises the layer's gain through its amplifier (periphery.neuron.amp_gain
    // 0: mapped so the slope at the bias point is the logistic's g / 4); the note states the
    // gain, and for a fixed gain the slope mismatch, and the circuit's offset from y = 0.5.
    void note_imac_mapping(const LayerPlan& lp, int rows) {
        const auto& nc = cfg_.periphery.neuron;
        const double g = lp.neuron_gain * nc.slope;
        const phys::NeuronMapping m = phys::map_imac_neuron(nc, {g, phys::line_volts_per_unit(cfg_, rows)});
        std::ostringstream o;
        o.precision(3);
        o << "layer '" << lp.name << "': IMAC neuron, amplifier gain " << m.amp_gain
          << (m.fixed ? " (fixed)" : " (mapped)") << " for logistic gain " << g << "/unit over " << rows
          << " rows: slope at the bias point " << m.circuit_slope << " vs " << m.model_slope << "/unit (ratio "
          << m.circuit_slope / m.model_slope << "), y(0) " << m.y0 << ", y = 0.5 at " << m.offset_units << " units";
        notes_.push_back(o.str());
    }

    const Network& net_;
    const Config& cfg_;
    const AnalysisOptions& opt_;
    std::vector<std::string>& notes_;
    bool input_unknown_ = false;
    // IR value -> (index of the layer whose stored output holds it, -1: network input; its
    // symbolic form as stored).
    std::map<int, std::pair<int, SymbolicValue>> stored_;
    std::size_t layer_count_ = 0;
    std::vector<Batch> calib_values_;  // every IR value on the calibration samples (lazily)
};

}  // namespace

std::vector<LayerPlan> analyse_layers(const Network& net, const Config& cfg, const AnalysisOptions& opt,
                                      std::vector<std::string>& notes) {
    return Analyser(net, cfg, opt, notes).run();
}

}  // namespace sotsim::workloads
