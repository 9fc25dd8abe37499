#include "models/physics/CycleTime.h"

#include <cmath>

#include "models/physics/Adc.h"
#include "models/physics/TimeToDigital.h"

namespace sotsim::phys {

double input_cycle_time(const Config& cfg, const BlockSpec& spec, int conversions, double t_conversion) {
    double t = cfg.periphery.t_settle;
    if (spec.input == InputEncoding::Pwm)
        t += (std::ldexp(1.0, AnalogMacro::slice_bits(spec)) - 1.0) * (1.0 / cfg.macro.clock);
    if (spec.readout == ReadoutKind::Adc) t += serial_conversions(cfg, conversions) * t_conversion;
    else if (spec.readout == ReadoutKind::Tdc) t += t_conversion;
    return t;
}

double planned_input_cycle_time(const Config& cfg, const BlockSpec& spec) {
    if (spec.readout == ReadoutKind::Adc)
        return input_cycle_time(cfg, spec, AnalogMacro::adc_conversions(cfg, spec.weight_bits, spec.cols),
                                AdcRegistry::builtin().create(cfg.periphery.adc)->conversion_time());
    if (spec.readout == ReadoutKind::Tdc)
        return input_cycle_time(cfg, spec, 0, TimeToDigital::from_config(cfg).conversion_time());
    return input_cycle_time(cfg, spec, 0, 0.0);
}

}  // namespace sotsim::phys
