// Per-physical-column digital calibration (as in the 72-macro 14 nm chip, myung).
//
// After programming, known input vectors are driven through the full analog path. For
// every physical column c and input cycle the readout gives the column signal S_c (digit
// units, after the digital baseline removal) while the ideal value S*_c = sum_i b_i d_ic
// is known from the intended digits. The readout is modelled as
//   S_c = (1 + t1) S*_c + t2 n_b + t3 + e        (n_b = active rows of the cycle)
// and the inverse S* = (S - t2 n_b - t3) / (1 + t1) is applied to every later readout.
//
// The deviations t = (t1, t2, t3) are NOT free: they come from a few physical sources
// whose size the configuration states, each acting on t along a known direction:
//   die shift (all MTJ resistances x m): gain and baseline move together, t2 ~ G_lo/dG t1;
//   ADC gain error g: multiplies the whole converter input S* + kappa n_b -> (1, kappa, 0);
//   ADC offset / INL: t3;  d2d column means: small independent t1 / t2;  level
//   non-linearity of multi-level stacks: a known deterministic bend.
// The fit is the Bayesian (MAP) estimate of t under the Gaussian prior t = L z, z ~ N(0, I)
// (L: 3 x K loadings x sigmas), i.e. ridge regression toward the identity with the prior
// width the physics gives. A free three-parameter least-squares fit is ill-conditioned
// (S* and n_b are nearly collinear within one column: S* ~ n_b x the column's fraction of
// non-zero digits) and its noise made readouts worse than no calibration; with no variation
// configured the prior is zero and the calibration is exactly the identity.
#pragma once

#include <Eigen/Dense>

#include "models/config/Config.h"

namespace sotsim::phys {

// What the calibration needs to know about the readout path of a programmed block (all in
// digit units of one physical column: signal / (v_read g_step), or / r_step for
// resistance summation).
struct ReadoutGeometry {
    int base = 2;                // digit base of the weight layout
    int rows = 1;                // rows of the block (cells averaged in a column)
    bool reference = false;      // baseline removed with a converted reference column
    bool converter = false;      // ADC (current) or TDC (resistance) quantises the columns
    // Converter input x = S + kappa n_b (non-reference layouts) lies in [lo, hi]; samples
    // at an end code carry no linear information and are left out of the fit.
    double kappa = 0.0, lo = 0.0, hi = 0.0, lsb = 0.0;
    // Per-column shift of the converter input (empty: none): x = S + kappa n_b + shift_c.
    // XNOR cells: the counter measures mismatches m = n_b + U_c - 2 S (U_c stored digits of
    // column c), so x = -m / 2 with kappa = -1/2 and shift_c = -U_c / 2.
    Eigen::VectorXd shift;
};

// Prior loadings (3 x K; rows: gain deviation t1, per-active-row baseline t2, offset t3)
// of the physical sources of column deviation configured in `cfg` (device sigmas, die shift,
// ADC gain/offset/INL, multi-level non-linearity, IR drop).
Eigen::MatrixXd calibration_prior(const Config& cfg, const ReadoutGeometry& geo);

class ColumnCalibration {
public:
    // Identity for `cols` columns.
    void reset(int cols);
    bool active() const { return active_; }
    // MAP fit from readouts S (n x cols), ideal S* (n x cols), active-row counts (n) and
    // the prior loadings of `calibration_prior`.
    void fit(const Eigen::MatrixXd& readout, const Eigen::MatrixXd& ideal, const Eigen::VectorXd& n_active,
             const Eigen::MatrixXd& prior, const ReadoutGeometry& geo);
    // S <- a .* S + k n_b + o (per column), in place.
    void apply(Eigen::MatrixXd& s, const Eigen::VectorXd& n_active) const;
    const Eigen::VectorXd& gain() const { return a_; }
    const Eigen::VectorXd& baseline() const { return k_; }
    const Eigen::VectorXd& offset() const { return o_; }
    // Pooled per-sample residual variance the last fit weighed the prior against.
    double noise_variance() const { return noise_var_; }

private:
    bool active_ = false;
    double noise_var_ = 0.0;
    Eigen::VectorXd a_, k_, o_;
};

}  // namespace sotsim::phys
