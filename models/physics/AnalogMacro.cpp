#include "models/physics/AnalogMacro.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/physics/Adc.h"
#include "models/physics/Calibration.h"
#include "models/physics/CellWriter.h"
#include "models/physics/CrossbarArray.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/Periphery.h"
#include "models/physics/Rng.h"
#include "models/physics/WeightLayout.h"

namespace sotsim::phys {

namespace {
// One input cycle: row activity B (batch x rows; 0/1, or PWM duty in [0,1]) and the
// place value of its result.
struct Plane {
    Eigen::MatrixXd b;
    double weight;
};
}  // namespace

class AnalogMacroImpl {
public:
    AnalogMacroImpl(const Config& cfg, int macro_id)
        : cfg_(cfg.sim.ideal ? make_ideal(cfg) : cfg),
          id_(macro_id),
          dev_(cfg_.device),
          writer_(cfg_),
          sa_(cfg_.periphery.sense_amp),
          tdc_(cfg_.periphery.tdc),
          neuron_(cfg_.periphery.neuron) {
        const auto seed = cfg_.sim.seed;
        const auto id = static_cast<std::uint64_t>(macro_id);
        Rng shift = Rng::derive(seed, id, "macro_shift");
        macro_factor_ = dev_.sample_macro_factor(shift);
        d2d_key_ = Rng::derive(seed, id, "device_d2d").key();
        write_rng_ = Rng::derive(seed, id, "write");
        noise_rng_ = Rng::derive(seed, id, "read_noise");
        neuron_rng_ = Rng::derive(seed, id, "neuron_noise");
        calib_rng_ = Rng::derive(seed, id, "calibration_inputs");
        state_ = Eigen::MatrixXi::Zero(cfg_.array.rows, cfg_.array.cols);  // erased: all P
        faults_ = Eigen::MatrixXi::Constant(cfg_.array.rows, cfg_.array.cols, -1);
        if (cfg_.device.stuck_p_rate > 0.0 || cfg_.device.stuck_ap_rate > 0.0) {
            Rng fr = Rng::derive(seed, id, "stuck_faults");
            for (int i = 0; i < cfg_.array.rows; ++i)
                for (int j = 0; j < cfg_.array.cols; ++j) faults_(i, j) = dev_.sample_fault(fr);
        }
        adc_ = AdcRegistry::builtin().create(cfg_.periphery.adc);
        Rng am = Rng::derive(seed, id, "adc_mismatch");
        adc_->sample_mismatch(cfg_.array.cols, am);
        Rng so = Rng::derive(seed, id, "sense_amp_offset");
        sa_.sample_offsets(cfg_.array.cols, so);
    }

    ProgramResult program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac);
    MvmResult mvm(const Eigen::MatrixXf& x, ActionCounter& ac);
    Eigen::MatrixXi read_weights() const;

    Config cfg_;
    int id_;
    MtjDevice dev_;
    CellWriter writer_;
    SenseAmp sa_;
    TimeToDigital tdc_;
    SigmoidNeuron neuron_;
    std::unique_ptr<Adc> adc_;
    double macro_factor_ = 1.0;
    std::uint64_t d2d_key_ = 0;
    Rng write_rng_, noise_rng_, neuron_rng_, calib_rng_;
    Eigen::MatrixXi state_, faults_;

