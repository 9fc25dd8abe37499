#include "models/physics/ResistanceReadout.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "models/physics/CrossbarArray.h"
#include "models/physics/TdcQuotient.h"
#include "models/physics/WeightLayout.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace sotsim::phys {

namespace {
constexpr int kLane = 8;       // doubles per kernel step (one AVX-512 register)
constexpr int kMaxWidth = 64;  // widest block of the fixed-width kernels; wider: the generic one

// Bits of the rows a vector drives (input 1) into mask (one bit per row, 64 rows a word);
// false when an input is neither 1 nor `off` (0, or -1 for +-1 inputs).
bool drive_mask(const float* x, int rows, float off, std::uint64_t* mask) {
    bool ok = true;
    for (int w = 0; w * 64 < rows; ++w) {
        const int i0 = w * 64, i1 = std::min(rows, i0 + 64);
        std::uint64_t on = 0, bad = 0;
        int i = i0;
#if defined(__AVX512F__)
        const __m512 one = _mm512_set1_ps(1.0f), other = _mm512_set1_ps(off);
        for (; i + 16 <= i1; i += 16) {
            const __m512 v = _mm512_loadu_ps(x + i);
            const std::uint64_t m1 = _mm512_cmp_ps_mask(v, one, _CMP_EQ_OQ);
            const std::uint64_t m0 = _mm512_cmp_ps_mask(v, other, _CMP_EQ_OQ);
            on |= m1 << (i - i0);
            bad |= (~(m1 | m0) & 0xffffull) << (i - i0);
        }
#endif
        for (; i < i1; ++i) {
            const std::uint64_t b = 1ull << (i - i0);
            on |= x[i] == 1.0f ? b : 0;
            bad |= (x[i] == 1.0f || x[i] == off) ? 0 : b;
        }
        mask[w] = on;
        ok &= bad == 0;
    }
    return ok;
}
}  // namespace

bool ResistanceReadout::configure(const Config& cfg, InputEncoding input, const CrossbarArray& array,
                                  const WeightLayout& layout, int logical_cols, const Eigen::RowVectorXd& digit_count,
                                  const Eigen::VectorXd& w_colsum, const TimeToDigital& tdc) {
    ready_ = false;
    const Eigen::MatrixXd& r = array.resistance_operand();
    if (cfg.array.summation != Summation::Resistance || !array.xnor() || layout.per_logical() != 1 ||
        layout.has_reference() || (input != InputEncoding::Binary && input != InputEncoding::Signed) ||
        r.cols() != logical_cols || digit_count.size() != logical_cols || w_colsum.size() != logical_cols ||
        array.resistance_base().size() != logical_cols || logical_cols < 1)
        return false;
    rows_ = static_cast<int>(r.rows());
    cols_ = logical_cols;
    width_ = cols_ <= kMaxWidth ? (cols_ + kLane - 1) / kLane * kLane : cols_;
    signed_ = input == InputEncoding::Signed;
    weight_ = signed_ ? 2.0 : 1.0;   // the plane of +-1 inputs is (x + 1) / 2: y = 2 (B W) - sum W
    c_col_ = TimeToDigital::column_capacitance(cfg);
    n_match_ = cfg.array.rows * array.r_match();
    r_step_ = array.r_step();
    scale_ = layout.scale();
    offset_ = layout.offset();
    const auto w = static_cast<std::size_t>(width_);
    r_.assign(static_cast<std::size_t>(rows_) * w, 0.0);
    for (int i = 0; i < rows_; ++i)
        for (int j = 0; j < cols_; ++j) r_[static_cast<std::size_t>(i) * w + static_cast<std::size_t>(j)] = r(i, j);
    auto padded = [w](const double* p, int n) {
        std::vector<double> v(w, 0.0);
        std::copy(p, p + n, v.begin());
        return v;
    };
    base_ = padded(array.resistance_base().data(), cols_);
    digits_ = padded(digit_count.data(), cols_);
    colsum_ = padded(w_colsum.data(), cols_);
    // The counter's reconstructed delay of every code, by convert_delays itself (a delay at a
    // code's centre converts to that code), then the general path's column_signal steps.
    const int top = tdc.max_code();
    std::vector<double> t(static_cast<std::size_t>(top) + 1);
    for (int k = 0; k <= top; ++k) t[static_cast<std::size_t>(k)] = tdc.t_start() + k * tdc.lsb();
    tdc.convert_delays(t.data(), static_cast<std::ptrdiff_t>(t.size()));
    code_term_.assign(std::max<std::size_t>(t.size(), 16), 0.0);   // >= 16: two registers of the lookup
    for (std::size_t k = 0; k < t.size(); ++k) code_term_[k] = (-(t[k] / c_col_ - n_match_)) / r_step_;
    ready_ = true;
    return true;
}

