// Time-to-digital converter of a resistance-summation column, specified by its delay window.
//
// A column of N series cells with total resistance R discharges its sensing node with the
// delay t = R * C_col (C_col = N * array.c_cell). The counter starts at t_start and reaches
// full scale at t_full; its 2^bits codes split the window evenly:
//   LSB = (t_full - t_start) / 2^bits,  f_count = 2^bits / (t_full - t_start),
//   code = clamp(round((t - t_start) / LSB), 0, 2^bits - 1),   t^ = t_start + code LSB
// (the counter's clock phase is offset by half a count, so code k covers t_start + k LSB
// +- LSB/2 and signals on the count grid, such as integer mismatch counts of ideal cells,
// reconstruct exactly; the top half count of the window clips to the last code).
// By default the window is the nominal delay range of the block's column (design knowledge,
// never the sampled cells): t_start = the all-match (minimum) delay, t_full = the
// all-mismatch (maximum) delay of the K rows the block actually uses, the array's other
// N - K rows adding their constant matched (XNOR) or bypass delay to both ends. So more bits
// always mean finer counts over the same signal range, as in jung's 4-bit counter over
// 13 - 29 ns, and a block using 9 of 64 rows spreads its 9 mismatches over all 2^bits
// codes instead of ~2 of them. The compiler knows K (BlockSpec.rows), so the window is
// set when the block is programmed. `periphery.tdc.t_start` / `t_full` set one fixed
// window for every block instead.
// A conversion ends at t_full at the latest (the read frame must hold it); the counter
// increments `code` times, which is what its dynamic energy follows (tdc_count).
#pragma once

#include <cstddef>

#include "models/config/Config.h"

namespace sotsim::phys {

// Nominal delay range of one column under `cfg` (no variation): minimum and maximum delay
// over all cell states and inputs.
struct DelayRange {
    double t_min = 0.0, t_max = 0.0;  // s
};

class TimeToDigital {
public:
    TimeToDigital(const TdcConfig& c, const DelayRange& nominal);
    // Window from the config's explicit times or the nominal column delays of `cfg`.
    static TimeToDigital from_config(const Config& cfg);
    // Window of a block using `active_rows` (K) of the column's N = array.rows rows: the
    // explicit t_start / t_full where set, else nominal_delays(cfg, K).
    static TimeToDigital for_block(const Config& cfg, int active_rows) {
        return TimeToDigital(cfg.periphery.tdc, nominal_delays(cfg, active_rows));
    }
    // Nominal delays of a column whose block uses K rows (the N - K others are driven to
    // match, XNOR, or bypassed, OneT1Mtj): OneT1Mtj from ((N - K) r_bypass + K (r_bypass min
    // R_P)) C to ((N - K) r_bypass + K (r_bypass max R_top)) C; Xnor2T2Mtj from
    // N (R_P + r_access) C to ((N - K)(R_P + r_access) + K (R_AP + r_access)) C.
    static DelayRange nominal_delays(const Config& cfg, int active_rows);
    // The whole column (K = N).
    static DelayRange nominal_delays(const Config& cfg) { return nominal_delays(cfg, cfg.array.rows); }
    // Sensing capacitance of one column, F.
    static double column_capacitance(const Config& cfg) { return cfg.array.rows * cfg.array.c_cell; }

    int bits() const { return bits_; }
    int max_code() const { return (1 << bits_) - 1; }
    double t_start() const { return t_start_; }
    double t_full() const { return t_full_; }
    double window() const { return t_full_ - t_start_; }
    double lsb() const { return window() / (max_code() + 1.0); }
    double clock() const { return (max_code() + 1.0) / window(); }
    int code(double t) const;
    // t[i] <- reconstruct(code(t[i])) for n delays in place; returns the sum of the codes
    // (the counter's increments). Same codes as code() (nearbyint replaced by the 2^52
    // round-to-nearest-even trick, identical on the clamped range), without calls: the loop
    // vectorises. Takes delays, not resistances: a multiply fused into the subtraction
    // would move the exact ties of a digit-linear column to the other code.
    double convert_delays(double* t, std::ptrdiff_t n) const;
    double reconstruct(int code) const { return t_start_ + code * lsb(); }
    // Time of one conversion: the counter has stopped by t_full whatever the delay.
    double conversion_time() const { return t_full_; }

private:
    int bits_ = 4;
    double t_start_ = 0.0, t_full_ = 1.0;
};

}  // namespace sotsim::phys
