#include "models/common/Transpose.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX__) || defined(__SSE__)
#include <immintrin.h>
#endif

namespace sotsim {

namespace {

using Index = std::ptrdiff_t;

#if defined(__AVX__)
constexpr Index kTile = 8;
// One 8 x 8 tile in registers (unpack, shuffle, lane permute).
inline void tile(const float* s, Index sld, float* d, Index dld) {
    const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + sld), r2 = _mm256_loadu_ps(s + 2 * sld),
                 r3 = _mm256_loadu_ps(s + 3 * sld), r4 = _mm256_loadu_ps(s + 4 * sld),
                 r5 = _mm256_loadu_ps(s + 5 * sld), r6 = _mm256_loadu_ps(s + 6 * sld),
                 r7 = _mm256_loadu_ps(s + 7 * sld);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + dld, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * dld, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * dld, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * dld, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * dld, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * dld, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * dld, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#elif defined(__SSE__)
constexpr Index kTile = 4;
inline void tile(const float* s, Index sld, float* d, Index dld) {
    __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + sld), r2 = _mm_loadu_ps(s + 2 * sld),
           r3 = _mm_loadu_ps(s + 3 * sld);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(d, r0);
    _mm_storeu_ps(d + dld, r1);
    _mm_storeu_ps(d + 2 * dld, r2);
    _mm_storeu_ps(d + 3 * dld, r3);
}
#else
constexpr Index kTile = 4;
inline void tile(const float* s, Index sld, float* d, Index dld) {
    for (Index r = 0; r < kTile; ++r)
        for (Index c = 0; c < kTile; ++c) d[c * dld + r] = s[r * sld + c];
}
#endif

inline void edge(const float* s, Index sld, float* d, Index dld, Index rows, Index cols) {
    for (Index r = 0; r < rows; ++r)
        for (Index c = 0; c < cols; ++c) d[c * dld + r] = s[r * sld + c];
}

}  // namespace

void transpose(const float* src, Index src_ld, float* dst, Index dst_ld, Index rows, Index cols) {
    // Panels of kPanel source rows; inside a panel, kTile destination rows at a time, each
    // written as one sequential stream (a 64 x 64 panel whose destination rows are a power
    // of two apart would map to a few cache sets and thrash L1).
    // A single vector (one sample of a streamed program) whose destination or source is
    // contiguous is a plain copy: no tiles, no edge loops of one element.
    if ((rows == 1 && dst_ld == 1) || (cols == 1 && src_ld == 1)) {
        std::copy(src, src + rows * cols, dst);
        return;
    }
    constexpr Index kPanel = 64;
    const Index tc = cols - cols % kTile;
    for (Index r0 = 0; r0 < rows; r0 += kPanel) {
        const Index pr = std::min(kPanel, rows - r0), tr = pr - pr % kTile;
        const float* s = src + r0 * src_ld;
        float* d = dst + r0;
        for (Index c = 0; c < tc; c += kTile) {
            for (Index r = 0; r < tr; r += kTile) tile(s + r * src_ld + c, src_ld, d + c * dst_ld + r, dst_ld);
            edge(s + tr * src_ld + c, src_ld, d + c * dst_ld + tr, dst_ld, pr - tr, kTile);
        }
        edge(s + tc, src_ld, d + tc * dst_ld, dst_ld, pr, cols - tc);
    }
}

void copy_columns(const float* src, Index src_ld, float* dst, Index dst_ld, Index rows, Index cols) {
    if (rows == 1) {
        for (Index c = 0; c < cols; ++c) dst[c * dst_ld] = src[c * src_ld];
        return;
    }
    for (Index c = 0; c < cols; ++c)
        std::memcpy(dst + c * dst_ld, src + c * src_ld, static_cast<std::size_t>(rows) * sizeof(float));
}

}  // namespace sotsim
