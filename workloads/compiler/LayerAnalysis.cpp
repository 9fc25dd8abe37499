#include "workloads/compiler/LayerAnalysis.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/physics/AnalogMacro.h"
#include "workloads/compiler/WeightQuantizer.h"
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
        case Domain::UInt: return bits_for_levels(std::max(1, s.levels));
        case Domain::Real: return 32;
    }
    return 32;
}

class Analyser {
public:
    Analyser(const Network& net, const Config& cfg, std::vector<std::string>& notes)
        : net_(net), cfg_(cfg), notes_(notes) {}

    std::vector<LayerPlan> run() {
        check_linear();
        SymbolicValue s;
        s.shape = net_.input_shape();
        s.reset_affine();
        // Dataset inputs are normalised images with values in [0, 1] (docs/workloads.md).
        s.dom = Domain::Real;
        s.lo = 0.0;
        s.hi = 1.0;
        std::vector<TemplateOp> ops;
        std::vector<LayerPlan> plans;
        for (std::size_t i = 0; i < net_.nodes.size(); ++i) {
            const Node& n = net_.nodes[i];
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
            plans.push_back(std::move(lp));
        }
        if (plans.empty())
            throw WorkloadError(net_.source, "the model has no Gemm/MatMul/Conv layer to map onto the arrays");
        materialize(s, ops);
        finish_layer(plans.back(), s, std::move(ops));
        return plans;
    }

private:
    [[noreturn]] void fail(const Node& n, const std::string& msg) const {
        throw WorkloadError(net_.source, "node '" + n.name + "' (" + op_name(n.kind) + "): " + msg);
    }

