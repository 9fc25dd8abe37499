// One row of a convolution window read with padding: the inner loop of every im2col (the
// tile's digital gather and the float reference's convolution).
#pragma once

#include <algorithm>

namespace sotsim {

// dst[r] = row[x0 + r * step] where 0 <= x0 + r * step < w, else pad, for r < n.
inline void padded_run(const float* row, int w, int x0, int step, int n, float pad, float* dst) {
    if (step == 1) {
        const int lo = std::min(n, std::max(0, -x0)), hi = std::max(lo, std::min(n, w - x0));
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
