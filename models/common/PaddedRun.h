// One row of a convolution window read with padding: the inner loop of every im2col (the
// tile's digital gather and the float reference's convolution).
#pragma once

#include <algorithm>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace sotsim {

// dst[r] = src[r] for r < n: a short run (one window row), whole registers and a masked
// tail instead of a call to memcpy per run.
inline void copy_run(const float* src, int n, float* dst) {
#if defined(__AVX512F__)
    int q = 0;
    for (; q + 16 <= n; q += 16) _mm512_storeu_ps(dst + q, _mm512_loadu_ps(src + q));
    if (q < n) {
        const auto tail = static_cast<__mmask16>((1u << (n - q)) - 1u);
        _mm512_mask_storeu_ps(dst + q, tail, _mm512_maskz_loadu_ps(tail, src + q));
    }
#else
    std::copy(src, src + n, dst);
#endif
}

// dst[r] = v for r < n: whole registers and a masked tail. A std::fill of zeros becomes a
// call to memset, whose set-up dominates the fills of one or two floats per output row that
// the im2col gathers' fix-ups make.
inline void fill_run(float* dst, int n, float v) {
#if defined(__AVX512F__)
    const __m512 p = _mm512_set1_ps(v);
    int q = 0;
    for (; q + 16 <= n; q += 16) _mm512_storeu_ps(dst + q, p);
    if (q < n) _mm512_mask_storeu_ps(dst + q, static_cast<__mmask16>((1u << (n - q)) - 1u), p);
#else
    std::fill(dst, dst + n, v);
#endif
}

// dst[r] = row[x0 + r * step] where 0 <= x0 + r * step < w, else pad, for r < n.
inline void padded_run(const float* row, int w, int x0, int step, int n, float pad, float* dst) {
    if (step == 1) {
        const int lo = std::min(n, std::max(0, -x0)), hi = std::max(lo, std::min(n, w - x0));
#if defined(__AVX512F__)
        // Packets of 16 under masks: a lane outside [lo, hi) takes the pad (a masked-out lane
        // is not read), lanes past n are not stored. The runs are short (a window row of a
        // 28-, 14- or 7-wide layer): the fills and the copy loop's remainder were most of
        // their cost.
        const __m512 p = _mm512_set1_ps(pad);
        for (int q = 0; q < n; q += 16) {
            const int a = std::clamp(lo - q, 0, 16), b = std::clamp(hi - q, 0, 16), e = std::min(n - q, 16);
            const auto valid = static_cast<__mmask16>(((1u << b) - 1u) & ~((1u << a) - 1u));
            const auto keep = static_cast<__mmask16>((1u << e) - 1u);
            _mm512_mask_storeu_ps(dst + q, keep, _mm512_mask_loadu_ps(p, valid, row + (x0 + q)));
        }
        return;
#endif
        std::fill(dst, dst + lo, pad);
        for (int r = lo; r < hi; ++r) dst[r] = row[x0 + r];
        std::fill(dst + hi, dst + n, pad);
        return;
    }
    for (int r = 0; r < n; ++r) {
        const int x = x0 + r * step;
        dst[r] = (x >= 0 && x < w) ? row[x] : pad;
    }
}

}  // namespace sotsim
