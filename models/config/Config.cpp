#include "models/config/Config.h"

namespace sotsim {

DeviceConfig make_ideal(const DeviceConfig& d) {
    DeviceConfig i = d;
    i.sigma_p = 0.0;
    i.sigma_ap = 0.0;
    i.sigma_macro = 0.0;
    i.read_noise = 0.0;
    i.stuck_p_rate = 0.0;
    i.stuck_ap_rate = 0.0;
    i.tmr_v_half = 0.0;      // bias-independent (ohmic) cells
    i.wer_floor = 0.0;
    return i;
}

Config make_ideal(const Config& c) {
    Config i = c;
    i.device = make_ideal(c.device);
    i.array.ir_drop = IrDropMode::Off;
    i.periphery.adc.offset_sigma = 0.0;
    i.periphery.adc.gain_sigma = 0.0;
    i.periphery.adc.inl = 0.0;
    i.periphery.sense_amp.offset_sigma = 0.0;
    i.periphery.neuron.noise = 0.0;
    i.sim.ideal = true;               // readout is exact: the physics core skips quantization error
    return i;
}

}  // namespace sotsim
