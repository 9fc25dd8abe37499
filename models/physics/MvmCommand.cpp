#include "models/physics/MvmCommand.h"

#include <cmath>

#include <stdexcept>
#include <string>

#include "models/physics/Adc.h"
#include "models/physics/AnalogMacro.h"
#include "models/physics/IrDropSolver.h"
#include "models/physics/Periphery.h"
#include "models/physics/Rng.h"
#include "models/physics/TimeToDigital.h"

namespace sotsim::phys {

RawMvmResult raw_conductance_mvm(const Config& cfg_in, const Eigen::MatrixXd& g, const Eigen::MatrixXd& x, bool periphery) {
    const Config cfg = cfg_in.sim.ideal ? make_ideal(cfg_in) : cfg_in;
    if (x.cols() != g.rows())
        throw std::invalid_argument("mvm: inputs have " + std::to_string(x.cols()) + " columns but G has " + std::to_string(g.rows()) +
                                    " rows");
    if (!g.allFinite() || (g.array() < 0.0).any()) throw std::invalid_argument("mvm: conductances must be finite and >= 0");
    if (!x.allFinite()) throw std::invalid_argument("mvm: inputs must be finite");
    RawMvmResult r;
    const double v = cfg.array.v_read;
    // What the drivers, the array and the readout did for this batch. The array energy is
    // the first-order ohmic dissipation sum_i V_i^2 sum_j G_ij over the settle window.
    const double batch = static_cast<double>(x.rows()), cols = static_cast<double>(g.cols());
    r.actions.add(action::kRowDrive, static_cast<double>((x.array() != 0.0).count()));
    r.actions.add_energy(action::kArrayReadEnergy,
                         (x.array().square().matrix() * g.rowwise().sum()).sum() * cfg.periphery.t_settle);
    r.latency_s = batch * cfg.periphery.t_settle;
    if (cfg.array.summation == Summation::Current) {
        const Eigen::MatrixXd m = cfg.array.ir_drop == IrDropMode::Exact
                                      ? ir_drop_transfer_matrix(g, cfg.array.r_wire_row, cfg.array.r_wire_col)
                                      : Eigen::MatrixXd(g.transpose());
        r.currents = x * m.transpose();
        if (periphery) {
            const auto adc_timing = AdcRegistry::builtin().create(cfg.periphery.adc);
            r.actions.add(action::kAdc, batch * cols);
            r.latency_s += batch * serial_conversions(cfg, static_cast<int>(cols)) * adc_timing->conversion_time();
            r.codes = r.currents;
            if (!cfg.sim.ideal) {
                auto adc = AdcRegistry::builtin().create(cfg.periphery.adc);
                Rng rng = Rng::derive(cfg.sim.seed, 0, "adc_mismatch");
                adc->sample_mismatch(static_cast<int>(g.cols()), rng);
                double fs = cfg.periphery.adc.range == AdcRange::Fixed && cfg.periphery.adc.full_scale > 0.0
                                ? cfg.periphery.adc.full_scale
                                : (m * Eigen::VectorXd::Constant(g.rows(), v)).maxCoeff();
                adc->set_range(0.0, fs > 0.0 ? fs : 1e-12);
                for (Eigen::Index c = 0; c < r.codes.cols(); ++c)
                    for (Eigen::Index b = 0; b < r.codes.rows(); ++b) r.codes(b, c) = adc->code(r.currents(b, c), static_cast<int>(c));
            }
        }
    } else {
        const double byp = cfg.array.r_bypass;
        const Eigen::MatrixXd rc = g.cwiseInverse();
        const Eigen::MatrixXd act = (x.array() != 0.0).cast<double>();
        Eigen::MatrixXd rcol = act * (rc.array() - byp).matrix();
        rcol.array() += byp * g.rows();
        r.currents = (v / rcol.array()).matrix();
        if (periphery) {
            const TimeToDigital tdc = TimeToDigital::from_config(cfg);
            r.actions.add(action::kTdc, batch * cols);
            r.latency_s += batch * tdc.conversion_time();
            const double c_col = TimeToDigital::column_capacitance(cfg);
            const Eigen::MatrixXd codes = rcol.unaryExpr([&](double rr) { return static_cast<double>(tdc.code(rr * c_col)); });
            r.actions.add(action::kTdcCount, codes.sum());
            r.codes = cfg.sim.ideal ? Eigen::MatrixXd(rcol * c_col) : codes;  // ideal: the exact delay, s
        }
    }
    return r;
}

WeightsMvmResult weights_mvm(const Config& cfg, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x, bool periphery, int macro_id) {
    BlockSpec s;
    s.rows = static_cast<int>(w.rows());
    s.cols = static_cast<int>(w.cols());
    s.weight_bits = cfg.macro.weight_bits;
    s.input = cfg.periphery.input.encoding;
    s.input_bits = cfg.periphery.input.bits;
    s.readout = cfg.array.summation == Summation::Resistance ? ReadoutKind::Tdc : cfg.periphery.readout;
    if (s.readout == ReadoutKind::Tdc && cfg.array.summation != Summation::Resistance) s.readout = ReadoutKind::Adc;
    if (s.readout == ReadoutKind::SenseAmp || s.readout == ReadoutKind::SigmoidNeuron) s.threshold.assign(s.cols, 0.0f);
    WeightsMvmResult r;
    AnalogMacro m(cfg, macro_id);
    const ProgramResult pr = m.program(w, s, r.actions);
    r.program_time_s = pr.time_s;
    const MvmResult mr = m.mvm(x, r.actions);
    r.latency_s = mr.latency_s;
    r.currents = m.last_column_currents();
    if (periphery) r.outputs = mr.y.cast<double>();
    return r;
}

}  // namespace sotsim::phys
