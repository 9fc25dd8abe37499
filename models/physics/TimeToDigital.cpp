#include "models/physics/TimeToDigital.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/physics/MtjDevice.h"

namespace sotsim::phys {

TimeToDigital::TimeToDigital(const TdcConfig& c, const DelayRange& nominal) : bits_(c.bits) {
    if (c.bits < 1 || c.bits > 24) throw std::invalid_argument("tdc: bits must be in 1..24");
    t_start_ = c.t_start > 0.0 ? c.t_start : nominal.t_min;
    t_full_ = c.t_full > 0.0 ? c.t_full : nominal.t_max;
    if (!(t_full_ > t_start_)) throw std::invalid_argument("tdc: the delay window needs t_full > t_start");
}

TimeToDigital TimeToDigital::from_config(const Config& cfg) { return TimeToDigital(cfg.periphery.tdc, nominal_delays(cfg)); }

DelayRange TimeToDigital::nominal_delays(const Config& cfg, int active_rows) {
    if (active_rows < 1 || active_rows > cfg.array.rows)
        throw std::invalid_argument("tdc: a block uses 1.." + std::to_string(cfg.array.rows) + " rows, not " + std::to_string(active_rows));
    const MtjDevice dev(cfg.device);
    const double k = active_rows, idle = cfg.array.rows - active_rows, c = column_capacitance(cfg);
    const double r_lo = dev.level_resistance0(0), r_hi = dev.level_resistance0(dev.levels() - 1);
    DelayRange d;
    if (cfg.array.cell == CellKind::Xnor2T2Mtj) {
        const double r_match = r_lo + cfg.device.r_access;
        d.t_min = (idle + k) * r_match * c;
        d.t_max = (idle * r_match + k * (r_hi + cfg.device.r_access)) * c;
    } else {
        const double r_idle = idle * cfg.array.r_bypass;
        d.t_min = (r_idle + k * std::min(cfg.array.r_bypass, r_lo)) * c;
        d.t_max = (r_idle + k * std::max(cfg.array.r_bypass, r_hi)) * c;
    }
    return d;
}

int TimeToDigital::code(double t) const {
    const double v = std::nearbyint((t - t_start_) / lsb());
    if (!(v > 0.0)) return 0;  // also NaN
    return v >= max_code() ? max_code() : static_cast<int>(v);
}

double TimeToDigital::convert_delays(double* t, std::ptrdiff_t n) const {
    const double l = lsb(), t0 = t_start_, top = static_cast<double>(max_code());
    constexpr double kRound = 0x1.0p52;
    long long counts = 0;   // integer sum: exact and vectorisable
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const double v = (t[i] - t0) / l;
        const double q = v >= 0.0 ? (v + kRound) - kRound : 0.0;   // NaN -> 0
        const double code = q >= top ? top : q;
        counts += static_cast<long long>(code);
        t[i] = t0 + code * l;
    }
    return static_cast<double>(counts);
}

}  // namespace sotsim::phys