    bool programmed_ = false;
    BlockSpec spec_;
    std::unique_ptr<WeightLayout> layout_;
    std::unique_ptr<CrossbarArray> array_;
    int phys_cols_ = 0;
    Eigen::VectorXd w_colsum_;
    Eigen::MatrixXd digits_;          // intended digits (rows x physical cols)
    // Calibration capture: per-cycle column signals and active-row counts.
    bool capture_ = false;
    Eigen::MatrixXd cap_s_, cap_ideal_;
    Eigen::VectorXd cap_n_;
    ColumnCalibration calib_;
    Eigen::MatrixXd last_currents_;

private:
    void validate_spec(const Eigen::MatrixXi& w, const BlockSpec& spec) const;
    void check_inputs(const Eigen::MatrixXf& x) const;
    std::vector<Plane> planes(const Eigen::MatrixXf& x) const;
    // De-encoded analog estimate of X*W (batch x logical cols), before calibration and
    // decision; counts actions and returns the batch latency.
    Eigen::MatrixXd estimate(const Eigen::MatrixXf& x, ActionCounter& ac, double& latency, bool keep_currents);
    int digit_of_level(int lv) const;
    int level_step() const { return (dev_.levels() - 1) / (layout_->base() - 1); }
    bool current_mode() const { return cfg_.array.summation == Summation::Current; }
};

void AnalogMacroImpl::validate_spec(const Eigen::MatrixXi& w, const BlockSpec& spec) const {
    auto bad = [](const std::string& m) { throw std::invalid_argument("macro program: " + m); };
    if (spec.rows <= 0 || spec.cols <= 0) bad("block must have rows > 0 and cols > 0");
    if (w.rows() != spec.rows || w.cols() != spec.cols)
        bad("weights are " + std::to_string(w.rows()) + "x" + std::to_string(w.cols()) + " but the block spec says " +
            std::to_string(spec.rows) + "x" + std::to_string(spec.cols));
    if (spec.rows > cfg_.array.rows) bad("block has " + std::to_string(spec.rows) + " rows, array only " + std::to_string(cfg_.array.rows));
    if (spec.input_bits < 1 || spec.input_bits > 16) bad("input_bits must be in 1..16");
    const bool res = cfg_.array.summation == Summation::Resistance;
    if (res && spec.readout != ReadoutKind::Tdc) bad("resistance summation is read by the time-to-digital converter (readout tdc)");
    if (!res && spec.readout == ReadoutKind::Tdc) bad("readout tdc needs array.summation resistance");
    if (res && spec.input == InputEncoding::Pwm) bad("PWM inputs need current summation (charge integration)");
    if ((spec.readout == ReadoutKind::SenseAmp || spec.readout == ReadoutKind::SigmoidNeuron) &&
        static_cast<int>(spec.threshold.size()) != spec.cols && !spec.threshold.empty())
        bad("threshold needs one value per logical column");
}

void AnalogMacroImpl::check_inputs(const Eigen::MatrixXf& x) const {
    if (x.cols() != spec_.rows)
        throw std::invalid_argument("macro mvm: inputs have " + std::to_string(x.cols()) + " columns, block has " +
                                    std::to_string(spec_.rows) + " rows");
    const double maxv = spec_.input == InputEncoding::Binary || spec_.input == InputEncoding::Signed
                            ? 1.0
                            : static_cast<double>((1 << spec_.input_bits) - 1);
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (Eigen::Index i = 0; i < x.cols(); ++i) {
            const float v = x(b, i);
            bool ok = std::isfinite(v) && v == std::nearbyint(v);
            if (spec_.input == InputEncoding::Signed)
                ok = ok && (v == 1.0f || v == -1.0f);
            else
                ok = ok && v >= 0.0f && v <= maxv;
            if (!ok)
                throw std::invalid_argument("macro mvm: input " + std::to_string(v) + " at (" + std::to_string(b) + "," +
                                            std::to_string(i) + ") is outside the input encoding's domain");
        }
}

