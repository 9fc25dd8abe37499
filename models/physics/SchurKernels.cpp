#include "models/physics/SchurKernels.h"

#include "models/physics/BlockedDense.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

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

namespace {

// The vector type below is wider than the registers of a build without AVX-512 (the portable
// preset: GCC lowers its operations to SSE2 pieces), where GCC notes that passing it by value
// across translation units would change the ABI; it never leaves this file (load / store are
// internal and inlined into schur_lanes).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
// One element of every front of a schur_lanes batch (GCC vector extension: the element-wise
// operations of the scalar code, lowered to whatever vector width the ISA has). Loaded and
// stored by memcpy: nothing here assumes more than the alignment of a double.
typedef double Lanes __attribute__((vector_size(kSchurLanes * sizeof(double))));
inline Lanes load(const double* p) {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(double* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }

}  // namespace

bool schur_lanes(double* a, int n, int e) {
    constexpr int W = kSchurLanes;
    auto at = [&](int r, int c) { return a + (static_cast<size_t>(c) * n + r) * W; };
    int fixed[256];
    std::vector<int> more;
    int* rows = fixed;   // rows below a panel where one of its columns is non-zero in one front
    if (n > 256) {
        more.resize(static_cast<size_t>(n));
        rows = more.data();
    }
    const Lanes zero = {};
    for (int c0 = 0; c0 < e; c0 += 4) {
        const int b = std::min(4, e - c0), below = c0 + b;
        const double* x0 = at(0, c0);
        const double* x1 = at(0, b > 1 ? c0 + 1 : c0);
        const double* x2 = at(0, b > 2 ? c0 + 2 : c0);
        const double* x3 = at(0, b > 3 ? c0 + 3 : c0);
        // Only these rows take part below the panel, as rows and as columns (a column's
        // multipliers are its row of the panel): a leaf is a grid stencil, and every row
        // left out would add exact zeros. The set is taken before the panel is factored:
        // factoring adds multiples of panel columns to later panel columns, so no row
        // outside it becomes non-zero. (With a single front, skipping rows lost the vector
        // loop; here the vectors run across the fronts.)
        int m = 0;
        for (int r = below; r < n; ++r) {
            const size_t q = static_cast<size_t>(W) * r;
            const Lanes any = (load(x0 + q) != zero) | (load(x1 + q) != zero) | (load(x2 + q) != zero) |
                              (load(x3 + q) != zero);
            bool nz = false;
            for (int l = 0; l < W; ++l) nz |= any[l] != 0;
            if (nz) rows[m++] = r;
        }
        // Factor the panel's columns against each other (as panels(): rows inside the panel,
        // then the rows below it).
        for (int c = c0; c < below; ++c) {
            double* x = at(0, c);
            const Lanes d = load(x + W * c);
            bool ok = true;
            for (int l = 0; l < W; ++l) ok &= d[l] > 0.0;
            if (!ok) return false;
            Lanes s = {};
            for (int l = 0; l < W; ++l) s[l] = 1.0 / std::sqrt(d[l]);
            for (int r = c; r < below; ++r) store(x + W * r, load(x + W * r) * s);
            for (int u = 0; u < m; ++u) store(x + W * rows[u], load(x + W * rows[u]) * s);
            for (int j = c + 1; j < below; ++j) {
                const Lanes lj = load(x + W * j);
                double* y = at(0, j);
                for (int r = j; r < below; ++r) store(y + W * r, load(y + W * r) - lj * load(x + W * r));
                for (int u = 0; u < m; ++u) {
                    const size_t q = static_cast<size_t>(W) * rows[u];
                    store(y + q, load(y + q) - lj * load(x + q));
                }
            }
        }
        // Rank-b update of the later columns (rows j .. n-1); missing panel columns are
        // column c0 with a zero multiplier, as in panels().
        for (int u = 0; u < m; ++u) {
            const int j = rows[u];
            const size_t o = static_cast<size_t>(W) * j;
            const Lanes l0 = load(x0 + o), l1 = b > 1 ? load(x1 + o) : zero, l2 = b > 2 ? load(x2 + o) : zero,
                        l3 = b > 3 ? load(x3 + o) : zero;
            double* y = at(0, j);
            for (int v = u; v < m; ++v) {
                const size_t q = static_cast<size_t>(W) * rows[v];
                store(y + q, load(y + q) - (l0 * load(x0 + q) + l1 * load(x1 + q) + l2 * load(x2 + q) + l3 * load(x3 + q)));
            }
        }
    }
    return true;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool schur_dense(double* a, int n, int e) {
    if (!schur_panels(a, n, e, e)) return false;
    const size_t off = static_cast<size_t>(e);
    const int nk = n - e;
    rank_update_lower<Eigen::ColMajor>(a + off * n + off, n, a + off, n, nk, e, -1.0);
    return true;
}

}  // namespace sotsim::phys
