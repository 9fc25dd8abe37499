// Max pooling of one plane whose windows all lie inside it (no padding read): the loop of
// both max pools (the tile's digital unit, position-major, and the float reference, CHW).
#pragma once

#include <algorithm>
#include <limits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace sotsim {

// dst[oy * ow + ox] = the max over the window's values v = src[(oy * sh + ky) * w + ox * sw + kx],
// ky then kx in increasing order, from acc = -inf by acc = std::max(acc, v) ((acc < v) ? v :
// acc: a NaN is skipped, of two zeros the first is kept). The caller guarantees every window
// lies inside the plane. 2 x 2 windows of stride 2 (VGG-8's) take 16 outputs a register:
// _mm512_max_ps(v, acc) is (v > acc) ? v : acc, the same comparison and result as std::max
// in every case, NaN and signed zeros included, and the values go through it in the same
// order; the scalar loop cost ~2 % of a VGG-8 run on each side.
inline void max_pool_plane(const float* src, int w, int oh, int ow, int kh, int kw, int sh, int sw, float* dst) {
    for (int oy = 0; oy < oh; ++oy) {
        int ox = 0;
#if defined(__AVX512F__)
        if (kw == 2 && sw == 2) {
            const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
            for (; ox < ow; ox += 16) {
                const int n = std::min(16, ow - ox);   // outputs; 2 n inputs a window row
                const auto lo_keep = static_cast<__mmask16>(n >= 8 ? 0xffffu : (1u << (2 * n)) - 1u);
                const auto hi_keep = static_cast<__mmask16>(n <= 8 ? 0u : n == 16 ? 0xffffu : (1u << (2 * (n - 8))) - 1u);
                __m512 acc = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
                for (int ky = 0; ky < kh; ++ky) {
                    const float* row = src + static_cast<std::ptrdiff_t>(oy * sh + ky) * w + 2 * ox;
                    const __m512 a = _mm512_maskz_loadu_ps(lo_keep, row), b = _mm512_maskz_loadu_ps(hi_keep, row + 16);
                    acc = _mm512_max_ps(_mm512_permutex2var_ps(a, even, b), acc);   // kx = 0
                    acc = _mm512_max_ps(_mm512_permutex2var_ps(a, odd, b), acc);    // kx = 1
                }
                _mm512_mask_storeu_ps(dst + static_cast<std::ptrdiff_t>(oy) * ow + ox, static_cast<__mmask16>((1u << n) - 1u),
                                      acc);
            }
        }
#endif
        for (; ox < ow; ++ox) {
            float acc = -std::numeric_limits<float>::infinity();
            for (int ky = 0; ky < kh; ++ky) {
                const float* r = src + static_cast<std::ptrdiff_t>(oy * sh + ky) * w + ox * sw;
                for (int kx = 0; kx < kw; ++kx) acc = std::max(acc, r[kx]);
            }
            dst[static_cast<std::ptrdiff_t>(oy) * ow + ox] = acc;
        }
    }
}

}  // namespace sotsim
