// The resistance-summation (time-domain) readout of XNOR cells, fused one vector at a time.
//
// With resistance summation a column's series resistance is r = r0 + sum_i b_i R_i (B the
// 0/1 plane of the vector, R = CrossbarArray::resistance_operand, r0 its base), the TDC
// counts its discharge delay r C, and for XNOR cells the count gives the column's
// mismatches. For every vector b of a row-major batch (one vector per row: the macro's TLM
// burst, no transpose), run() forms per column j, in one pass over the vector:
//   r_j  = r0_j + sum of R_ij over the rows i the vector drives, in increasing row order
//   t_j  = TimeToDigital::convert_delays(r_j C)  (ideal mode: the exact delay), r'_j = t_j / C
//   S_j  = ((-(r'_j - N r_match)) / dR + U_j + n_b) * 0.5    matches (U_j digits of column j)
//   y_j  = w (scale S_j - offset n_b) [- sum_i W_ij for +-1 inputs] (ideal mode: rounded)
// which are the operations, element for element, of AnalogMacro's general path (a double
// GEMM of the whole batch's plane, then passes over the batch: column_signal,
// WeightLayout::combine_into, the signed-input correction); the multiplications it pairs
// with additions are exact (powers of two, integer counts), so FMA contraction cannot move
// a bit. The one difference is the order of the sum of R: here one fixed order per vector
// (so a vector's result does not depend on its batch); Eigen's GEMM sums the rows of some
// batch positions in other orders (its kernels' blocking), ~1e-16 of the sum, while one TDC
// count is ~1e-2 of it. Speed: the sums run in registers (AVX-512: eight columns a register,
// a block of up to 64 columns in eight; a scalar kernel elsewhere and in ideal mode), and the
// conversion after the counter's one division is a lookup: the counter has max_code + 1
// outputs, so the column-signal term of each is computed once per block with the general
// path's operations. The multiplications the general path rounds on their own (the delay
// r C before the counter's subtraction: see TimeToDigital::convert_delays) must stay apart
// here too: this file is compiled without FP contraction (models/CMakeLists.txt), and the
// counter's reconstruction is taken from convert_delays itself (one table per block).
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"
#include <vector>

#include "models/config/Config.h"
#include "models/physics/TimeToDigital.h"

namespace sotsim::phys {

class CrossbarArray;
class WeightLayout;

class ResistanceReadout {
public:
    // After programming. `digit_count` = U (digits per physical column), `w_colsum` = the
    // logical weights' column sums, `tdc` the block's counter. Returns false (and stays unusable) when the block is not
    // one the fused pass covers: XNOR cells with resistance summation, one physical column
    // per logical column without a reference column, Binary or Signed inputs (one cycle).
    bool configure(const Config& cfg, InputEncoding input, const CrossbarArray& array, const WeightLayout& layout,
                   int logical_cols, const Eigen::RowVectorXd& digit_count, const Eigen::VectorXd& w_colsum,
                   const TimeToDigital& tdc);
    bool ready() const { return ready_; }
    void clear() { ready_ = false; }

    struct Counts {
        double driven = 0.0;   // rows driven, summed over the vectors
        double codes = 0.0;    // TDC codes counted, summed over the columns and vectors
    };
    // n vectors, row b at x + b * rows, into y (row b at y + b * cols); the column resistances
    // before conversion into kept (row b at kept + b * cols). Returns false, having counted
    // nothing, when an input is outside the encoding's domain (0/1, or +-1 for Signed).
    bool run(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept, bool ideal, Counts& c) const;

private:
    template <int W>
    bool run_width(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept, bool ideal,
                   Counts& c) const;
#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
    template <int NV>
    bool run_avx512(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept, Counts& c) const;
#endif

    bool ready_ = false;
    bool signed_ = false;
    int rows_ = 0, cols_ = 0, width_ = 0;   // width_: cols_ padded to the kernel's width
    double c_col_ = 0.0, n_match_ = 0.0, r_step_ = 0.0, scale_ = 1.0, offset_ = 0.0, weight_ = 1.0;
    std::vector<double> r_;         // R row-major, rows padded to width_ with zeros
    std::vector<double> base_, digits_, colsum_;   // per column, padded likewise
    // Column-signal term of each TDC code: (-(reconstruct(code) / C - N r_match)) / dR, the
    // general path's operations on the counter's (max_code + 1) possible outputs.
    std::vector<double> code_term_;
};

}  // namespace sotsim::phys
