#include "models/physics/NeuronCircuit.h"

#include <algorithm>

namespace sotsim::phys {

double mos1_current(double beta, double vth, double lambda, double vgs, double vds) {
    if (vds < 0.0) return -mos1_current(beta, vth, lambda, vgs - vds, -vds);  // reverse mode
    const double vov = vgs - vth;
    if (vov <= 0.0) return 0.0;
    const double clm = 1.0 + lambda * vds;
    if (vds < vov) return beta * vds * (vov - 0.5 * vds) * clm;
    return 0.5 * beta * vov * vov * clm;
}

double NeuronCircuit::inverter_out(double v2) const {
    const double rs = c_.r_in + c_.r_fb;
    auto kcl = [&](double vo) {
        const double vg = (c_.r_fb * v2 + c_.r_in * vo) / rs;
        const double ip = mos1_current(c_.beta_p, c_.vth_p, c_.lambda, c_.vdd - vg, c_.vdd - vo);
        const double in = mos1_current(c_.beta_n, c_.vth_n, c_.lambda, vg, vo);
        return ip - in - (vo - v2) / rs;
    };
    double lo = std::min(0.0, v2), hi = std::max(c_.vdd, v2);   // kcl(lo) >= 0 >= kcl(hi)
    for (int it = 0; it < 200 && hi - lo > 1e-13; ++it) {
        const double mid = 0.5 * (lo + hi);
        (kcl(mid) > 0.0 ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

double NeuronCircuit::amp_out(double vd, double gain) const {
    return std::clamp(gain * vd, -c_.amp_swing, c_.amp_swing);
}

double NeuronCircuit::centre_gain() const {
    const double h = 1e-5;
    return (stage_out(h) - stage_out(-h)) / (2.0 * h);
}

}  // namespace sotsim::phys
