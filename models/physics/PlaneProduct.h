// Product of a 0/1 activity plane with a constant float operand, packed once.
//
// The MVM kernel's array read is Y = B U with B (batch x rows) a plane of 0/1 row activities
// and U (rows x cols) the programmed cells in digit units, fixed between programmings. A
// general GEMM re-packs U on every call and multiplies by every zero; here U is packed once
// into column panels (kPanel columns, row-major inside a panel, zero-padded) and each
// vector's result is the sum of the rows it drives: y_b = sum over active i, in increasing
// i, of U(i, :), in float. That order is fixed per vector, so a vector's result does not
// depend on the batch it is read in, and is the same as a row-ordered multiply-add with
// the 0/1 factors (adding 0 * U(i, :) is exact). Integer-valued U (digit-linear cells)
// gives exact integer sums below 2^24.
//
// Portable: the inner loop uses Eigen's packet type of the build's ISA (SSE, AVX or
// AVX-512): a panel is 16 columns (4 or 2 packets) or, with AVX-512, 32 columns (2 packets),
// so every row offset read from a vector's list feeds at least two packet adds. Each panel
// ends with one row of -0.0f: a vector's list is padded with it up to the longest list of
// the vectors summed together (x + -0.0f == x exactly, for every x), so all their chains
// run to the same length; the vectors of a chunk are grouped by the lengths of their lists,
// so little is padded. With AVX-512 (BW, VL) the lists are built with mask compares and
// compresses; otherwise branch-free scalar code writes the same lists.
//
// The right part may instead be read as 16-bit integers (pack with a grid step, see
// fixed_grid): entries q * step with integer q <= 65535 / rows, so no sum of a plane's rows
// can overflow a 16-bit lane; a panel row then holds twice the columns in the same bytes and
// the read of that part costs half the loads and adds. Integer sums are exact in any order
// (so in every ISA and batch split); the result is (float) sum q * step, one rounding.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"
#include <cstdint>
#include <vector>

namespace sotsim::phys {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A 0/1 plane (batch x rows, every entry exactly 0 or 1) as bits, made in one pass over it:
// per vector ceil(rows / 16) 16-bit words (bit r of word w: row 16 w + r driven), one vector
// after the other (32 bytes per vector for 256 rows), and the driven rows per vector and the
// driving vectors per row. PlaneProduct builds a chunk's lists from its vectors' bytes
// instead of the column-major plane: at batch 1024 a chunk's 16 vectors are one 64-byte
// line per row, 4 KB apart (no prefetcher follows them), read from beyond L2 while the
// panels and the readout's rows compete for it; a whole-batch pass walks every row's line
// sequentially. The counts are exact integers (the macro's row sums, AnalogMacro's fill_plane).
class PlaneBits {
public:
    // Returns false when some entry of b is neither 0 nor 1 (-0 counts as 0): the bits are
    // then those of b != 0, and b is no plane (the caller's domain check names the entry).
    bool assign(const Eigen::MatrixXf& b);
    Eigen::Index vectors() const { return vectors_; }
    Eigen::Index rows() const { return rows_; }
    Eigen::Index words() const { return words_; }
    const std::uint16_t* vector(Eigen::Index v) const { return bits_.data() + v * words_; }
    const std::vector<std::int32_t>& per_vector() const { return per_vector_; }
    const std::vector<std::int32_t>& per_row() const { return per_row_; }

    // Bits of vectors [v0, v0 + nv) of a column-major plane (ld floats per row) of `rows`
    // rows: vector v0 + j at bits + j * words (words = ceil(rows / 16)); per_row (rows
    // entries, or null) gets each row's driving vectors added. Returns false when some
    // entry read is neither 0 nor 1.
    static bool fill(const float* b, Eigen::Index ld, Eigen::Index rows, Eigen::Index v0, Eigen::Index nv, std::uint16_t* bits,
                     std::int32_t* per_row);

private:
    Eigen::Index vectors_ = 0, rows_ = 0, words_ = 0;
    std::vector<std::uint16_t> bits_;
    std::vector<std::int32_t> per_vector_, per_row_;
};

class PlaneProduct {
public:
    // Columns per panel: 64 (128 with AVX-512) bytes per row, 16 (32) KB for 256 rows.
    static constexpr int kPanel = Eigen::internal::packet_traits<float>::size >= 16 ? 32 : 16;

