// The jung-like XNOR test column shared by the readout and XNOR-offset tests (one copy):
// 64 x 64 complementary (2T2MTJ) bit cells summed in series (resistance summation),
// 13 kOhm R_P with TMR 100 % (26 kOhm R_AP), 0.244 fF per cell, read by a time-to-digital
// converter; reliable SOT writes, no calibration. The cells' d2d spread is the caller's
// (0 by default: the ideal column of the analytic transfer tests).
#pragma once

#include "models/physics/AnalogMacro.h"

namespace sotsim::phys::testdata {

inline Config jung_xnor_column(int tdc_bits, double sigma_p = 0.0, double sigma_ap = 0.0) {
    Config c;
    c.array.rows = 64;
    c.array.cols = 64;
    c.array.summation = Summation::Resistance;
    c.array.cell = CellKind::Xnor2T2Mtj;
    c.array.weight_encoding = WeightEncoding::Offset;
    c.array.c_cell = 0.244e-15;
    c.device.r_p = 13e3;
    c.device.tmr = 1.0;
    c.device.stack = 1;
    c.device.sigma_p = sigma_p;
    c.device.sigma_ap = sigma_ap;
    c.device.write = WriteMechanism::Sot;
    c.device.i_write = 600e-6;  // reliable writes
    c.periphery.readout = ReadoutKind::Tdc;
    c.periphery.tdc.bits = tdc_bits;
    c.macro.calibration = false;
    return c;
}

// A block of 1-bit weights read through the TDC.
inline BlockSpec tdc_block(int rows, int cols, InputEncoding in = InputEncoding::Signed) {
    BlockSpec s;
    s.rows = rows;
    s.cols = cols;
    s.weight_bits = 1;
    s.input = in;
    s.readout = ReadoutKind::Tdc;
    return s;
}

}  // namespace sotsim::phys::testdata
