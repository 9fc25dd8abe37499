#include "models/physics/SwitchingModel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sotsim::phys {

SwitchingModel::SwitchingModel(const DeviceConfig& d) : d_(d) {
    if (!(d.i_c0 > 0.0)) throw std::invalid_argument("device: i_c0 must be positive");
    if (!(d.tau0 > 0.0)) throw std::invalid_argument("device: tau0 must be positive");
    if (!(d.t_short > 0.0)) throw std::invalid_argument("device: t_short must be positive");
    if (d.delta < 0.0) throw std::invalid_argument("device: delta must be >= 0");
}

double SwitchingModel::p_thermal(double current, double t) const {
    if (t <= 0.0) return 0.0;
    const double i = std::abs(current) / d_.i_c0;
    const double tau = d_.tau0 * std::exp(d_.delta * std::max(0.0, 1.0 - i));
    return -std::expm1(-t / tau);
}

double SwitchingModel::p_precessional(double current, double t) const {
    const double i = std::abs(current) / d_.i_c0;
    if (i <= 1.0 || t <= 0.0) return 0.0;
    const double a = M_PI * M_PI * d_.delta / 4.0;
    const double x = 2.0 * (i - 1.0) * t / d_.t_short;
    // Denominator i e^x - 1 > i - 1 > 0; for huge x the exponent goes to 0 (P -> 1).
    if (x > 700.0) return 1.0;
    const double denom = i * std::exp(x) - 1.0;
    return std::exp(-a * (i - 1.0) / denom);
}

double SwitchingModel::p_switch(double current, double t) const {
    const double fail = (1.0 - p_thermal(current, t)) * (1.0 - p_precessional(current, t));
    return 1.0 - fail;
}

double SwitchingModel::wer(double current, double t) const {
    const double fail = (1.0 - p_thermal(current, t)) * (1.0 - p_precessional(current, t));
    return std::min(1.0, std::max(fail, d_.wer_floor));
}

double SwitchingModel::pulse_current(double r_cell) const {
    if (d_.write == WriteMechanism::Stt) return d_.v_write / r_cell;
    return d_.i_write;
}

double SwitchingModel::pulse_energy(double r_cell) const {
    double e;
    if (d_.write == WriteMechanism::Stt)
        e = d_.v_write * d_.v_write / r_cell * d_.t_pulse;
    else
        e = d_.i_write * d_.i_write * d_.r_sot * d_.t_pulse;
    return e + d_.e_driver_write;
}

}  // namespace sotsim::phys
