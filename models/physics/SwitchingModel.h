// Write path: switching probability, write error rate and energy of one write pulse.
//
// Two switching channels act in parallel during a pulse of width t and current I
// (i = I / Ic0), and the cell fails to switch only if neither does:
//   P_sw = 1 - (1 - P_th) (1 - P_pr)
// Thermally activated (Neel-Brown with a linearly current-lowered barrier, Koch et al.
// PRL 92, 088302 (2004)):  P_th = 1 - exp(-t / tau),  tau = tau0 exp(Delta (1 - i)) for
// i < 1 and tau = tau0 once the barrier is gone (i >= 1).
// Precessional / short-pulse (macrospin, Butler et al. IEEE Trans. Magn. 48, 4684 (2012),
// with the initial-angle distribution of a thermalised free layer), only for i > 1:
//   P_pr = exp( -(pi^2 Delta / 4) (i - 1) / (i exp(2 (i - 1) t / t_short) - 1) ),
// t_short being the characteristic (damping) time tau_D of the precessional regime.
// SOT uses the write current directly; STT (`write: stt`) drives v_write through the
// MTJ cell, so I = v_write / R_cell and the energy is v_write^2 / R_cell * t.
#pragma once

#include "models/config/Config.h"

namespace sotsim::phys {

class SwitchingModel {
public:
    explicit SwitchingModel(const DeviceConfig& d);

    double p_thermal(double current, double t) const;
    double p_precessional(double current, double t) const;
    double p_switch(double current, double t) const;
    // Write error rate per pulse, floored by `wer_floor`.
    double wer(double current, double t) const;

    // Current of one write pulse: SOT i_write; STT v_write / r_cell.
    double pulse_current(double r_cell) const;
    // Energy of one write pulse (J): SOT I^2 R_sot t, STT V^2 / R_cell t; + e_driver_write.
    double pulse_energy(double r_cell) const;
    // Write error rate of one configured pulse applied to a cell of resistance r_cell.
    double pulse_wer(double r_cell) const { return wer(pulse_current(r_cell), d_.t_pulse); }

    const DeviceConfig& config() const { return d_; }

private:
    DeviceConfig d_;
};

}  // namespace sotsim::phys