    // Pack U = [L | R] (rows x (l + r)), each part starting a panel of its own, so either
    // part can be read alone. Replaces any earlier operand.
    // right_step > 0: every right entry is q * right_step (as fixed_grid writes them) and
    // that part is read in 16-bit integers; 0: in float like the left part.
    void pack(const Eigen::MatrixXf& left, const Eigen::MatrixXf& right, float right_step = 0.0f);
    // Rounds a nonnegative operand (rows x cols) to the grid of the integer read, when that
    // grid holds every nonzero entry within 2^-7 of its value: step = max / (65535 / rows),
    // w <- (float) q * step, q = nearest integer of w / step. Returns the step, or 0 (w left
    // as it was) when an entry is negative or not finite, the operand is all zeros, or some
    // nonzero entry would move by more than 2^-7 of itself.
    static float fixed_grid(Eigen::Ref<Eigen::MatrixXf> w);
    bool right_fixed() const { return rstep_ > 0.0f; }
    Eigen::Index rows() const { return rows_; }
    bool empty() const { return rows_ == 0; }

    // out (batch x cols, row-major) = B [L | R], B L or B R (as selected) for a plane B
    // (batch x rows) whose entries are exactly 0 or 1 (the caller guarantees it; the row
    // selection reads the entries as integers).
    void multiply(const Eigen::MatrixXf& b, bool left, bool right, RowMatrixXf& out) const { multiply(b, 0, b.rows(), left, right, out); }
    // The same for vectors [first, first + count) of b only: out is count x cols, row j the
    // result of vector first + j (a vector's result does not depend on the others read).
    void multiply(const Eigen::MatrixXf& b, Eigen::Index first, Eigen::Index count, bool left, bool right, RowMatrixXf& out) const;
    // The same read from the plane's bits (the same results, bit for bit).
    void multiply(const PlaneBits& b, Eigen::Index first, Eigen::Index count, bool left, bool right, RowMatrixXf& out) const;

private:
    // The read of `count` vectors whose bits the source gives: bits(c0, nc) returns the
    // words of vectors [c0, c0 + nc) of the call (vector c0 + j at j * words).
    template <class Bits>
    void multiply_bits(Eigen::Index count, bool left, bool right, RowMatrixXf& out, Bits&& bits) const;
    // Active-row offsets of one vector (its bits) into its list, in row order; returns the count.
    std::int32_t build_list(const std::uint16_t* bits, std::int32_t* list) const;

    Eigen::Index rows_ = 0, lcols_ = 0, rcols_ = 0, lpanels_ = 0, rpanels_ = 0;
    float rstep_ = 0.0f;   // > 0: the right part is in fixed_ (16-bit integers of this step)
    Eigen::Index lstride_ = 0;   // entries per vector list (rows_ plus room for a 16-wide store)
    std::vector<float, Eigen::aligned_allocator<float>> packed_;   // panels x (rows_ + 1) x kPanel
    // The per-call scratch (active-row lists, counts, the joint groups' interleaved lists) is
    // one set per host thread, shared by every operand (PlaneProduct.cpp): held per operand,
    // it was ~36 KB in each programmed macro of a chip (2.5 MB of first-touch pages in the
    // 72-macro demo) for a read that uses it only while it runs.
    // The right part as integers: rpanels_ x (rows_ + 1) x 2 kPanel (the padding row 0).
    std::vector<std::uint16_t, Eigen::aligned_allocator<std::uint16_t>> fixed_;
};

}  // namespace sotsim::phys
