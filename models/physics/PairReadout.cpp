#include "models/physics/PairReadout.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

// AVX-512 F and DQ (the double <-> int64 conversions); other builds keep the portable loops.
#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define SOTSIM_PAIR_AVX512 1
#endif

namespace sotsim::phys {

namespace {

using PacketD = Eigen::internal::packet_traits<double>::type;
constexpr int kPd = Eigen::internal::packet_traits<double>::size;

// out[k] = levels[code[k]] for n codes (integer-valued doubles in [0, nlev)); levels holds at
// least max(nlev, 32) entries. A scalar table read per element costs about what the
// division it replaces does (~0.7 ns here), so with AVX-512 up to 32 levels sit in
// registers and are picked by permutes (more levels: a gather).
void read_levels(const double* levels, int nlev, const double* code, Eigen::Index n, double* out) {
    Eigen::Index k = 0;
#ifdef SOTSIM_PAIR_AVX512
    if (nlev <= 32) {
        const __m512d t0 = _mm512_loadu_pd(levels), t1 = _mm512_loadu_pd(levels + 8);
        const __m512d t2 = _mm512_loadu_pd(levels + 16), t3 = _mm512_loadu_pd(levels + 24);
        const __m512i upper = _mm512_set1_epi64(16);
        for (; k + 8 <= n; k += 8) {
            const __m512i ix = _mm512_cvttpd_epi64(_mm512_loadu_pd(code + k));
            const __m512d a = _mm512_permutex2var_pd(t0, ix, t1), b = _mm512_permutex2var_pd(t2, ix, t3);
            _mm512_storeu_pd(out + k, _mm512_mask_blend_pd(_mm512_test_epi64_mask(ix, upper), a, b));
        }
    } else {
        for (; k + 8 <= n; k += 8)
            _mm512_storeu_pd(out + k, _mm512_i32gather_pd(_mm512_cvttpd_epi32(_mm512_loadu_pd(code + k)), levels, 8));
    }
#endif
    for (; k < n; ++k) out[k] = levels[static_cast<int>(code[k])];
}

#ifdef SOTSIM_PAIR_AVX512
// The calibrated one-digit readout of a vector after its codes, in one pass (it was three:
// the level reads, the calibration, the logical columns): per pair
//   s = (a levels[code] + k n) + o,  m = k- n + o-,  y = w (c+ s + c- m),
// with the operations GCC makes of those loops' expressions (it contracts a s' + k n to
// fma(a, s', k n) and c+ s + c- m to fma(c+, s, c- m)), so the same values, bit for bit
// (the portable build keeps the loops). nlev <= 32 levels, read by permutes as in
// read_levels. Whole packets with plain loads and stores: the codes were just stored by
// Adc::codes_row and the outputs are read back by the block transposition, and a masked
// load or store is not forwarded to or from the store buffer (each waited for the store to
// reach L1); only the last, partial packet is masked.
template <bool Masked>
inline void levels_combine_packet(const __m512d (&t)[4], Eigen::Index k, __mmask8 mk, __m512d codes, const double* ca,
                                  const double* ck, const double* co, const double* ckm, const double* com, const double* cp,
                                  const double* cm, __m512d nv, __m512d wv, double* yr) {
    auto load = [&](const double* p) { return Masked ? _mm512_maskz_loadu_pd(mk, p + k) : _mm512_loadu_pd(p + k); };
    const __m512i ix = _mm512_cvttpd_epi64(codes);
    const __m512d lv = _mm512_mask_blend_pd(_mm512_test_epi64_mask(ix, _mm512_set1_epi64(16)), _mm512_permutex2var_pd(t[0], ix, t[1]),
                                            _mm512_permutex2var_pd(t[2], ix, t[3]));
    const __m512d sp = _mm512_add_pd(_mm512_fmadd_pd(load(ca), lv, _mm512_mul_pd(load(ck), nv)), load(co));
    const __m512d sm = _mm512_fmadd_pd(load(ckm), nv, load(com));
    const __m512d y = _mm512_mul_pd(wv, _mm512_fmadd_pd(load(cp), sp, _mm512_mul_pd(load(cm), sm)));
    if (Masked)
        _mm512_mask_storeu_pd(yr + k, mk, y);
    else
        _mm512_storeu_pd(yr + k, y);
}

void levels_combine(const double* levels, const double* code, Eigen::Index n, const double* ca, const double* ck,
                    const double* co, const double* ckm, const double* com, const double* cp, const double* cm, double nsum,
                    double w, double* yr) {
    const __m512d t[4] = {_mm512_loadu_pd(levels), _mm512_loadu_pd(levels + 8), _mm512_loadu_pd(levels + 16),
                          _mm512_loadu_pd(levels + 24)};
    const __m512d nv = _mm512_set1_pd(nsum), wv = _mm512_set1_pd(w);
    Eigen::Index k = 0;
    for (; k + 8 <= n; k += 8) levels_combine_packet<false>(t, k, 0xff, _mm512_loadu_pd(code + k), ca, ck, co, ckm, com, cp, cm, nv, wv, yr);
    if (k < n) {
        const auto mk = static_cast<__mmask8>((1u << (n - k)) - 1u);
        levels_combine_packet<true>(t, k, mk, _mm512_maskz_loadu_pd(mk, code + k), ca, ck, co, ckm, com, cp, cm, nv, wv, yr);
    }
}

// The calibrated one-digit readout of one noisy vector of a one-cycle call, from the read to
// the logical columns in one pass over its pairs, 16 at a time (it was three passes, with
// the currents and the codes stored and read back: the input loop or stream_inputs,
// Adc::codes_row, levels_combine): the converter input in float (kept: streamed or stored),
// the current u (double) input, the code as codes_row's transfer without INL computes it
// (the operations of transfer_codes in Adc.cpp, in the same order, no FMA), then the level
// and the combine of levels_combine. A codes_row chunk (Adc::kCodeChunk pairs) holding any
// value near a rounding boundary is done again as before: its currents formed and converted
// by Adc::codes_range (the exact transfer for that chunk, as codes_row does), then
// levels_combine. So every code, level and output is the three passes' bit for bit.
// np a multiple of 16 (and of the chunk, or its last chunk shorter); the caller checks the
// ADC has no INL and at most 32 levels.
struct FusedRow {
    const Adc* adc;
    const Adc::Channels* ch;
    const double *levels, *ca, *ck, *co, *ckm, *com, *cp, *cm;
    double u, w;
    double* cur;    // np doubles of scratch (the currents of a redone chunk)
    double* code;   // np doubles of scratch (its codes)
};

void fused_row(const FusedRow& f, const float* sig, const float* var, const float* z, Eigen::Index np, float* ki, bool stream,
               double nsum, double* yr) {
    const double* levels = f.levels;
    const __m512d t[4] = {_mm512_loadu_pd(levels), _mm512_loadu_pd(levels + 8), _mm512_loadu_pd(levels + 16),
                          _mm512_loadu_pd(levels + 24)};
    const __m512d nv = _mm512_set1_pd(nsum), wv = _mm512_set1_pd(f.w), uv = _mm512_set1_pd(f.u);
    const Adc& adc = *f.adc;
    const __m512d lov = _mm512_set1_pd(adc.lo()), rlv = _mm512_set1_pd(1.0 / adc.lsb()), topv = _mm512_set1_pd(static_cast<double>(adc.max_code()));
    const __m512d round = _mm512_set1_pd(0x1.0p52), zero = _mm512_setzero_pd(), half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0);
    const __m512d margin = _mm512_set1_pd(0x1.0p-40);
    const double* g = f.ch->gain.data();
    const double* o = f.ch->offset.data();
    auto input16 = [&](Eigen::Index p) {
        const __m512 v = _mm512_loadu_ps(var + p);
        const __m512 sd = _mm512_maskz_sqrt_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLT_UQ), v);
        return _mm512_fmadd_ps(sd, _mm512_loadu_ps(z + p), _mm512_loadu_ps(sig + p));
    };
    auto currents = [&](__m512 in, __m512d& c0, __m512d& c1) {
        c0 = _mm512_mul_pd(uv, _mm512_cvtps_pd(_mm512_castps512_ps256(in)));
        c1 = _mm512_mul_pd(uv, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(in), 1))));
    };
    for (Eigen::Index k0 = 0; k0 < np; k0 += Adc::kCodeChunk) {
        const Eigen::Index k1 = std::min(np, k0 + Adc::kCodeChunk);
        __mmask8 near = 0;
        for (Eigen::Index p = k0; p < k1; p += 16) {
            const __m512 in = input16(p);
            if (stream)
                _mm512_stream_ps(ki + p, in);
            else
                _mm512_storeu_ps(ki + p, in);
            __m512d c[2];
            currents(in, c[0], c[1]);
            for (int h = 0; h < 2; ++h) {
                const Eigen::Index k = p + 8 * h;
                // transfer_codes: q = g (x - lo) (1 / l), v = q + o, r = nearest of v (v >= 0)
                // or 0, near = v >= 0 and 0.5 - |v - r| <= 2^-40 (|q| + |v| + 1), code = min(r, top).
                const __m512d q = _mm512_mul_pd(_mm512_mul_pd(_mm512_loadu_pd(g + k), _mm512_sub_pd(c[h], lov)), rlv);
                const __m512d v = _mm512_add_pd(q, _mm512_loadu_pd(o + k));
                const __mmask8 pos = _mm512_cmp_pd_mask(v, zero, _CMP_GE_OQ);
                const __m512d r = _mm512_maskz_sub_pd(pos, _mm512_maskz_add_pd(pos, v, round), round);
                const __m512d slack = _mm512_sub_pd(half, _mm512_abs_pd(_mm512_sub_pd(v, r)));
                const __m512d bound = _mm512_mul_pd(margin, _mm512_add_pd(_mm512_add_pd(_mm512_abs_pd(q), _mm512_abs_pd(v)), one));
                near |= _mm512_mask_cmp_pd_mask(pos, slack, bound, _CMP_LE_OQ);
                const __m512d codes = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(r, topv, _CMP_GE_OQ), r, topv);
                levels_combine_packet<false>(t, k, 0xff, codes, f.ca, f.ck, f.co, f.ckm, f.com, f.cp, f.cm, nv, wv, yr);
            }
        }
        if (near) {
            // The chunk as codes_row converts it (then by the exact transfer).
            for (Eigen::Index p = k0; p < k1; p += 16) {
                __m512d c0, c1;
                currents(input16(p), c0, c1);
                _mm512_storeu_pd(f.cur + p, c0);
                _mm512_storeu_pd(f.cur + p + 8, c1);
            }
            adc.codes_range(f.cur, *f.ch, k0, k1 - k0, f.code);
            levels_combine(levels, f.code + k0, k1 - k0, f.ca + k0, f.ck + k0, f.co + k0, f.ckm + k0, f.com + k0, f.cp + k0, f.cm + k0,
                           nsum, f.w, yr + k0);
        }
    }
}
#endif

