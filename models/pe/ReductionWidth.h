// Width of a processing element's partial-sum reduction (plain C++, no SystemC).
//
// A layer whose weight matrix spans `blocks` row blocks leaves one partial sum per block
// and output column in the macros' output codes; the PE adder tree adds them into its
// output registers. The adders need as many bits as the sum can take:
//
//   converter bound:  readout bits + slice shifts + ceil(log2(blocks)) + 1 sign bit, where
//                     slice shifts = (input_bits - slice bits) for inputs driven over
//                     several cycles (bit-serial: 1 bit per cycle; PWM wider than the DAC:
//                     input_slice_bits per cycle; the cycles' codes are shift-added)
//                     + (digits - 1) * log2(base) for
//                     weights split over several columns (models/physics/WeightLayout.h);
//   value bound:      ceil(log2(rows * max|x| * max|w| + 1)) + 1 sign bit, the exact range
//                     of an integer dot product over all `rows` of the layer.
//
// The width is the smaller of the two: a 5-bit ADC can never produce more than its codes
// allow, and a binary layer never needs more than its dot product can reach.
#pragma once

#include <algorithm>
#include <cmath>

#include "models/config/Config.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/WeightLayout.h"

namespace sotsim::pe {

struct ReductionShape {
    int rows = 1;                    // logical rows of the whole reduction (layer K)
    int blocks = 1;                  // row blocks whose partial sums are added
    int weight_bits = 1;
    int input_bits = 1;
    int input_slice_bits = 0;        // Pwm: bits per pulse (0: all of input_bits)
    InputEncoding input = InputEncoding::Binary;
    ReadoutKind readout = ReadoutKind::Adc;
};

inline int ceil_log2(double v) { return v <= 1.0 ? 0 : static_cast<int>(std::ceil(std::log2(v) - 1e-12)); }

// Bits one macro output code carries before any reduction (readout + slice shifts).
inline int macro_output_bits(const Config& cfg, const ReductionShape& s) {
    int readout = 1;
    switch (s.readout) {
        case ReadoutKind::Adc: readout = cfg.periphery.adc.bits; break;
        case ReadoutKind::Tdc: readout = cfg.periphery.tdc.bits; break;
        case ReadoutKind::SenseAmp:
        case ReadoutKind::SigmoidNeuron: readout = 1; break;
    }
    int shifts = 0;
    if (s.input == InputEncoding::BitSerial) shifts = std::max(0, s.input_bits - 1);
    if (s.input == InputEncoding::Pwm && s.input_slice_bits > 0) shifts = std::max(0, s.input_bits - s.input_slice_bits);
    const phys::WeightLayout layout =
        phys::WeightLayout::from_config(cfg, s.weight_bits, phys::MtjDevice(cfg.device).levels());
    if (layout.digits() > 1) shifts += (layout.digits() - 1) * ceil_log2(layout.base());
    return readout + shifts;
}

inline int reduction_bits(const Config& cfg, const ReductionShape& s) {
    const int conv = macro_output_bits(cfg, s) + ceil_log2(s.blocks) + 1;
    const bool multi_level_input = s.input == InputEncoding::BitSerial || s.input == InputEncoding::Pwm;
    const double xmax = multi_level_input ? std::ldexp(1.0, s.input_bits) - 1.0 : 1.0;
    const double wmax = s.weight_bits <= 1 ? 1.0 : std::ldexp(1.0, s.weight_bits - 1) - 1.0;
    const int exact = ceil_log2(static_cast<double>(s.rows) * xmax * wmax + 1.0) + 1;
    return std::min(conv, exact);
}

}  // namespace sotsim::pe