template <int W>
bool ResistanceReadout::run_width(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept,
                                  bool ideal, Counts& c) const {
    const int nc = cols_, width = W > 0 ? W : width_;
    const float off = signed_ ? -1.0f : 0.0f;
    const double t0 = tdc.t_start(), l = tdc.lsb(), top = static_cast<double>(tdc.max_code());
    constexpr double kRound = 0x1.0p52;   // convert_delays' round-to-nearest-even
    const int words = (rows_ + 63) / 64;
    std::vector<std::uint64_t> mask(static_cast<std::size_t>(words));
    alignas(64) double acc[W > 0 ? W : 1];
    std::vector<double> acc_dyn(W > 0 ? 0 : static_cast<std::size_t>(width));
    double* a = W > 0 ? acc : acc_dyn.data();
    long long driven = 0, codes = 0;
    for (Eigen::Index b = 0; b < n; ++b) {
        if (!drive_mask(x + b * rows_, rows_, off, mask.data())) return false;
        // r = sum of the driven rows of R, in increasing row order, then the base.
        for (int j = 0; j < width; ++j) a[j] = 0.0;
        int na = 0;
        for (int wd = 0; wd < words; ++wd)
            for (std::uint64_t m = mask[static_cast<std::size_t>(wd)]; m != 0; m &= m - 1) {
                const int i = wd * 64 + __builtin_ctzll(m);
                const double* row = r_.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(width);
                for (int j = 0; j < width; ++j) a[j] += row[j];
                ++na;
            }
        driven += na;
        const double in = static_cast<double>(na);
        double* kb = kept + b * nc;
        float* yb = y + b * nc;
        for (int j = 0; j < nc; ++j) {
            const double r = a[j] + base_[static_cast<std::size_t>(j)];
            kb[j] = r;
            // The counter (convert_delays' operations on the rounded delay r C).
            const double d = r * c_col_;
            const double v = (d - t0) / l;
            const double q = v >= 0.0 ? (v + kRound) - kRound : 0.0;   // NaN -> 0
            const double code = q >= top ? top : q;
            codes += static_cast<long long>(code);
            const double term = ideal ? (-(r - n_match_)) / r_step_ : code_term_[static_cast<std::size_t>(code)];
            double s = (term + digits_[static_cast<std::size_t>(j)]) + in;
            s = s * 0.5;
            double yp = 0.0 + scale_ * s;
            if (offset_ != 0.0) yp = yp - offset_ * in;
            double out = 0.0 + weight_ * yp;
            if (signed_) out = out - colsum_[static_cast<std::size_t>(j)];
            if (ideal) out = std::round(out);
            yb[j] = static_cast<float>(out);
        }
    }
    c.driven += static_cast<double>(driven);
    c.codes += static_cast<double>(codes);
    return true;
}

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
// The same operations as run_width, eight columns per register: NV registers hold a vector's
// sums (its block's columns padded to 8 NV), so the rows are added without a store. Not in
// ideal mode (its rounding is the scalar kernel's std::round).
template <int NV>
bool ResistanceReadout::run_avx512(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept,
                                   Counts& c) const {
    constexpr int W = NV * kLane;
    const int nc = cols_;
    const float off = signed_ ? -1.0f : 0.0f;
    const __m512d t0 = _mm512_set1_pd(tdc.t_start()), l = _mm512_set1_pd(tdc.lsb());
    const __m512d top = _mm512_set1_pd(static_cast<double>(tdc.max_code())), zero = _mm512_setzero_pd();
    const __m512d ccol = _mm512_set1_pd(c_col_), half = _mm512_set1_pd(0.5);
    const __m512d scale = _mm512_set1_pd(scale_), offset = _mm512_set1_pd(offset_), weight = _mm512_set1_pd(weight_);
    const bool small_table = tdc.max_code() < 16;   // codes index two registers of terms
    const __m512d inv_l = _mm512_set1_pd(1.0 / tdc.lsb());
    const bool exact_div = tdc_quotient_needs_division(tdc.max_code());
    const __m512d tlo = _mm512_loadu_pd(code_term_.data()), thi = _mm512_loadu_pd(code_term_.data() + 8);
    const int words = (rows_ + 63) / 64;
    std::uint64_t mask_small[4];
    std::vector<std::uint64_t> mask_big(words > 4 ? static_cast<std::size_t>(words) : 0);
    std::uint64_t* mask = words > 4 ? mask_big.data() : mask_small;
    __m512i codes = _mm512_setzero_si512();
    long long driven = 0;
    // Column signals and outputs of vector b from its sums (NV registers) and its driven rows.
    auto finish = [&](const __m512d* acc, int na, Eigen::Index b) {
        const __m512d in = _mm512_set1_pd(static_cast<double>(na));
        double* kb = kept + b * nc;
        float* yb = y + b * nc;
        for (int v = 0; v < NV; ++v) {
            const int lanes = std::min(kLane, nc - v * kLane);
            const __mmask8 keep = static_cast<__mmask8>((1u << lanes) - 1u);
            const __m512d r = _mm512_add_pd(acc[v], _mm512_loadu_pd(base_.data() + v * kLane));
            _mm512_mask_storeu_pd(kb + v * kLane, keep, r);
            const __m512d d = _mm512_mul_pd(r, ccol);
            const __m512d q = tdc_rounded_quotient(_mm512_sub_pd(d, t0), l, inv_l, exact_div);
            const __m512d code = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(q, top, _CMP_GE_OQ), q, top);
            const __m512i k = _mm512_maskz_mov_epi64(keep, _mm512_cvttpd_epi64(code));
            codes = _mm512_add_epi64(codes, k);
            const __m512d term = small_table ? _mm512_permutex2var_pd(tlo, k, thi)
                                             : _mm512_i64gather_pd(k, code_term_.data(), 8);
            __m512d s = _mm512_add_pd(_mm512_add_pd(term, _mm512_loadu_pd(digits_.data() + v * kLane)), in);
            s = _mm512_mul_pd(s, half);
            __m512d yp = _mm512_add_pd(zero, _mm512_mul_pd(scale, s));
            if (offset_ != 0.0) yp = _mm512_sub_pd(yp, _mm512_mul_pd(offset, in));
            __m512d out = _mm512_add_pd(zero, _mm512_mul_pd(weight, yp));
            if (signed_) out = _mm512_sub_pd(out, _mm512_loadu_pd(colsum_.data() + v * kLane));
            _mm256_mask_storeu_ps(yb + v * kLane, keep, _mm512_cvtpd_ps(out));
        }
    };
    // G vectors through their driven rows together: one vector's NV chains of additions
    // would wait on the adder's latency (NV < 8 chains of a 4-cycle add), so each step adds
    // the next driven row of every vector of the group, in increasing row order per vector;
    // a vector whose rows are done adds a row of zeros (r + 0.0 == r: the same sums as
    // stopping, whatever the others' counts).
    constexpr int G = NV <= 1 ? 8 : NV <= 2 ? 4 : NV <= 4 ? 2 : 1;
    alignas(64) static constexpr double kZeros[W] = {};
    Eigen::Index b = 0;
    // (G == 1, or masks of more than 256 rows: one vector at a time, below.)
    for (; G > 1 && words <= 4 && b + G <= n; b += G) {
        std::uint64_t m[G][4];
        for (int g = 0; g < G; ++g)
            if (!drive_mask(x + (b + g) * rows_, rows_, off, m[g])) return false;
        __m512d acc[G][NV];
        for (int g = 0; g < G; ++g)
            for (int v = 0; v < NV; ++v) acc[g][v] = zero;
        int na[G] = {};
        for (int wd = 0; wd < words; ++wd) {
            std::uint64_t left[G];
            int steps = 0;
            for (int g = 0; g < G; ++g) {
                left[g] = m[g][wd];
                const int k = __builtin_popcountll(left[g]);
                na[g] += k;
                steps = std::max(steps, k);
            }
            const double* block = r_.data() + static_cast<std::size_t>(wd) * 64 * W;
            for (int s = 0; s < steps; ++s) {
                const double* row[G];
                for (int g = 0; g < G; ++g) {
                    row[g] = left[g] != 0 ? block + static_cast<std::size_t>(__builtin_ctzll(left[g])) * W : kZeros;
                    left[g] &= left[g] - 1;
                }
                for (int g = 0; g < G; ++g)
                    for (int v = 0; v < NV; ++v) acc[g][v] = _mm512_add_pd(acc[g][v], _mm512_loadu_pd(row[g] + v * kLane));
            }
        }
        for (int g = 0; g < G; ++g) {
            driven += na[g];
            __m512d sums[NV];   // a copy: acc's address stays untaken, in registers
            for (int v = 0; v < NV; ++v) sums[v] = acc[g][v];
            finish(sums, na[g], b + g);
        }
    }
    for (; b < n; ++b) {
        if (!drive_mask(x + b * rows_, rows_, off, mask)) return false;
        __m512d acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = zero;
        int na = 0;
        for (int wd = 0; wd < words; ++wd)
            for (std::uint64_t m = mask[wd]; m != 0; m &= m - 1) {
                const double* row = r_.data() + static_cast<std::size_t>(wd * 64 + __builtin_ctzll(m)) * W;
                for (int v = 0; v < NV; ++v) acc[v] = _mm512_add_pd(acc[v], _mm512_loadu_pd(row + v * kLane));
                ++na;
            }
        driven += na;
        __m512d sums[NV];
        for (int v = 0; v < NV; ++v) sums[v] = acc[v];
        finish(sums, na, b);
    }
    c.driven += static_cast<double>(driven);
    c.codes += static_cast<double>(_mm512_reduce_add_epi64(codes));
    return true;
}
#endif