#ifdef SOTSIM_PAIR_AVX512
// in = sig + sqrt(max(var, 0)) z (the square root of a negative variance read as 0, of a NaN
// kept NaN: std::max's order), cur = u (double) in, for the whole packets of 16 of n; ki
// (64-byte aligned) written by non-temporal stores (run() fences them before it returns).
void stream_inputs(const float* sig, const float* var, const float* z, Eigen::Index n, double u, double* cur, float* ki) {
    const __m512d uv = _mm512_set1_pd(u);
    for (Eigen::Index p = 0; p + 16 <= n; p += 16) {
        const __m512 v = _mm512_loadu_ps(var + p);
        const __m512 sd = _mm512_maskz_sqrt_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLT_UQ), v);
        const __m512 in = _mm512_fmadd_ps(sd, _mm512_loadu_ps(z + p), _mm512_loadu_ps(sig + p));
        _mm512_storeu_pd(cur + p, _mm512_mul_pd(uv, _mm512_cvtps_pd(_mm512_castps512_ps256(in))));
        _mm512_storeu_pd(cur + p + 8, _mm512_mul_pd(uv, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(in), 1)))));
        _mm512_stream_ps(ki + p, in);
    }
}
#endif

// o[0..kPd) = (float) v, rounded to nearest as static_cast<float> does.
inline void store_floats(const PacketD& v, float* o) {
#ifdef SOTSIM_PAIR_AVX512
    static_assert(kPd == 8, "an AVX-512 double packet is 8 values");
    _mm256_storeu_ps(o, _mm512_cvtpd_ps(v));
#else
    alignas(64) double t[kPd];
    Eigen::internal::pstore(t, v);
    for (int i = 0; i < kPd; ++i) o[i] = static_cast<float>(t[i]);
#endif
}

