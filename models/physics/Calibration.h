// Per-physical-column digital calibration (as in the 72-macro 14 nm chip, myung).
//
// After programming, `calibration_vectors` known input vectors are driven through the
// full analog path. For every physical column c and input cycle the readout gives the
// column signal S_c (digit units, after baseline removal) while the ideal value
// S*_c = sum_i b_i d_ic is known from the intended digits. A least-squares fit
//   S*_c ~ a_c S_c + k_c n_b + o_c        (n_b = number of active rows of the cycle)
// is applied digitally to every later readout. a_c absorbs the die (macro-to-macro)
// shift of the conductance step and the column ADC gain error, o_c the ADC offset, and
// k_c the shift of the cell baseline G_lo n_b that the digital baseline removal assumes
// nominal. Doing it per physical column (before the bit-slice shift-add) also removes
// column-to-column gain mismatch that a per-output fit could not.
#pragma once

#include <Eigen/Dense>

namespace sotsim::phys {

class ColumnCalibration {
public:
    // Identity for `cols` columns.
    void reset(int cols);
    bool active() const { return active_; }
    // Fit from readouts S (n x cols), ideal S* (n x cols) and active-row counts (n).
    void fit(const Eigen::MatrixXd& readout, const Eigen::MatrixXd& ideal, const Eigen::VectorXd& n_active);
    // S <- a .* S + k n_b + o (per column), in place.
    void apply(Eigen::MatrixXd& s, const Eigen::VectorXd& n_active) const;
    const Eigen::VectorXd& gain() const { return a_; }

private:
    bool active_ = false;
    Eigen::VectorXd a_, k_, o_;
};

}  // namespace sotsim::phys