std::vector<Plane> AnalogMacroImpl::planes(const Eigen::MatrixXf& x) const {
    const Eigen::MatrixXd xd = x.cast<double>();
    std::vector<Plane> p;
    switch (spec_.input) {
        case InputEncoding::Binary: p.push_back({xd, 1.0}); break;
        case InputEncoding::Signed: p.push_back({((xd.array() + 1.0) * 0.5).matrix(), 2.0}); break;
        case InputEncoding::BitSerial:
            for (int k = 0; k < spec_.input_bits; ++k) {
                Eigen::MatrixXd b = xd.unaryExpr([k](double v) { return static_cast<double>((static_cast<long>(v) >> k) & 1L); });
                p.push_back({std::move(b), std::ldexp(1.0, k)});
            }
            break;
        case InputEncoding::Pwm: {
            const double slots = std::ldexp(1.0, spec_.input_bits) - 1.0;
            p.push_back({xd / slots, slots});
            break;
        }
    }
    return p;
}

int AnalogMacroImpl::digit_of_level(int lv) const {
    const int step = level_step();
    const int top = dev_.levels() - 1;
    const int d = static_cast<int>(std::lround(static_cast<double>(current_mode() ? top - lv : lv) / step));
    return std::max(0, std::min(layout_->base() - 1, d));
}

ProgramResult AnalogMacroImpl::program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac) {
    validate_spec(w, spec);
    auto layout = std::make_unique<WeightLayout>(WeightLayout::from_config(cfg_, spec.weight_bits, dev_.levels()));
    const Eigen::MatrixXi digits = layout->encode(w);
    const int pc = layout->physical_cols(spec.cols);
    if (pc > cfg_.array.cols)
        throw std::invalid_argument("macro program: block needs " + std::to_string(pc) + " physical columns, array has " +
                                    std::to_string(cfg_.array.cols));
    spec_ = spec;
    layout_ = std::move(layout);
    phys_cols_ = pc;
    const int rows = spec.rows;

    // Digits -> target device levels.
    const int step = level_step(), top = dev_.levels() - 1;
    Eigen::MatrixXi target(rows, pc);
    for (int j = 0; j < pc; ++j)
        for (int i = 0; i < rows; ++i) target(i, j) = current_mode() ? top - digits(i, j) * step : digits(i, j) * step;

    WriteOutcome wo = writer_.write(state_.topLeftCorner(rows, pc), target, write_rng_);
    state_.topLeftCorner(rows, pc) = wo.levels;
    ac.add(action::kCellWrite, static_cast<double>(wo.pulses));
    if (wo.verify_reads) ac.add(action::kVerifyRead, static_cast<double>(wo.verify_reads));
    ac.add_energy(action::kCellWriteEnergy, wo.energy_J);

    // Stuck cells keep their stuck level whatever was written.
    Eigen::MatrixXi eff = wo.levels;
    std::int64_t failures = 0;
    for (int j = 0; j < pc; ++j)
        for (int i = 0; i < rows; ++i) {
            if (faults_(i, j) >= 0) eff(i, j) = faults_(i, j);
            failures += eff(i, j) != target(i, j);
        }
    array_ = std::make_unique<CrossbarArray>(cfg_, layout_->base());
    array_->build(eff, d2d_key_, macro_factor_);

    // ADC input range.
    const auto& ac_cfg = cfg_.periphery.adc;
    double fs;
    if (ac_cfg.range == AdcRange::Fixed)
        fs = ac_cfg.full_scale > 0.0 ? ac_cfg.full_scale
                                     : cfg_.array.rows * cfg_.array.v_read / dev_.cell_resistance(dev_.nominal(0), cfg_.array.v_read);
    else
        fs = array_->max_column_current();
    if (current_mode()) adc_->set_range(0.0, fs > 0.0 ? fs : 1e-12);

    w_colsum_ = w.cast<double>().colwise().sum().transpose();
    programmed_ = true;
    calib_.reset(pc);
    digits_ = digits.cast<double>();

    ProgramResult r;
    r.time_s = wo.time_s;
    r.pulses = wo.pulses;
    r.cells = static_cast<std::int64_t>(rows) * pc;
    r.write_failures = failures;

    if (cfg_.macro.calibration && !cfg_.sim.ideal && cfg_.macro.calibration_vectors >= 2) {
        const int n = cfg_.macro.calibration_vectors;
        Eigen::MatrixXf xc(n, rows);
        const int maxv = (1 << spec.input_bits) - 1;
        // Vector b activates each row with probability p_b = (b + 1/2) / n: the active-row
        // counts n_b span the whole range, so the fitted baseline term (k n_b) is
        // interpolated, never extrapolated, for real inputs whatever their density (the
        // first layer of an MNIST network drives ~20 % of its rows, a dense layer ~50 %).
        for (int b = 0; b < n; ++b) {
            const double p_on = (b + 0.5) / n;
            for (int i = 0; i < rows; ++i) {
                const bool on = calib_rng_.uniform() < p_on;
                switch (spec.input) {
                    case InputEncoding::Binary: xc(b, i) = on ? 1.0f : 0.0f; break;
                    case InputEncoding::Signed: xc(b, i) = on ? 1.0f : -1.0f; break;
                    default:
                        xc(b, i) = on ? static_cast<float>(1 + std::min(maxv - 1, static_cast<int>(calib_rng_.uniform() * maxv))) : 0.0f;
                }
            }
        }
        double lat = 0.0;
        capture_ = true;
        cap_s_.resize(0, pc);
        cap_ideal_.resize(0, pc);
        cap_n_.resize(0);
        estimate(xc, ac, lat, false);
        capture_ = false;
        calib_.fit(cap_s_, cap_ideal_, cap_n_);
        r.time_s += lat;
    }
    return r;
}

