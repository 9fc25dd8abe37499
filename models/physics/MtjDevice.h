// MTJ read-path device model: resistance levels, bias-dependent TMR, variation, faults.
//
// A cell is `stack` MTJs in series (levels = stack + 1: level k has k MTJs in AP), or a
// cell with explicit `level_resistances` (ascending). The access transistor on-resistance
// `r_access` is in series with the MTJ(s). Level 0 is the lowest resistance (all P).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/config/Config.h"
#include "models/physics/Rng.h"

namespace sotsim::phys {

// One sampled cell: the zero-bias resistance of its P part and its AP part (so that the
// bias dependence of TMR can be applied to the AP MTJs only) and how many MTJs are AP.
struct CellSample {
    double r_p_part = 0.0;   // Ohm, sum of P-state MTJs (or the whole level, explicit levels)
    double r_ap_part = 0.0;  // Ohm, sum of AP-state MTJs at zero bias
    int n_ap = 0;            // MTJs in AP (bias dependence acts on these)
};

class MtjDevice {
public:
    explicit MtjDevice(const DeviceConfig& d);

    int levels() const { return levels_; }
    double r_p() const { return r_p_; }                 // nominal single-MTJ R_P, Ohm
    double r_ap0() const { return r_p_ * (1.0 + d_.tmr); }  // nominal single-MTJ R_AP at 0 V
    double r_access() const { return d_.r_access; }
    bool explicit_levels() const { return !d_.level_resistances.empty(); }

    // TMR(V) = TMR0 / (1 + (V/V_h)^2) for the voltage V across one MTJ (V_h = tmr_v_half;
    // bias independent when V_h = 0).
    double tmr_at(double v_mtj) const;

    // Nominal MTJ-only resistance of level k at zero bias.
    double level_resistance0(int k) const;
    // Nominal zero-bias sample of level k (no variation).
    CellSample nominal(int k) const;
    // d2d-varied samples of n cells, cell c at level levels[c] drawing from its own stream
    // Rng(keys[c]): each MTJ of a stack lognormal with cv sigma_p / sigma_ap (explicit
    // levels: one lognormal with cv interpolated linearly in k between the two), MTJ m of the
    // stack AP for m < k, taking the stream's m-th standard normal (Box-Muller pairs, cos
    // variate first; a degenerate cv = 0 MTJ is its mean and takes none); every MTJ
    // resistance is multiplied by `macro_factor` (die-to-die shift). Computed in blocks with
    // the vector exp / log / sin / cos of VectorMath.h: a cell's sample is the same whatever
    // n and its place among the cells.
    void sample_cells(const int* levels, const std::uint64_t* keys, std::size_t n, double macro_factor,
                      CellSample* out) const;
    // One lognormal die shift factor with mean 1 and cv sigma_macro.
    double sample_macro_factor(Rng& rng) const { return rng.lognormal_mean_cv(1.0, d_.sigma_macro); }

    // Cell resistance (MTJs + access transistor) with `v_cell` across the whole cell. With
    // bias-dependent TMR this solves the fixed point v_mtj = v_cell * R_ap1(v_mtj) / R_cell.
    double cell_resistance(const CellSample& s, double v_cell) const;
    // The cell's resistance at zero bias, (P part + AP part) + access: cell_resistance of a
    // bias-independent cell, inline for the array's per-cell loop (the same operations).
    double zero_bias_resistance(const CellSample& s) const { return s.r_p_part + s.r_ap_part + d_.r_access; }

    // Stuck-at fault draw: -1 none, 0 stuck at level 0 (all P), levels-1 stuck at all AP.
    int sample_fault(Rng& rng) const;

    const DeviceConfig& config() const { return d_; }

private:
    int mtjs_per_cell() const { return explicit_levels() ? 1 : d_.stack; }

    DeviceConfig d_;
    double r_p_ = 0.0;
    int levels_ = 2;
    // d2d distributions of sample(): one P and one AP MTJ, or one per explicit level.
    Rng::LogNormal p_dist_, ap_dist_;
    std::vector<Rng::LogNormal> level_dist_;
    // The d2d distribution of MTJ t of a level-k cell at [k * mtjs_per_cell() + t], and
    // whether any of them is degenerate (cv = 0: no draw).
    std::vector<Rng::LogNormal> mtj_dist_;
    bool any_degenerate_ = false;
};

}  // namespace sotsim::phys
