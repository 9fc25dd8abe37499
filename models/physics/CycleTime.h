// Time of one input cycle (array read) of a weight block: the macro's timing rule, shared
// by the macro model (AnalogMacro) and the compiler's planning (input slicing vs bit-serial).
#pragma once

#include "models/config/Config.h"
#include "models/physics/AnalogMacro.h"

namespace sotsim::phys {

// Row drive and settle (periphery.t_settle), the PWM pulse window (2^slice bits - 1 slots of
// the macro clock), then the readout: `conversions` ADC conversions of `t_conversion` each,
// shared by the macro's ADCs (cols_per_adc), or one TDC window of `t_conversion`.
double input_cycle_time(const Config& cfg, const BlockSpec& spec, int conversions, double t_conversion);

// The same for planning: this config's converter, and the conversions of spec.cols logical
// columns of spec.weight_bits-bit weights (AnalogMacro::adc_conversions).
double planned_input_cycle_time(const Config& cfg, const BlockSpec& spec);

}  // namespace sotsim::phys