// A converter input: the read's signal plus sigma z. With AVX-512 (which has FMA) as one fused
// multiply-add, written out: stream_inputs computes it so, and which of the two a vector
// takes depends on its row's alignment and the call's size, so the scalar loops must give the
// same bits without relying on the compiler's contraction (-ffp-contract; GCC's and clang's
// defaults contract this expression to the same fma, so the values are unchanged).
inline float noisy_input(float sig, float sd, float z) {
#ifdef SOTSIM_PAIR_AVX512
    return std::fma(sd, z, sig);
#else
    return sig + sd * z;
#endif
}

}  // namespace

bool PairReadout::configure(const Adc& adc, const std::vector<int>& plus, const std::vector<int>& minus, const WeightLayout& layout,
                            int logical_cols, const ColumnCalibration& calib, double unit) {
    ready_ = false;
    const std::vector<ColumnRole> roles = layout.roles(logical_cols);
    const auto np = static_cast<Eigen::Index>(plus.size());
    const Eigen::Index d = layout.digits();
    if (layout.offset() != 0.0 || plus.size() != minus.size() || 2 * np != static_cast<Eigen::Index>(roles.size()) ||
        np != logical_cols * d)
        return false;
    coef_plus_.assign(static_cast<size_t>(np), 0.0);
    coef_minus_.assign(static_cast<size_t>(np), 0.0);
    for (Eigen::Index p = 0; p < np; ++p) {
        const auto a = static_cast<size_t>(plus[static_cast<size_t>(p)]), b = static_cast<size_t>(minus[static_cast<size_t>(p)]);
        // Pair p must be digit p % d of logical column p / d, its + column before its - column
        // (the order the general path sums a logical column's physical columns in).
        if (a >= roles.size() || b >= roles.size() || roles[a].logical != p / d || roles[b].logical != p / d || a >= b) return false;
        coef_plus_[static_cast<size_t>(p)] = layout.scale() * roles[a].sign * roles[a].place;
        coef_minus_[static_cast<size_t>(p)] = layout.scale() * roles[b].sign * roles[b].place;
    }
    np_ = np;
    digits_ = d;
    cols_ = logical_cols;
    unit_ = unit;
    ch_ = adc.channels(plus);
    calibrated_ = calib.active() && calib.gain().size() == static_cast<Eigen::Index>(roles.size());
    a_.assign(static_cast<size_t>(np), 1.0);
    k_.assign(static_cast<size_t>(np), 0.0);
    o_.assign(static_cast<size_t>(np), 0.0);
    k_minus_.assign(static_cast<size_t>(np), 0.0);
    o_minus_.assign(static_cast<size_t>(np), 0.0);
    if (calibrated_)
        for (Eigen::Index p = 0; p < np; ++p) {
            const Eigen::Index a = plus[static_cast<size_t>(p)], b = minus[static_cast<size_t>(p)];
            const auto q = static_cast<size_t>(p);
            a_[q] = calib.gain()(a);
            k_[q] = calib.baseline()(a);
            o_[q] = calib.offset()(a);
            k_minus_[q] = calib.baseline()(b);
            o_minus_[q] = calib.offset()(b);
        }
    cur_.resize(static_cast<size_t>(np));
    sp_.resize(static_cast<size_t>(np));
    sm_.resize(static_cast<size_t>(np));
    code_.resize(static_cast<size_t>(np));
    yblock_.resize(static_cast<size_t>(2 * kPd * logical_cols));
    ready_ = true;
    return true;
}

