#include "models/physics/MtjDevice.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace sotsim::phys {

MtjDevice::MtjDevice(const DeviceConfig& d) : d_(d) {
    if (d.ra > 0.0 && d.diameter > 0.0) {
        r_p_ = d.ra / (M_PI * d.diameter * d.diameter / 4.0);
    } else {
        r_p_ = d.r_p;
    }
    if (!(r_p_ > 0.0)) throw std::invalid_argument("device: R_P must be positive");
    if (d.tmr < 0.0) throw std::invalid_argument("device: tmr must be >= 0");
    if (!d.level_resistances.empty()) {
        levels_ = static_cast<int>(d.level_resistances.size());
        if (levels_ < 2) throw std::invalid_argument("device: level_resistances needs >= 2 levels");
        for (int k = 1; k < levels_; ++k)
            if (!(d.level_resistances[k] > d.level_resistances[k - 1]))
                throw std::invalid_argument("device: level_resistances must be strictly ascending");
    } else {
        if (d.stack < 1) throw std::invalid_argument("device: stack must be >= 1");
        levels_ = d.stack + 1;
    }
    p_dist_ = Rng::LogNormal::of(r_p_, d_.sigma_p);
    ap_dist_ = Rng::LogNormal::of(r_ap0(), d_.sigma_ap);
    if (explicit_levels())
        for (int k = 0; k < levels_; ++k) {
            const double f = levels_ > 1 ? static_cast<double>(k) / (levels_ - 1) : 0.0;
            level_dist_.push_back(Rng::LogNormal::of(d_.level_resistances[k], d_.sigma_p + f * (d_.sigma_ap - d_.sigma_p)));
        }
}

double MtjDevice::tmr_at(double v_mtj) const {
    if (d_.tmr_v_half <= 0.0) return d_.tmr;
    const double x = v_mtj / d_.tmr_v_half;
    return d_.tmr / (1.0 + x * x);
}

double MtjDevice::level_resistance0(int k) const {
    const CellSample s = nominal(k);
    return s.r_p_part + s.r_ap_part;
}

CellSample MtjDevice::nominal(int k) const {
    if (k < 0 || k >= levels_) throw std::out_of_range("device: level " + std::to_string(k) + " out of range");
    CellSample s;
    if (explicit_levels()) {
        s.r_p_part = d_.level_resistances[k];
        return s;
    }
    s.n_ap = k;
    s.r_p_part = (d_.stack - k) * r_p_;
    s.r_ap_part = k * r_ap0();
    return s;
}

CellSample MtjDevice::sample(int k, Rng& rng, double macro_factor) const {
    if (k < 0 || k >= levels_) throw std::out_of_range("device: level " + std::to_string(k) + " out of range");
    CellSample s;
    if (explicit_levels()) {
        s.r_p_part = macro_factor * rng.lognormal(level_dist_[static_cast<std::size_t>(k)]);
        return s;
    }
    s.n_ap = k;
    for (int m = 0; m < d_.stack; ++m) {
        if (m < k)
            s.r_ap_part += macro_factor * rng.lognormal(ap_dist_);
        else
            s.r_p_part += macro_factor * rng.lognormal(p_dist_);
    }
    return s;
}

double MtjDevice::cell_resistance(const CellSample& s, double v_cell) const {
    const double r0 = s.r_p_part + s.r_ap_part + d_.r_access;
    if (d_.tmr_v_half <= 0.0 || s.n_ap == 0 || v_cell == 0.0) return r0;
    // R_ap(V) = R_ap(0) * (1 + TMR(V)) / (1 + TMR0) per AP MTJ. Fixed point on the voltage
    // across one AP MTJ; the map is a contraction (R_ap decreases with |V|, which lowers
    // its voltage share), so plain iteration converges in a few steps.
    const double scale0 = 1.0 + d_.tmr;
    double r_ap = s.r_ap_part;
    for (int it = 0; it < 100; ++it) {
        const double r_cell = s.r_p_part + r_ap + d_.r_access;
        const double v_ap1 = v_cell * (r_ap / s.n_ap) / r_cell;
        const double next = s.r_ap_part * (1.0 + tmr_at(v_ap1)) / scale0;
        if (std::abs(next - r_ap) <= 1e-13 * r_ap) {
            r_ap = next;
            break;
        }
        r_ap = next;
    }
    return s.r_p_part + r_ap + d_.r_access;
}

int MtjDevice::sample_fault(Rng& rng) const {
    if (d_.stuck_p_rate <= 0.0 && d_.stuck_ap_rate <= 0.0) return -1;
    const double u = rng.uniform();
    if (u < d_.stuck_p_rate) return 0;
    if (u < d_.stuck_p_rate + d_.stuck_ap_rate) return levels_ - 1;
    return -1;
}

}  // namespace sotsim::phys
