#include "models/physics/SchurKernels.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace sotsim::phys {

bool schur_panels(double* a, int n, int e, int jend) {
    for (int c0 = 0; c0 < e; c0 += 4) {
        const int b = std::min(4, e - c0);
        // Factor the panel's columns against each other.
        for (int c = c0; c < c0 + b; ++c) {
            double* col = a + static_cast<size_t>(c) * n;
            if (!(col[c] > 0.0)) return false;
            const double s = 1.0 / std::sqrt(col[c]);
            col[c] *= s;
            for (int r = c + 1; r < n; ++r) col[r] *= s;
            for (int j = c + 1; j < c0 + b; ++j) {
                const double l = col[j];
                if (l == 0.0) continue;
                double* dj = a + static_cast<size_t>(j) * n;
                for (int r = j; r < n; ++r) dj[r] -= l * col[r];
            }
        }
        // Rank-b update of every later column j < jend (rows j .. n-1).
        const double* p0 = a + static_cast<size_t>(c0) * n;
        const double* p1 = b > 1 ? p0 + n : p0;
        const double* p2 = b > 2 ? p0 + 2 * n : p0;
        const double* p3 = b > 3 ? p0 + 3 * n : p0;
        for (int j = c0 + b; j < jend; ++j) {
            const double l0 = p0[j], l1 = b > 1 ? p1[j] : 0.0, l2 = b > 2 ? p2[j] : 0.0, l3 = b > 3 ? p3[j] : 0.0;
            if (l0 == 0.0 && l1 == 0.0 && l2 == 0.0 && l3 == 0.0) continue;
            double* dj = a + static_cast<size_t>(j) * n;
            for (int r = j; r < n; ++r) dj[r] -= l0 * p0[r] + l1 * p1[r] + l2 * p2[r] + l3 * p3[r];
        }
    }
    return true;
}

void syrk_sub_lower(double* c, Eigen::Index ldc, const double* x, Eigen::Index ldx, int m, int k) {
    using namespace Eigen::internal;
    using P = packet_traits<double>::type;
    constexpr int w = static_cast<int>(sizeof(P) / sizeof(double));   // 2 SSE2, 4 AVX, 8 AVX-512
    constexpr int tr = 2 * w;                       // rows per register tile
    // One entry by a dot product (diagonal blocks and edges).
    auto one = [&](int r, int j) {
        double s = 0.0;
        for (int q = 0; q < k; ++q) s += x[r + q * ldx] * x[j + q * ldx];
        c[r + j * ldc] -= s;
    };
    int j = 0;
    for (; j + 4 <= m; j += 4) {
        for (int jj = 0; jj < 4; ++jj)
            for (int r = j + jj; r < j + 4; ++r) one(r, j + jj);
        int r = j + 4;
        for (; r + tr <= m; r += tr) {
            P c00 = pset1<P>(0.0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            const double* xr = x + r;
            const double* xj = x + j;
            for (int q = 0; q < k; ++q, xr += ldx, xj += ldx) {
                const P a0 = ploadu<P>(xr), a1 = ploadu<P>(xr + w);
                P b = pset1<P>(xj[0]);
                c00 = pmadd(a0, b, c00);
                c10 = pmadd(a1, b, c10);
                b = pset1<P>(xj[1]);
                c01 = pmadd(a0, b, c01);
                c11 = pmadd(a1, b, c11);
                b = pset1<P>(xj[2]);
                c02 = pmadd(a0, b, c02);
                c12 = pmadd(a1, b, c12);
                b = pset1<P>(xj[3]);
                c03 = pmadd(a0, b, c03);
                c13 = pmadd(a1, b, c13);
            }
            double* cc = c + r + j * ldc;
            pstoreu(cc, psub(ploadu<P>(cc), c00));
            pstoreu(cc + w, psub(ploadu<P>(cc + w), c10));
            cc += ldc;
            pstoreu(cc, psub(ploadu<P>(cc), c01));
            pstoreu(cc + w, psub(ploadu<P>(cc + w), c11));
            cc += ldc;
            pstoreu(cc, psub(ploadu<P>(cc), c02));
            pstoreu(cc + w, psub(ploadu<P>(cc + w), c12));
            cc += ldc;
            pstoreu(cc, psub(ploadu<P>(cc), c03));
            pstoreu(cc + w, psub(ploadu<P>(cc + w), c13));
        }
        for (; r < m; ++r)
            for (int jj = 0; jj < 4; ++jj) one(r, j + jj);
    }
    for (; j < m; ++j)
        for (int r = j; r < m; ++r) one(r, j);
}

bool schur_dense(double* a, int n, int e) {
    if (!schur_panels(a, n, e, e)) return false;
    const size_t off = static_cast<size_t>(e);
    const int nk = n - e;
    Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> c(a + off * n + off, nk, nk, Eigen::OuterStride<>(n));
    const Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>> x(a + off, nk, e, Eigen::OuterStride<>(n));
    c.selfadjointView<Eigen::Lower>().rankUpdate(x, -1.0);
    return true;
}

}  // namespace sotsim::phys