bool ResistanceReadout::run(const TimeToDigital& tdc, const float* x, Eigen::Index n, float* y, double* kept, bool ideal,
                            Counts& c) const {
    Counts k;
    bool ok = false;
#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
    if (!ideal && width_ <= kMaxWidth) {
        switch (width_ / kLane) {
            case 1: ok = run_avx512<1>(tdc, x, n, y, kept, k); break;
            case 2: ok = run_avx512<2>(tdc, x, n, y, kept, k); break;
            case 3: ok = run_avx512<3>(tdc, x, n, y, kept, k); break;
            case 4: ok = run_avx512<4>(tdc, x, n, y, kept, k); break;
            case 5: ok = run_avx512<5>(tdc, x, n, y, kept, k); break;
            case 6: ok = run_avx512<6>(tdc, x, n, y, kept, k); break;
            case 7: ok = run_avx512<7>(tdc, x, n, y, kept, k); break;
            default: ok = run_avx512<8>(tdc, x, n, y, kept, k); break;
        }
        if (ok) c = k;
        return ok;
    }
#endif
    switch (width_) {
        case 8: ok = run_width<8>(tdc, x, n, y, kept, ideal, k); break;
        case 16: ok = run_width<16>(tdc, x, n, y, kept, ideal, k); break;
        case 24: ok = run_width<24>(tdc, x, n, y, kept, ideal, k); break;
        case 32: ok = run_width<32>(tdc, x, n, y, kept, ideal, k); break;
        case 40: ok = run_width<40>(tdc, x, n, y, kept, ideal, k); break;
        case 48: ok = run_width<48>(tdc, x, n, y, kept, ideal, k); break;
        case 56: ok = run_width<56>(tdc, x, n, y, kept, ideal, k); break;
        case 64: ok = run_width<64>(tdc, x, n, y, kept, ideal, k); break;
        default: ok = run_width<0>(tdc, x, n, y, kept, ideal, k); break;
    }
    if (ok) c = k;
    return ok;
}

}  // namespace sotsim::phys