Eigen::MatrixXd AnalogMacroImpl::estimate(const Eigen::MatrixXf& x, ActionCounter& ac, double& latency, bool keep_currents) {
    const int batch = static_cast<int>(x.rows());
    const int ncols = spec_.cols;
    const bool ideal = cfg_.sim.ideal;
    const double v = cfg_.array.v_read;
    const auto& per = cfg_.periphery;
    const bool pwm = spec_.input == InputEncoding::Pwm;
    const double slot = 1.0 / cfg_.macro.clock;
    const double pwm_window = pwm ? (std::ldexp(1.0, spec_.input_bits) - 1.0) * slot : 0.0;
    const int ref = layout_->reference_col(ncols);
    const double c_col = cfg_.array.rows * cfg_.array.c_cell;
    const Eigen::VectorXd row_g = current_mode() ? array_->conductance().rowwise().sum().eval() : Eigen::VectorXd();

    Eigen::MatrixXd y = Eigen::MatrixXd::Zero(batch, ncols);
    if (keep_currents) last_currents_ = Eigen::MatrixXd::Zero(batch, phys_cols_);
    double t_plane_total = 0.0;
    const auto ps = planes(x);
    for (const Plane& p : ps) {
        const Eigen::VectorXd in_sum = p.b.rowwise().sum();
        Eigen::MatrixXd s;  // per physical column signal, in digit units
        ac.add(action::kRowDrive, static_cast<double>((p.b.array() != 0.0).count()));
        if (current_mode()) {
            const Eigen::MatrixXd vin = v * p.b;
            Eigen::MatrixXd i = array_->currents(vin);
            if (array_->has_read_noise()) {
                const Eigen::MatrixXd sig = array_->noise_sigma(vin);
                for (Eigen::Index c = 0; c < i.cols(); ++c)
                    for (Eigen::Index b = 0; b < i.rows(); ++b) i(b, c) += sig(b, c) * noise_rng_.normal();
            }
            if (keep_currents) last_currents_ += p.weight * i;
            // Data-dependent array energy: sum V^2 G t over the window each row is driven.
            const double t_on = pwm ? pwm_window : per.t_settle;
            ac.add_energy(action::kArrayReadEnergy, v * v * t_on * (p.b * row_g).sum());
            if (spec_.readout == ReadoutKind::Adc) {
                if (!ideal) adc_->quantize(i, 0);
                ac.add(action::kAdc, static_cast<double>(batch) * phys_cols_);
            }
            Eigen::MatrixXd base(batch, phys_cols_);
            if (ref >= 0)
                base = i.col(ref).replicate(1, phys_cols_);
            else
                base = (v * array_->g_lo() * in_sum).replicate(1, phys_cols_);
            s = (i - base) / (v * array_->g_step());
        } else {
            Eigen::MatrixXd r = array_->column_resistance(p.b);
            if (array_->has_read_noise()) {
                const Eigen::MatrixXd sig = array_->noise_sigma(p.b);
                for (Eigen::Index c = 0; c < r.cols(); ++c)
                    for (Eigen::Index b = 0; b < r.rows(); ++b) r(b, c) += sig(b, c) * noise_rng_.normal();
            }
            if (keep_currents) last_currents_ += p.weight * (v / r.array()).matrix();
            // Each read charges and discharges every column capacitance once.
            ac.add_energy(action::kArrayReadEnergy, static_cast<double>(batch) * phys_cols_ * c_col * v * v);
            ac.add(action::kTdc, static_cast<double>(batch) * phys_cols_);
            const double byp = array_->r_bypass();
            const int rows = spec_.rows;
            if (!ideal) {
                // Time domain: delay t = R_col C_col, counted from the all-bypassed delay.
                const double t0 = rows * byp * c_col;
                for (Eigen::Index c = 0; c < r.cols(); ++c)
                    for (Eigen::Index b = 0; b < r.rows(); ++b)
                        r(b, c) = tdc_.reconstruct(tdc_.code(r(b, c) * c_col, t0), t0) / c_col;
            }
            Eigen::MatrixXd base = (rows * byp + (array_->r_lo() - byp) * in_sum.array()).matrix().replicate(1, phys_cols_);
            if (ref >= 0) base = r.col(ref).replicate(1, phys_cols_);
            s = (r - base) / array_->r_step();
        }
        if (capture_) {
            auto append = [](Eigen::MatrixXd& m, const Eigen::MatrixXd& add) {
                const Eigen::Index r0 = m.rows();
                m.conservativeResize(r0 + add.rows(), add.cols());
                m.bottomRows(add.rows()) = add;
            };
            append(cap_s_, s);
            append(cap_ideal_, p.b * digits_);
            const Eigen::Index n0 = cap_n_.size();
            cap_n_.conservativeResize(n0 + in_sum.size());
            cap_n_.tail(in_sum.size()) = in_sum;
        } else {
            calib_.apply(s, in_sum);
        }
        y += p.weight * layout_->combine(s, in_sum, ncols);

        // Time of this input cycle.
        double t = per.t_settle + pwm_window;
        if (spec_.readout == ReadoutKind::Adc) {
            const int n_adc = (cfg_.array.cols + per.adc.cols_per_adc - 1) / per.adc.cols_per_adc;
            const int serial = (phys_cols_ + n_adc - 1) / n_adc;
            t += serial * adc_->conversion_time();
        } else if (spec_.readout == ReadoutKind::Tdc) {
            t += tdc_.window();
        }
        t_plane_total += t;
    }
    if (spec_.input == InputEncoding::Signed) y.rowwise() -= w_colsum_.transpose();
    if (spec_.readout == ReadoutKind::SenseAmp) t_plane_total += sa_.time();
    if (spec_.readout == ReadoutKind::SigmoidNeuron) t_plane_total += neuron_.time();
    latency = batch * t_plane_total;
    return y;
}

