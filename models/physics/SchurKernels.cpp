#include "models/physics/SchurKernels.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace sotsim::phys {

namespace {

constexpr int kPd = Eigen::internal::packet_traits<double>::size;

// First row of a column update of rows j .. n-1 extended upwards (into the upper triangle,
// never read) so that n - start is whole packets: no scalar remainder.
template <bool Pad>
inline int first_row(int j, int n) {
    if (!Pad) return j;
    return std::max(0, j - (kPd - (n - j) % kPd) % kPd);
}

template <bool Pad>
bool panels(double* a, int n, int e, int jend) {
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
                for (int r = first_row<Pad>(j, n); r < n; ++r) dj[r] -= l * col[r];
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
            for (int r = first_row<Pad>(j, n); r < n; ++r) dj[r] -= l0 * p0[r] + l1 * p1[r] + l2 * p2[r] + l3 * p3[r];
        }
    }
    return true;
}

}  // namespace

bool schur_panels(double* a, int n, int e, int jend) { return panels<false>(a, n, e, jend); }

bool schur_leaf(double* a, int n, int e) { return panels<true>(a, n, e, n); }

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
