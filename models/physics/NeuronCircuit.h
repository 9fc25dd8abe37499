// Large-signal model of the IMAC-Sim analog neuron (zand group, spice/neuron.sp and
// spice/diffN.sp of IMAC-Sim; Amin et al., GLSVLSI 2022):
//
//   column pair --> differential amplifier --> V_a --[bias source]--> V_2 --R_in--> gate --R_fb--> out
//                   (gain A, |V_a| <= swing)        V_2 = V_a - bias         CMOS inverter gate -> out
//
// The inverter (NMOS to 0, PMOS to vdd) with the R_in / R_fb divider from V_2 to its own
// output is an inverting amplifier of closed-loop gain ~ -R_fb / R_in (= -3 for the R_AP /
// R_P MTJ pair) around the inverter's switching point, clipped by the rails: a tanh-like,
// decreasing transfer. Transistors follow the SPICE level-1 (Shichman-Hodges) square law
// with channel-length modulation, body tied to source, no subthreshold current:
//   V_ov = V_gs - V_th <= 0: I = 0;  V_ds < V_ov: I = beta V_ds (V_ov - V_ds / 2)(1 + lambda V_ds);
//   otherwise I = beta / 2 V_ov^2 (1 + lambda V_ds)   (source and drain swap when V_ds < 0).
// The output solves the KCL at the output node (the gate draws no current):
//   I_p(vdd - V_g, vdd - V_o) - I_n(V_g, V_o) - (V_o - V_2) / (R_in + R_fb) = 0,
//   V_g = (R_fb V_2 + R_in V_o) / (R_in + R_fb),
// whose left side falls strictly with V_o, so bisection on [min(0, V_2), max(vdd, V_2)]
// finds the unique root.
#pragma once

#include "models/config/Config.h"

namespace sotsim::phys {

// Drain current of a level-1 MOSFET (magnitudes: for the PMOS pass V_sg, V_sd).
double mos1_current(double beta, double vth, double lambda, double vgs, double vds);

class NeuronCircuit {
public:
    explicit NeuronCircuit(const NeuronConfig& c) : c_(c) {}
    // Inverter stage output for the divider input voltage V_2.
    double inverter_out(double v2) const;
    // Neuron output for the amplifier output V_a (V_2 = V_a - bias).
    double stage_out(double va) const { return inverter_out(va - c_.bias); }
    // Amplifier output for a differential line voltage v_d: A v_d clipped to +-swing.
    double amp_out(double vd, double gain) const;
    // dV_out / dV_a at V_a = 0 (the bias point), central difference.
    double centre_gain() const;
    const NeuronConfig& config() const { return c_; }

private:
    NeuronConfig c_;
};

}  // namespace sotsim::phys
