// The differential-ADC readout of the MVM kernel, fused one vector at a time.
//
// A differential pair's converter sees I+ - I- (AnalogMacro: differential ADC). From the
// array read in digit units (float, one row per vector: D or [D | W] of
// CrossbarArray::pair_units_into, the variances W apart for PWM planes) and the vector's
// normals, run() forms for every pair p of vector b, in one pass over the vector:
//   I = u (D + sqrt(W) z)            converter input (A; the read in float, then double)
//   code -> q = Adc::quantize_row    (the ADC transfer of the + column's channel)
//   S+ = q / u,  S- = 0              column signals in digit units
//   S <- a S + k n + o               per-column calibration (when fitted; S- gets k n + o)
//   y_j += weight sum_c coef_c S_c   logical columns (WeightLayout roles, column order)
// which are the steps AnalogMacro's general path takes column by column over the whole
// batch (convert_pairs, ColumnCalibration::apply, WeightLayout::combine_into). Every vector
// is computed alone from its own row, so results do not depend on the batch.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"
#include <vector>

#include "models/physics/Adc.h"
#include "models/physics/Calibration.h"
#include "models/physics/WeightLayout.h"

namespace sotsim::phys {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class PairReadout {
public:
    // After programming (range and calibration measured): the pairs' physical columns
    // (plus[p], minus[p], as CrossbarArray::pack_pairs got them), the block's layout and
    // calibration, u = the current of one digit step (A). Returns false (and stays unusable)
    // when the layout is not one the fused pass covers: every physical column in a pair, a
    // pair's two columns in one logical column, no input-sum offset term.
    bool configure(const Adc& adc, const std::vector<int>& plus, const std::vector<int>& minus, const WeightLayout& layout,
                   int logical_cols, const ColumnCalibration& calib, double unit);
    bool ready() const { return ready_; }
    void clear() { ready_ = false; }

    // One input cycle of `batch` vectors.
    struct Cycle {
        const float* units = nullptr;    // batch rows of `ld` floats: D first (one per pair)
        Eigen::Index ld = 0;
        const float* var = nullptr;      // variances W (row b at var + b * vld), or null: no noise
        Eigen::Index vld = 0;
        const float* normals = nullptr;  // one per pair, row b at normals + b * pairs
        double weight = 1.0;             // place value of the cycle
        bool first = true;               // first cycle of the call (kept currents start here)
        bool quantize = true;            // false in ideal mode
        // A call of one cycle only (first is then also the last): when set, the converter
        // inputs in digit units (the float D + sqrt(W) z) go to row b at inputs + b * pairs
        // (b the call's vector) instead of kept, which is then weight * unit() * (double) input
        // (formed on demand: half the bytes a double current takes, 0.5 MB less written per
        // batch-1024 call, and no current at all until someone asks for it).
        float* inputs = nullptr;
        // Write the inputs past the caches (a call's inputs too large to stay in L2).
        bool stream_inputs = false;
        // A call of one cycle whose outputs are final: when set, y goes to out (column-major
        // floats, out_ld per column) as (float) (0 + value), the same values y.cast<float>()
        // of the double y would give, and y is not touched (the double y and its float copy
        // were 1.5 MB of traffic per batch-1024 call beyond the 2 MiB L2).
        float* out = nullptr;
        Eigen::Index out_ld = 0;
    };
    // y (batch x logical cols) = (first ? 0 : y) + weight * the cycle's logical columns (the
    // first cycle writes all of y: it need not be initialised); kept (batch x pairs)
    // = (first ? 0 : kept) + weight * I.
    // The cycle's rows are vectors [first, first + count) of the call (unit and normal row b
    // is vector first + b; in_sum, kept and y are indexed by the call's vector); kept (batch
    // x pairs) is sized by the caller, first is a multiple of 8 (16 with c.out: the output blocks). With
    // c.inputs / c.out set, kept / y are not used (see Cycle).
    void run(const Adc& adc, const Cycle& c, const Eigen::VectorXd& in_sum, Eigen::Index first, Eigen::Index count,
             RowMatrixXd& kept, Eigen::MatrixXd& y) const;
    Eigen::Index pairs() const { return np_; }
    double unit() const { return unit_; }

private:
    bool ready_ = false;
    Eigen::Index np_ = 0, digits_ = 1, cols_ = 0;
    double unit_ = 1.0;
    Adc::Channels ch_;
    bool calibrated_ = false;
    // Per pair, in pair order (logical column j's digits at p = j * digits + k).
    std::vector<double> a_, k_, o_, k_minus_, o_minus_, coef_plus_, coef_minus_;
    mutable std::vector<double> cur_, sp_, sm_, code_;   // one vector's work rows
    // The ADC's levels in digit units (lo + code lsb) / unit, by code: for converters of
    // fewer than kMaxTableCodes codes (others divide per element).
    static constexpr int kMaxTableCodes = 1 << 12;
    mutable std::vector<double> levels_;
    mutable std::vector<double> yblock_;          // logical columns of a block of vectors (row per vector)
};

}  // namespace sotsim::phys