    // The compiler maps chains: every node reads the previous node's output.
    void check_linear() const {
        int prev = net_.input;
        for (const Node& n : net_.nodes) {
            if (n.kind == OpKind::Add)
                fail(n, "adding two computed tensors (residual connection) is not supported by the compiler");
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
        op.bits = domain_bits(s);
        return op;
    }

    void materialize(SymbolicValue& s, std::vector<TemplateOp>& ops) const {
        if (s.identity()) return;
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
                materialize(s, ops);
                if (s.dom == Domain::Signed) { s.dom = Domain::UInt; s.levels = 1; }
                s.lo = std::max(s.lo, 0.0);
                s.hi = std::max(s.hi, 0.0);
                emit_act(s, ops, ActKind::Relu);
                return;
            }
            case OpKind::Sign:
                materialize(s, ops);
                s.dom = Domain::Signed; s.lo = -1; s.hi = 1;
                emit_act(s, ops, ActKind::Sign);
                return;
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
                materialize(s, ops);
                const double lo = std::max<double>(s.lo, n.clip.min), hi = std::min<double>(s.hi, n.clip.max);
                const bool keeps_domain = (s.dom == Domain::Signed && n.clip.min <= -1 && n.clip.max >= 1) ||
                                          (s.dom == Domain::UInt && n.clip.min <= 0 && n.clip.max >= s.levels);
                if (!keeps_domain) s.dom = Domain::Real;
                s.lo = lo;
                s.hi = hi;
                emit_act(s, ops, ActKind::Clip, n.clip.min, n.clip.max);
                return;
            }
            case OpKind::Round: {
                materialize(s, ops);
                if (std::isfinite(s.lo) && std::isfinite(s.hi) && s.lo > -0.5) {
                    s.dom = Domain::UInt;
                    s.levels = static_cast<int>(std::nearbyint(s.hi));
                    s.lo = 0;
                    s.hi = s.levels;
                } else {
                    s.dom = Domain::Real;
                }
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
                if (!max) s.dom = Domain::Real;  // averages leave the integer grid
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
            default: fail(n, "not supported by the compiler here");
        }
    }

    // Make the current value an integer-grid MVM input; the scale stays in `s.a`.
    void make_mvm_input(SymbolicValue& s, std::vector<TemplateOp>& ops, LayerPlan& lp, const Node& mvm,
                        bool first_layer) {
        if (s.pos_major) {
            s.pos_major = false;
            ops.push_back(layout_op(TemplateOp::Kind::ToFlat, s));
        }
        const bool scalar = s.scalar_affine();
        const float a0 = s.a.at(0), b0 = s.b.at(0);
        if (s.dom == Domain::Signed && scalar && b0 == 0.0f && a0 > 0.0f) {
            lp.input = InputEncoding::Signed;
            lp.input_bits = 1;
        } else if (s.dom == Domain::UInt && scalar && b0 == 0.0f && a0 > 0.0f) {
            set_uint_encoding(lp, s.levels);
        } else {
            double lo, hi;
            s.affine_bounds(lo, hi);
            if (!std::isfinite(lo) || !std::isfinite(hi))
                fail(mvm, "the input of this layer is unbounded (e.g. ReLU without Clip); export the model with "
                          "explicit activation quantization (Sign, or Clip -> Mul -> Round -> Div)");
            materialize(s, ops);
            const int bits = cfg_.periphery.input.bits;
            if (lo >= 0.0) {
                const int L = (1 << bits) - 1;
                s.dom = Domain::UInt;
                s.levels = L;
                s.lo = 0;
                s.hi = L;
                emit_act(s, ops, ActKind::Quantize, 0.0f, static_cast<float>(hi), L);
                s.a.assign(s.a.size(), static_cast<float>(hi) / static_cast<float>(L));
                set_uint_encoding(lp, L);
                lp.inserted_before = {{OpKind::Clip, static_cast<float>(hi)}, {OpKind::DivConst, static_cast<float>(hi)},
                                      {OpKind::MulConst, static_cast<float>(L)}, {OpKind::Round, 0},
                                      {OpKind::DivConst, static_cast<float>(L)}, {OpKind::MulConst, static_cast<float>(hi)}};
                std::ostringstream os;
                os << "layer '" << mvm.name << "': " << (first_layer ? "network input" : "input")
                   << " in [0, " << hi << "] quantized to " << bits << " bit(s) (periphery.input.bits)";
                notes_.push_back(os.str());
            } else if (bits == 1) {
                s.dom = Domain::Signed;
                s.lo = -1;
                s.hi = 1;
                emit_act(s, ops, ActKind::Sign);
                lp.input = InputEncoding::Signed;
                lp.input_bits = 1;
                lp.inserted_before = {{OpKind::Sign, 0}};
                notes_.push_back("layer '" + mvm.name + "': signed input binarized with Sign (periphery.input.bits = 1)");
            } else {
                fail(mvm, "signed multi-bit inputs are not supported; quantize activations to unsigned levels");
            }
        }
        lp.in_bits = domain_bits(s);
    }

    void set_uint_encoding(LayerPlan& lp, int levels) const {
        lp.input_bits = bits_for_levels(levels);
        if (levels == 1) lp.input = InputEncoding::Binary;
        else lp.input = cfg_.periphery.input.encoding == InputEncoding::Pwm ? InputEncoding::Pwm : InputEncoding::BitSerial;
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
        const QuantizedWeights qw = quantize_weights(w, cfg_.macro.weight_bits);
        lp.q = qw.q;
        lp.weight_scale = qw.scale;
        lp.weight_bits = qw.bits;
        lp.weights_on_grid = qw.on_grid;
        if (!qw.on_grid) {
            std::ostringstream os;
            os << "layer '" << n.name << "': weights are on no quantization grid; post-training quantized to "
               << qw.bits << " bit(s) (max error " << qw.max_rel_error * 100 << " % of max |w|)";
            notes_.push_back(os.str());
        }
        if (lp.conv && lp.input == InputEncoding::Signed &&
            (lp.geom.pad_t || lp.geom.pad_l || lp.geom.pad_b || lp.geom.pad_r)) {
            // A +-1 driver has no zero level: padded rows are driven as -1 and their
            // contribution is added back digitally, per output position.
            lp.pad_value = -1.0f;
            lp.position_bias = true;
        }
        // Output state: y = (sx * s_w) * acc + bias, per output channel.
        s.shape = net_.values[n.output].shape;
        s.pos_major = lp.conv;
        s.reset_affine();
        for (int c = 0; c < lp.n; ++c) {
            s.a[c] = sx * qw.scale;
            s.b[c] = bias[c];
        }
        s.dom = Domain::Real;
        s.lo = -std::numeric_limits<double>::infinity();
        s.hi = std::numeric_limits<double>::infinity();
        if (lp.position_bias) {
            TemplateOp op = layout_op(TemplateOp::Kind::PositionBias, s);
            op.table = position_bias_table(lp);
            lp.post.push_back(std::move(op));
        }
    }

    Eigen::MatrixXf position_bias_table(const LayerPlan& lp) const {
        const ConvGeom& g = lp.geom;
        const int ow = g.out_w();
        Eigen::MatrixXf t = Eigen::MatrixXf::Zero(lp.p, lp.n);
        for (int oy = 0; oy < g.out_h(); ++oy)
            for (int ox = 0; ox < ow; ++ox)
                for (int c = 0; c < g.c; ++c)
                    for (int i = 0; i < g.kh; ++i)
                        for (int j = 0; j < g.kw; ++j) {
                            const int y = oy * g.stride_h - g.pad_t + i, x = ox * g.stride_w - g.pad_l + j;
                            if (y >= 0 && y < g.h && x >= 0 && x < g.w) continue;
                            const int kidx = (c * g.kh + i) * g.kw + j;
                            t.row(oy * ow + ox) += lp.q.col(kidx).cast<float>().transpose();
                        }
        return t;
    }

    // Sense amps / SOT neurons replace the ADC when the layer is one row block and its
    // post ops are affine followed by Sign / Sigmoid: the affine folds into per-column
    // thresholds (and a common gain). Returns the last node index consumed.
    std::size_t fold_readout(LayerPlan& lp, std::size_t mvm_index, SymbolicValue& s) {
        const ReadoutKind want = cfg_.periphery.readout;
        lp.readout = want == ReadoutKind::Tdc ? ReadoutKind::Tdc : ReadoutKind::Adc;
        if (want != ReadoutKind::SenseAmp && want != ReadoutKind::SigmoidNeuron) return mvm_index;
        const int rows = phys::AnalogMacro::logical_rows(cfg_, lp.weight_bits);
        if (lp.k > rows || lp.position_bias) return mvm_index;
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
        s.shape = net_.values[net_.nodes[j].output].shape;
        s.reset_affine();
        if (sa) { s.dom = Domain::Signed; s.lo = -1; s.hi = 1; }
        else { s.dom = Domain::Real; s.lo = 0; s.hi = 1; }
        return j;
    }

    const Network& net_;
    const Config& cfg_;
    std::vector<std::string>& notes_;
};

}  // namespace

std::vector<LayerPlan> analyse_layers(const Network& net, const Config& cfg, std::vector<std::string>& notes) {
    return Analyser(net, cfg, notes).run();
}

}  // namespace sotsim::workloads