void PairReadout::run(const Adc& adc, const Cycle& c, const Eigen::VectorXd& in_sum, Eigen::Index first, Eigen::Index count,
                      RowMatrixXd& kept, Eigen::MatrixXd& y) const {
    const Eigen::Index np = np_;
    if (first < 0 || first % (c.out ? 16 : 8) != 0 || (!c.inputs && (kept.cols() != np || first + count > kept.rows())) ||
        (!c.out && first + count > y.rows()) || (c.out && first + count > c.out_ld) || ((c.inputs || c.out) && !c.first))
        throw std::logic_error("pair readout: vector range outside the kept currents / outputs");
    // Local restrict pointers: the loops below vectorise along the pairs.
    double* __restrict cur = cur_.data();
    double* __restrict sp = sp_.data();
    double* __restrict sm = sm_.data();
    const double* __restrict ca = a_.data();
    const double* __restrict ck = k_.data();
    const double* __restrict co = o_.data();
    const double* __restrict ckm = k_minus_.data();
    const double* __restrict com = o_minus_.data();
    const double* __restrict cp = coef_plus_.data();
    const double* __restrict cm = coef_minus_.data();
    const double u = unit_, w = c.weight;
    // A converted pair's signal in digit units is one of the ADC's levels, (lo + code lsb) / u:
    // the levels are divided once per call (the same operations per level as per element),
    // so a conversion is a table read instead of a division (~8x a multiply on some cores).
    const double* levels = nullptr;
    int nlev = 0;
    double* __restrict code = code_.data();
    if (c.quantize && adc.max_code() < kMaxTableCodes) {
        const double lo = adc.lo(), l = adc.lsb();
        nlev = adc.max_code() + 1;
        levels_.assign(static_cast<size_t>(std::max(nlev, 32)), 0.0);
        for (int k = 0; k < nlev; ++k) levels_[static_cast<size_t>(k)] = (lo + static_cast<double>(k) * l) / u;
        levels = levels_.data();
    }
    // Vectors in blocks of kBlock: each vector's logical columns go to a row of yb, and the
    // block is added to the column-major y column by column (kBlock contiguous values; a
    // store per vector and column would stride by the batch through y). A whole block is
    // transposed in registers, kBlock x kBlock values at a time (one packet per row), so each
    // column's kBlock sums are one packet add; the additions are the same, one per value.
    // Float outputs in blocks of 2 kBlock: a column's 2 kBlock floats are one 64-byte line
    // (AVX-512) written at once; written as two half lines far apart in time, a column-major
    // output of 1024 rows (its columns 4 KB apart, all in one L1 set) lost each line between
    // its halves and fetched it twice.
    constexpr Eigen::Index kBlock = kPd;
    const Eigen::Index block = c.out ? 2 * kBlock : kBlock;
    double* yb = yblock_.data();
#ifdef SOTSIM_PAIR_AVX512
    // A noisy one-cycle call with the calibrated one-digit readout and an ADC without INL:
    // each vector in one pass (fused_row).
    const bool fused = c.var && c.inputs && levels && nlev <= 32 && calibrated_ && digits_ == 1 && np % 16 == 0 &&
                       4.0 * adc.config().inl == 0.0;
    const FusedRow fr{&adc, &ch_, levels, ca, ck, co, ckm, com, cp, cm, u, w, cur, code};
#endif
    for (Eigen::Index b = 0; b < count; ++b) {
        const Eigen::Index r = b % block;
        // Converter inputs (A): the read in float (signal plus sigma z), then scaled in double.
        // The kept currents (weight * I, summed over cycles) in the same pass.
        const float* __restrict sig = c.units + b * c.ld;
#ifdef SOTSIM_PAIR_AVX512
        if (fused) {
            float* ki = c.inputs + (first + b) * np;
            fused_row(fr, sig, c.var + b * c.vld, c.normals + b * np, np, ki,
                      c.stream_inputs && reinterpret_cast<std::uintptr_t>(ki) % 64 == 0, in_sum(first + b), yb + r * cols_);
        } else
#endif
        {
        double* __restrict kr = c.inputs ? nullptr : kept.data() + (first + b) * np;
        if (c.var) {
            const float* __restrict var = c.var + b * c.vld;
            const float* __restrict z = c.normals + b * np;
            if (c.inputs) {
                float* __restrict ki = c.inputs + (first + b) * np;
                Eigen::Index p = 0;
#ifdef SOTSIM_PAIR_AVX512
                // The kept inputs are not read again in the call: when they are too many to
                // stay in L2 (at batch 1024, 0.5 MB, each line was fetched from beyond L2 to
                // be overwritten), streamed past the caches; a small call's stay cached (a
                // non-temporal store would evict lines the next call writes again). The
                // operations are the loop's below (noisy_input: one fma).
                if (c.stream_inputs && reinterpret_cast<std::uintptr_t>(ki) % 64 == 0) {
                    stream_inputs(sig, var, z, np, u, cur, ki);
                    p = np - np % 16;
                }
#endif
                for (; p < np; ++p) {
                    const float sd = std::sqrt(std::max(var[p], 0.0f));
                    const float in = noisy_input(sig[p], sd, z[p]);
                    cur[p] = u * static_cast<double>(in);
                    ki[p] = in;
                }
            } else if (c.first)
                for (Eigen::Index p = 0; p < np; ++p) {
                    const float sd = std::sqrt(std::max(var[p], 0.0f));
                    cur[p] = u * static_cast<double>(noisy_input(sig[p], sd, z[p]));
                    kr[p] = w * cur[p];
                }
            else
                for (Eigen::Index p = 0; p < np; ++p) {
                    const float sd = std::sqrt(std::max(var[p], 0.0f));
                    cur[p] = u * static_cast<double>(noisy_input(sig[p], sd, z[p]));
                    kr[p] += w * cur[p];
                }
        } else {
            for (Eigen::Index p = 0; p < np; ++p) cur[p] = u * static_cast<double>(sig[p]);
            if (c.inputs)
                std::copy(sig, sig + np, c.inputs + (first + b) * np);
            else if (c.first)
                for (Eigen::Index p = 0; p < np; ++p) kr[p] = w * cur[p];
            else
                for (Eigen::Index p = 0; p < np; ++p) kr[p] += w * cur[p];
        }
        const double n = in_sum(first + b);
        double* __restrict yr = yb + r * cols_;
        // Column signals in digit units, calibrated, and the logical columns.
#ifdef SOTSIM_PAIR_AVX512
        if (levels && nlev <= 32 && calibrated_ && digits_ == 1) {
            adc.codes_row(cur, ch_, np, code);
            levels_combine(levels, code, np, ca, ck, co, ckm, com, cp, cm, n, w, yr);
        } else
#endif
        {
        if (levels) {
            adc.codes_row(cur, ch_, np, code);
            read_levels(levels, nlev, code, np, sp);
        } else {
            if (c.quantize) adc.quantize_row(cur, ch_, np);
            for (Eigen::Index p = 0; p < np; ++p) sp[p] = cur[p] / u;
        }
        if (calibrated_) {
            for (Eigen::Index p = 0; p < np; ++p) sp[p] = (ca[p] * sp[p] + ck[p] * n) + co[p];
            for (Eigen::Index p = 0; p < np; ++p) sm[p] = ckm[p] * n + com[p];
        } else {
            for (Eigen::Index p = 0; p < np; ++p) sm[p] = 0.0;
        }
        // Logical columns: digits of u+ then of u-, in column order.
        if (digits_ == 1) {
            for (Eigen::Index j = 0; j < cols_; ++j) yr[j] = w * (cp[j] * sp[j] + cm[j] * sm[j]);
        } else {
            for (Eigen::Index j = 0; j < cols_; ++j) {
                double acc = 0.0;
                for (Eigen::Index k = 0; k < digits_; ++k) acc += cp[j * digits_ + k] * sp[j * digits_ + k];
                for (Eigen::Index k = 0; k < digits_; ++k) acc += cm[j * digits_ + k] * sm[j * digits_ + k];
                yr[j] = w * acc;
            }
        }
        }
        }
        if (r == block - 1 || b == count - 1) {
            const Eigen::Index b0 = first + b - r;
            Eigen::Index j = 0;
            if (r == block - 1 && c.out) {
                for (; j + kPd <= cols_; j += kPd) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"   // Eigen's packet types are vector types with attributes
                    Eigen::internal::PacketBlock<PacketD, kPd> t[2];
#pragma GCC diagnostic pop
                    for (int h = 0; h < 2; ++h) {
                        for (int i = 0; i < kPd; ++i) t[h].packet[i] = Eigen::internal::ploadu<PacketD>(yb + (h * kPd + i) * cols_ + j);
                        Eigen::internal::ptranspose(t[h]);
                    }
                    for (int q = 0; q < kPd; ++q)
                        for (int h = 0; h < 2; ++h) {
                            const PacketD sum = Eigen::internal::padd(Eigen::internal::pset1<PacketD>(0.0), t[h].packet[q]);
                            store_floats(sum, c.out + (j + q) * c.out_ld + b0 + h * kPd);
                        }
                }
            } else if (r == block - 1) {
                for (; j + kPd <= cols_; j += kPd) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"   // Eigen's packet types are vector types with attributes
                    Eigen::internal::PacketBlock<PacketD, kPd> t;
#pragma GCC diagnostic pop
                    for (int i = 0; i < kPd; ++i) t.packet[i] = Eigen::internal::ploadu<PacketD>(yb + i * cols_ + j);
                    Eigen::internal::ptranspose(t);
                    for (int q = 0; q < kPd; ++q) {
                        double* yc = y.data() + (j + q) * y.rows() + b0;
                        const PacketD prev = c.first ? Eigen::internal::pset1<PacketD>(0.0) : Eigen::internal::ploadu<PacketD>(yc);
                        Eigen::internal::pstoreu(yc, Eigen::internal::padd(prev, t.packet[q]));
                    }
                }
            }
            if (c.out && c.out_ld == 1) {
                // One vector (a call of batch 1): its columns are contiguous in the output.
                for (; j < cols_; ++j) c.out[j] = static_cast<float>(0.0 + yb[j]);
            }
            for (; j < cols_; ++j) {
                if (c.out) {
                    float* oc = c.out + j * c.out_ld + b0;
                    for (Eigen::Index i = 0; i <= r; ++i) oc[i] = static_cast<float>(0.0 + yb[i * cols_ + j]);
                    continue;
                }
                double* yc = y.data() + j * y.rows() + b0;
                if (c.first)
                    for (Eigen::Index i = 0; i <= r; ++i) yc[i] = 0.0 + yb[i * cols_ + j];
                else
                    for (Eigen::Index i = 0; i <= r; ++i) yc[i] += yb[i * cols_ + j];
            }
        }
    }
#ifdef SOTSIM_PAIR_AVX512
    if (c.inputs && c.stream_inputs) _mm_sfence();   // the kept inputs' non-temporal stores, before anyone reads them
#endif
}

}  // namespace sotsim::phys