MvmResult AnalogMacroImpl::mvm(const Eigen::MatrixXf& x, ActionCounter& ac) {
    if (!programmed_) throw std::logic_error("macro mvm: macro has not been programmed");
    check_inputs(x);
    MvmResult r;
    Eigen::MatrixXd y = estimate(x, ac, r.latency_s, true);
    const int batch = static_cast<int>(x.rows()), ncols = spec_.cols;
    auto thr = [&](int j) { return spec_.threshold.empty() ? 0.0 : static_cast<double>(spec_.threshold[j]); };
    switch (spec_.readout) {
        case ReadoutKind::Adc:
        case ReadoutKind::Tdc:
            if (cfg_.sim.ideal) y = y.array().round().matrix();
            break;
        case ReadoutKind::SenseAmp: {
            // Offset referred to integer units through the nominal per-unit column current.
            const double unit = cfg_.array.v_read * array_->g_step();
            for (int j = 0; j < ncols; ++j) {
                const double off = sa_.offset(j) / unit;
                for (int b = 0; b < batch; ++b) {
                    const double val = cfg_.sim.ideal ? std::nearbyint(y(b, j)) : y(b, j);
                    y(b, j) = sa_.decide(val, thr(j), off);
                }
            }
            ac.add(action::kSenseAmp, static_cast<double>(batch) * ncols);
            break;
        }
        case ReadoutKind::SigmoidNeuron:
            for (int j = 0; j < ncols; ++j)
                for (int b = 0; b < batch; ++b) {
                    const double val = cfg_.sim.ideal ? std::nearbyint(y(b, j)) : y(b, j);
                    y(b, j) = neuron_.eval(val, thr(j), spec_.neuron_gain, cfg_.sim.ideal ? nullptr : &neuron_rng_);
                }
            ac.add(action::kNeuron, static_cast<double>(batch) * ncols);
            break;
    }
    r.y = y.cast<float>();
    return r;
}

