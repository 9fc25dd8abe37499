#include "models/config/Config.h"

namespace sotsim {

Config make_ideal(const Config& c) {
    Config i = c;
    i.device.sigma_p = 0.0;
    i.device.sigma_ap = 0.0;
    i.device.sigma_macro = 0.0;
    i.device.read_noise = 0.0;
    i.device.stuck_p_rate = 0.0;
    i.device.stuck_ap_rate = 0.0;
    i.device.tmr_v_half = 0.0;      // bias-independent (ohmic) cells
    i.device.wer_floor = 0.0;
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
