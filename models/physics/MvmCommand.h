// Pure functions behind `sotsim mvm` (no I/O): raw-conductance and weights modes.
#pragma once

#include <Eigen/Dense>

#include "models/common/Actions.h"
#include "models/config/Config.h"

namespace sotsim::phys {

struct RawMvmResult {
    Eigen::MatrixXd currents;  // batch x cols, A
    Eigen::MatrixXd codes;     // batch x cols, periphery output (empty with no_periphery)
    ActionCounter actions;     // row drives, conversions, array read energy (first order, ohmic)
    double latency_s = 0.0;    // batch latency: settle + shared conversions (or TDC window) per vector
};

// Raw cells: G (rows x cols, S) and row voltages X (batch x rows, V); no mapping, no
// variation. Current summation: I = X M^T with this config's IR-drop mode (M = G^T when
// off). Resistance summation: rows with X != 0 are active (in series), the rest bypassed
// by array.r_bypass; the "current" is v_read / R_column. Codes: ADC codes over [0, max current
// with every row at v_read] (fixed range if configured) for current summation, TDC codes
// for resistance summation; exact (no ADC/TDC) when cfg.sim.ideal.
RawMvmResult raw_conductance_mvm(const Config& cfg, const Eigen::MatrixXd& g, const Eigen::MatrixXd& x, bool periphery);

struct WeightsMvmResult {
    Eigen::MatrixXd currents;  // batch x physical cols (see AnalogMacro::last_column_currents)
    Eigen::MatrixXd outputs;   // batch x logical cols after the periphery (empty with no_periphery)
    ActionCounter actions;     // program + mvm
    double latency_s = 0.0;    // mvm batch latency
    double program_time_s = 0.0;
};

// Logical weights W (rows x cols) and inputs X (batch x rows) mapped through the config:
// weight_bits from macro.weight_bits, input encoding/bits from periphery.input, readout
// from periphery.readout (tdc forced for resistance summation). With no_periphery the
// outputs are left empty.
WeightsMvmResult weights_mvm(const Config& cfg, const Eigen::MatrixXi& w, const Eigen::MatrixXf& x, bool periphery,
                             int macro_id = 0);

}  // namespace sotsim::phys