Eigen::MatrixXi AnalogMacroImpl::read_weights() const {
    if (!programmed_) throw std::logic_error("macro read_weights: macro has not been programmed");
    Eigen::MatrixXi d(spec_.rows, phys_cols_);
    for (int j = 0; j < phys_cols_; ++j)
        for (int i = 0; i < spec_.rows; ++i) {
            const int lv = faults_(i, j) >= 0 ? faults_(i, j) : state_(i, j);
            d(i, j) = digit_of_level(lv);
        }
    return layout_->decode(d, spec_.cols);
}

// ---- public face ----

AnalogMacro::AnalogMacro(const Config& cfg, int macro_id) : impl_(std::make_unique<AnalogMacroImpl>(cfg, macro_id)) {}
AnalogMacro::~AnalogMacro() = default;
AnalogMacro::AnalogMacro(AnalogMacro&&) noexcept = default;
AnalogMacro& AnalogMacro::operator=(AnalogMacro&&) noexcept = default;

ProgramResult AnalogMacro::program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac) {
    return impl_->program(w, spec, ac);
}
MvmResult AnalogMacro::mvm(const Eigen::MatrixXf& x, ActionCounter& ac) { return impl_->mvm(x, ac); }
Eigen::MatrixXi AnalogMacro::read_weights() const { return impl_->read_weights(); }
const Eigen::MatrixXd& AnalogMacro::last_column_currents() const { return impl_->last_currents_; }
bool AnalogMacro::programmed() const { return impl_->programmed_; }
const BlockSpec& AnalogMacro::spec() const { return impl_->spec_; }
const Config& AnalogMacro::config() const { return impl_->cfg_; }

int AnalogMacro::logical_rows(const Config& cfg, int /*weight_bits*/) { return cfg.array.rows; }

int AnalogMacro::logical_cols(const Config& cfg, int weight_bits) {
    const WeightLayout l = WeightLayout::from_config(cfg, weight_bits, MtjDevice(cfg.device).levels());
    return l.logical_cols_fitting(cfg.array.cols);
}

int AnalogMacro::physical_cols(const Config& cfg, int weight_bits, int logical_cols) {
    const WeightLayout l = WeightLayout::from_config(cfg, weight_bits, MtjDevice(cfg.device).levels());
    return l.physical_cols(logical_cols);
}

}  // namespace sotsim::phys
