// The time-to-digital counter's rounded quotient, eight lanes: q = round_half_even(a / l)
// for a / l >= 0, else 0 (NaN -> 0), the operations of TimeToDigital::convert_delays on
// a = t - t_start, without the divider where it cannot change q. a * (1 / l), with 1 / l
// and the product rounded once each, is within 3 * 2^-53 of a / l relative, so both round to
// the same integer unless a / l lies within 1e-9 of a half-integer (for quotients below
// 2^19: 2^19 * 3 * 2^-53 < 1e-9); those lanes take the division. Quotients of 2^19 and more
// round to >= 2^19 - 1 either way, so a counter whose top code is below that clamps them
// alike; a larger counter divides every lane (`exact`). The divider's throughput (16 cycles
// a register) bounded the fused resistance readout. Every step is an explicit-rounding
// intrinsic, so no translation unit can contract it into another rounding.
#pragma once

#if defined(__AVX512F__)
#include <immintrin.h>

namespace sotsim::phys {

inline bool tdc_quotient_needs_division(int max_code) { return max_code >= (1 << 19) - 1; }

inline __m512d tdc_rounded_quotient(__m512d a, __m512d l, __m512d inv_l, bool exact) {
    constexpr int kNear = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m512d zero = _mm512_setzero_pd(), round = _mm512_set1_pd(0x1.0p52);
    __m512d u = _mm512_mul_round_pd(a, inv_l, kNear);
    __m512d qr = _mm512_sub_round_pd(_mm512_add_round_pd(u, round, kNear), round, kNear);
    const __mmask8 near =
        exact ? static_cast<__mmask8>(0xff)
              : static_cast<__mmask8>(
                    _mm512_cmp_pd_mask(_mm512_abs_pd(_mm512_sub_round_pd(u, qr, kNear)), _mm512_set1_pd(0.5 - 1e-9),
                                       _CMP_GE_OQ) &
                    _mm512_cmp_pd_mask(u, zero, _CMP_GE_OQ) & _mm512_cmp_pd_mask(u, _mm512_set1_pd(0x1.0p19), _CMP_LT_OQ));
    if (near != 0) {
        u = _mm512_mask_div_round_pd(u, near, a, l, kNear);
        qr = _mm512_sub_round_pd(_mm512_add_round_pd(u, round, kNear), round, kNear);
    }
    return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(u, zero, _CMP_GE_OQ), qr);
}

}  // namespace sotsim::phys
#endif
