#include "models/physics/BlockedDense.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace sotsim::phys {

static_assert(EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4,
              "BlockedDense mirrors Eigen 3.4's SelfadjointProduct.h, TriangularSolverMatrix.h and LLT.h");

namespace {

using Eigen::Index;
namespace ei = Eigen::internal;

// Packing buffers of the level-3 kernels, kept by each thread (Eigen allocates them per call:
// fresh pages, i.e. page faults and page clearing, on a thread's first calls above ~128 KiB).
// The kernels below never nest, so one scratch serves all of them.
class PackingScratch {
public:
    static PackingScratch& local() {
        static thread_local PackingScratch s;
        return s;
    }
    ~PackingScratch() { std::free(p_); }
    // Two 64-byte aligned blocks of a and b doubles; false above kMaxBytes.
    bool get(std::size_t a, std::size_t b, double*& pa, double*& pb) {
        const std::size_t a_pad = (a + 7) / 8 * 8, need = a_pad + b;
        if (need * sizeof(double) > kMaxBytes) return false;
        if (need > cap_) {
            std::free(p_);
            p_ = static_cast<double*>(std::aligned_alloc(64, (need * sizeof(double) + 63) / 64 * 64));
            cap_ = p_ ? need : 0;
            if (!p_) return false;
        }
        pa = p_;
        pb = p_ + a_pad;
        return true;
    }

private:
    static constexpr std::size_t kMaxBytes = std::size_t{32} << 20;
    double* p_ = nullptr;
    std::size_t cap_ = 0;
};

// Eigen's blocking object for a product or solve (the same kc / mc / nc as the Eigen call
// builds), with its packing buffers pointed at the thread's scratch by keep(); where the
// scratch refuses (above its bound) they stay null and Eigen's kernels allocate them.
template <int KcFactor>
class KeptBlocking : public ei::gemm_blocking_space<Eigen::ColMajor, double, double, Eigen::Dynamic, Eigen::Dynamic,
                                                    Eigen::Dynamic, KcFactor> {
    using Base = ei::gemm_blocking_space<Eigen::ColMajor, double, double, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic,
                                         KcFactor>;

public:
    KeptBlocking(Index rows, Index cols, Index depth) : Base(rows, cols, depth, 1, false) {}
    // True if the buffers are now the scratch's.
    bool keep(std::size_t a, std::size_t b) {
        double *pa = nullptr, *pb = nullptr;
        if (!PackingScratch::local().get(a, b, pa, pb)) return false;
        this->m_blockA = pa;
        this->m_blockB = pb;
        return true;
    }
    ~KeptBlocking() {   // the scratch is not Eigen's to free
        this->m_blockA = nullptr;
        this->m_blockB = nullptr;
    }
};

using Traits = ei::gebp_traits<double, double>;
// Eigen's diagonal panel width of its triangular solves.
constexpr Index kPanel = EIGEN_PLAIN_ENUM_MAX(Traits::mr, Traits::nr);

// The vector type below is wider than the registers of a build without AVX-512 (the portable
// preset: GCC lowers its operations to narrower pieces), where GCC notes that passing it by
// value across translation units would change the ABI; it never leaves this file.
#if defined(__GNUC__)   // GCC and clang
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
// kW right-hand sides (or rows) side by side: the element-wise operations of Eigen's scalar
// loops, one lane each. Loaded and stored by memcpy (no alignment assumed).
constexpr int kW = 8;
typedef double Lanes __attribute__((vector_size(kW * sizeof(double))));
inline Lanes load(const double* p) {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(double* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }
static_assert(kW == 8, "splat lists kW elements");
inline Lanes splat(double s) { return Lanes{s, s, s, s, s, s, s, s}; }   // one broadcast (a loop over lanes was not)
// kG vectors at once: independent dependency chains (Eigen's per-right-hand-side loops are
// bound by the latency of one multiply-add chain).
constexpr int kG = 4;
constexpr int kBlock = kW * kG;

// The diagonal panel of the left solve B := L^-1 B (Eigen's IsLower / ColMajor branch): rows
// base .. base + w - 1 of the right-hand sides j0 .. j0 + ncols - 1 (ncols <= kBlock) of b
// (column stride ldb), l(r, c) reading L. At step k the row base + k is scaled by
// 1 / L(k, k), then L(p, k) times it is subtracted from every later row p of the panel: per
// element the operations of Eigen's loop, each multiply-subtract its own (Eigen's
// `r(i3) -= b * l(i3)`), so it does not matter how the compiler splits the rows into vectors.
// Unused lanes hold zeros.
template <class Tri>
void left_panel(const Tri& t, Index base, Index w, double* b, Index ldb, Index j0, Index ncols) {
    alignas(64) double buf[kPanel * kBlock];
    const auto x = [&](Index p, int g) { return buf + (p * kG + g) * kW; };
    if (ncols < kBlock) std::fill_n(buf, w * kBlock, 0.0);
    for (Index c = 0; c < ncols; ++c) {
        const double* col = b + (j0 + c) * ldb + base;
        for (Index p = 0; p < w; ++p) buf[(p * kG + c / kW) * kW + c % kW] = col[p];
    }
    for (Index k = 0; k < w; ++k) {
        const double a = 1.0 / t(base + k, base + k);
        Lanes xk[kG];
        for (int g = 0; g < kG; ++g) {
            xk[g] = load(x(k, g)) * splat(a);
            store(x(k, g), xk[g]);
        }
        for (Index p = k + 1; p < w; ++p) {
            const Lanes f = splat(t(base + p, base + k));
            for (int g = 0; g < kG; ++g) store(x(p, g), load(x(p, g)) - xk[g] * f);
        }
    }
    for (Index c = 0; c < ncols; ++c) {
        double* col = b + (j0 + c) * ldb + base;
        for (Index p = 0; p < w; ++p) col[p] = buf[(p * kG + c / kW) * kW + c % kW];
    }
}

// The diagonal panel of the right solve X := X U^-1 (U upper, read row by row as U(r, c)):
// for kBlock rows of X at a time (columns x + k ldx, k < w, the rows contiguous), column k
// becomes (column k - X(:, q) U(q, k) for q = 0 .. k-1 in order) / U(k, k), as Eigen's
// unblocked loop computes each element.
template <class Tri>
void right_panel_rows(const Tri& u, Index base, Index w, double* x, Index ldx) {
    for (Index k = 0; k < w; ++k) {
        double* xk = x + k * ldx;
        Lanes acc[kG];
        for (int g = 0; g < kG; ++g) acc[g] = load(xk + g * kW);
        for (Index q = 0; q < k; ++q) {
            const Lanes f = splat(u(base + q, base + k));
            const double* xq = x + q * ldx;
            for (int g = 0; g < kG; ++g) acc[g] = acc[g] - load(xq + g * kW) * f;
        }
        const Lanes inv = splat(1.0 / u(base + k, base + k));
        for (int g = 0; g < kG; ++g) store(xk + g * kW, acc[g] * inv);
    }
}

template <class Tri>
void right_panel(const Tri& u, Index base, Index w, double* x, Index ldx, Index rows) {
    Index r = 0;
    for (; r + kBlock <= rows; r += kBlock) right_panel_rows(u, base, w, x + r, ldx);
    if (r < rows) {   // the last rows through a zero-padded copy
        alignas(64) double buf[kPanel * kBlock];
        std::fill_n(buf, w * kBlock, 0.0);
        for (Index k = 0; k < w; ++k) std::copy(x + k * ldx + r, x + k * ldx + rows, buf + k * kBlock);
        right_panel_rows(u, base, w, buf, kBlock);
        for (Index k = 0; k < w; ++k) std::copy(buf + k * kBlock, buf + k * kBlock + (rows - r), x + k * ldx + r);
    }
}
#if defined(__GNUC__)   // GCC and clang
#pragma GCC diagnostic pop
#endif

// triangular_solve_matrix<double, Index, OnTheLeft, Lower, false, ColMajor, ColMajor, 1>::run
// of Eigen 3.4, the diagonal panels by left_panel.
void solve_left_lower(const double* tri_data, Index tri_stride, Index size, double* other_data, Index other_stride,
                      Index cols) {
    constexpr int TriOrder = Eigen::ColMajor;
    using TriMapper = ei::const_blas_data_mapper<double, Index, TriOrder>;
    using OtherMapper = ei::blas_data_mapper<double, Index, Eigen::ColMajor, Eigen::Unaligned, 1>;
    if (size == 0) return;
    TriMapper tri(tri_data, tri_stride);
    OtherMapper other(other_data, other_stride, 1);
    const auto t = [&](Index r, Index c) { return tri(r, c); };

    KeptBlocking<4> blocking(size, cols, size);
    const Index kc = blocking.kc(), mc = std::min(size, blocking.mc());
    const std::size_t size_a = static_cast<std::size_t>(kc * mc), size_b = static_cast<std::size_t>(kc * cols);
    if (!blocking.keep(size_a, size_b)) {   // above the scratch's bound (> 32 MiB): Eigen's own solve, whose panels the lane kernels follow operation for operation (untested above the bound)
        ei::triangular_solve_matrix<double, Index, Eigen::OnTheLeft, Eigen::Lower, false, Eigen::ColMajor, Eigen::ColMajor,
                                    1>::run(size, cols, tri_data, tri_stride, other_data, 1, other_stride, blocking);
        return;
    }
    double* block_a = blocking.blockA();
    double* block_b = blocking.blockB();

    ei::gebp_kernel<double, double, Index, OtherMapper, Traits::mr, Traits::nr, false, false> gebp;
    ei::gemm_pack_lhs<double, Index, TriMapper, Traits::mr, Traits::LhsProgress, typename Traits::LhsPacket4Packing, TriOrder>
        pack_lhs;
    ei::gemm_pack_rhs<double, Index, OtherMapper, Traits::nr, Eigen::ColMajor, false, true> pack_rhs;

    std::ptrdiff_t l1, l2, l3;
    ei::manage_caching_sizes(Eigen::GetAction, &l1, &l2, &l3);
    Index subcols = cols > 0 ? l2 / (4 * static_cast<Index>(sizeof(double)) * std::max<Index>(other_stride, size)) : 0;
    subcols = std::max<Index>((subcols / Traits::nr) * Traits::nr, Traits::nr);

    for (Index k2 = 0; k2 < size; k2 += kc) {
        const Index actual_kc = std::min(size - k2, kc);
        for (Index j2 = 0; j2 < cols; j2 += subcols) {
            const Index actual_cols = std::min(cols - j2, subcols);
            for (Index k1 = 0; k1 < actual_kc; k1 += kPanel) {
                const Index w = std::min<Index>(actual_kc - k1, kPanel);
                const Index start_block = k2 + k1;
                for (Index j = j2; j < j2 + actual_cols; j += kBlock)
                    left_panel(t, start_block, w, other_data, other_stride, j, std::min<Index>(kBlock, j2 + actual_cols - j));
                const Index length_target = actual_kc - k1 - w;
                const Index block_b_offset = k1;
                pack_rhs(block_b + actual_kc * j2, other.getSubMapper(start_block, j2), w, actual_cols, actual_kc, block_b_offset);
                if (length_target > 0) {
                    const Index start_target = k2 + k1 + w;
                    pack_lhs(block_a, tri.getSubMapper(start_target, start_block), w, length_target);
                    gebp(other.getSubMapper(start_target, j2), block_a, block_b + actual_kc * j2, length_target, w,
                         actual_cols, -1.0, w, actual_kc, 0, block_b_offset);
                }
            }
        }
        const Index start = k2 + kc, end = size;
        for (Index i2 = start; i2 < end; i2 += mc) {
            const Index actual_mc = std::min(mc, end - i2);
            if (actual_mc > 0) {
                pack_lhs(block_a, tri.getSubMapper(i2, k2), actual_kc, actual_mc);
                gebp(other.getSubMapper(i2, 0), block_a, block_b, actual_mc, actual_kc, cols, -1.0, -1, -1, 0, 0);
            }
        }
    }
}

// triangular_solve_matrix<double, Index, OnTheRight, Upper, false, RowMajor, ColMajor, 1>::run
// of Eigen 3.4 (X := X U^-1, U read row by row), the diagonal panels by right_panel.
void solve_right_upper(const double* tri_data, Index tri_stride, Index size, double* other_data, Index other_stride,
                       Index rows) {
    using LhsMapper = ei::blas_data_mapper<double, Index, Eigen::ColMajor, Eigen::Unaligned, 1>;
    using RhsMapper = ei::const_blas_data_mapper<double, Index, Eigen::RowMajor>;
    if (size == 0) return;
    LhsMapper lhs(other_data, other_stride, 1);
    RhsMapper rhs(tri_data, tri_stride);
    const auto u = [&](Index r, Index c) { return rhs(r, c); };

    KeptBlocking<4> blocking(rows, size, size);
    const Index kc = blocking.kc(), mc = std::min(rows, blocking.mc());
    const std::size_t size_a = static_cast<std::size_t>(kc * mc), size_b = static_cast<std::size_t>(kc * size);
    if (!blocking.keep(size_a, size_b)) {   // above the scratch's bound (> 32 MiB): Eigen's own solve, whose panels the lane kernels follow operation for operation (untested above the bound)
        ei::triangular_solve_matrix<double, Index, Eigen::OnTheRight, Eigen::Upper, false, Eigen::RowMajor, Eigen::ColMajor,
                                    1>::run(size, rows, tri_data, tri_stride, other_data, 1, other_stride, blocking);
        return;
    }
    double* block_a = blocking.blockA();
    double* block_b = blocking.blockB();

    ei::gebp_kernel<double, double, Index, LhsMapper, Traits::mr, Traits::nr, false, false> gebp;
    ei::gemm_pack_rhs<double, Index, RhsMapper, Traits::nr, Eigen::RowMajor> pack_rhs;
    ei::gemm_pack_rhs<double, Index, RhsMapper, Traits::nr, Eigen::RowMajor, false, true> pack_rhs_panel;
    ei::gemm_pack_lhs<double, Index, LhsMapper, Traits::mr, Traits::LhsProgress, typename Traits::LhsPacket4Packing,
                      Eigen::ColMajor, false, true>
        pack_lhs_panel;

    for (Index k2 = 0; k2 < size; k2 += kc) {
        const Index actual_kc = std::min(size - k2, kc);
        const Index start_panel = k2 + actual_kc, rs = size - k2 - actual_kc;
        double* geb = block_b + actual_kc * actual_kc;
        if (rs > 0) pack_rhs(geb, rhs.getSubMapper(k2, start_panel), actual_kc, rs);
        // the off-diagonal parts of the diagonal block's panels
        for (Index j2 = 0; j2 < actual_kc; j2 += kPanel) {
            const Index w = std::min<Index>(actual_kc - j2, kPanel);
            if (j2 > 0) pack_rhs_panel(block_b + j2 * actual_kc, rhs.getSubMapper(k2, k2 + j2), j2, w, actual_kc, 0);
        }
        for (Index i2 = 0; i2 < rows; i2 += mc) {
            const Index actual_mc = std::min(mc, rows - i2);
            for (Index j2 = 0; j2 < actual_kc; j2 += kPanel) {
                const Index w = std::min<Index>(actual_kc - j2, kPanel);
                const Index absolute_j2 = k2 + j2;
                if (j2 > 0)
                    gebp(lhs.getSubMapper(i2, absolute_j2), block_a, block_b + j2 * actual_kc, actual_mc, j2, w, -1.0,
                         actual_kc, actual_kc, 0, 0);
                right_panel(u, absolute_j2, w, other_data + absolute_j2 * other_stride + i2, other_stride, actual_mc);
                pack_lhs_panel(block_a, lhs.getSubMapper(i2, absolute_j2), w, actual_mc, actual_kc, j2);
            }
            if (rs > 0) gebp(lhs.getSubMapper(i2, start_panel), block_a, geb, actual_mc, actual_kc, rs, -1.0, -1, -1, 0, 0);
        }
    }
}

}  // namespace

template <int XOrder>
void rank_update_lower(double* c, Index ldc, const double* x, Index ldx, Index size, Index depth, double alpha) {
    // SelfadjointProduct.h's blocking (size, size, depth), packing buffers as
    // general_matrix_matrix_triangular_product::run asks for them.
    KeptBlocking<1> blocking(size, size, depth);
    Index mc = std::min(size, blocking.mc());
    if (mc > Traits::nr) mc = mc / Traits::nr * Traits::nr;
    blocking.keep(static_cast<std::size_t>(blocking.kc() * mc), static_cast<std::size_t>(blocking.kc() * size));
    ei::general_matrix_matrix_triangular_product<Index, double, XOrder, false, double,
                                                 XOrder == Eigen::RowMajor ? Eigen::ColMajor : Eigen::RowMajor, false,
                                                 Eigen::ColMajor, 1, Eigen::Lower>::run(size, depth, x, ldx, x, ldx, c, 1,
                                                                                        ldc, alpha, blocking);
}
template void rank_update_lower<Eigen::ColMajor>(double*, Index, const double*, Index, Index, Index, double);
template void rank_update_lower<Eigen::RowMajor>(double*, Index, const double*, Index, Index, Index, double);

void trsm_left_lower(const double* l, Index ldl, Index n, double* b, Index ldb, Index cols) {
    solve_left_lower(l, ldl, n, b, ldb, cols);
}

void trsm_left_lower_t(const double* l, Index ldl, Index n, double* b, Index ldb, Index cols) {
    // Eigen's own solve (U = L^T: the same storage read row by row), only its packing buffers
    // kept. Its diagonal panels sum dot products, whose rounding depends on how the compiler
    // vectorises Eigen's loop (GCC: unfused products added in order in chunks of 8 and 4, the
    // rest fused), so a lane version would not be the same operations on every build.
    if (n == 0) return;
    KeptBlocking<4> blocking(n, cols, n);
    const Index kc = blocking.kc(), mc = std::min(n, blocking.mc());
    blocking.keep(static_cast<std::size_t>(kc * mc), static_cast<std::size_t>(kc * cols));
    ei::triangular_solve_matrix<double, Index, Eigen::OnTheLeft, Eigen::Upper, false, Eigen::RowMajor, Eigen::ColMajor,
                                1>::run(n, cols, l, ldl, b, 1, ldb, blocking);
}

void trsm_right_lower_t(const double* l, Index ldl, Index n, double* x, Index ldx, Index rows) {
    solve_right_upper(l, ldl, n, x, ldx, rows);
}

bool llt_lower(double* a, Index lda, Index n) {
    // llt_inplace<double, Lower>::blocked of Eigen 3.4 on a Ref (the type LLT<Ref<MatrixXd>>
    // factors in place), its unblocked step Eigen's own on the same block type.
    using Ref = Eigen::Ref<Eigen::MatrixXd, 0, Eigen::OuterStride<>>;
    using Block = Eigen::Block<Ref, Eigen::Dynamic, Eigen::Dynamic>;
    Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> map(a, n, n, Eigen::OuterStride<>(lda));
    Ref m(map);
    if (n < 32) return ei::llt_inplace<double, Eigen::Lower>::unblocked(m) == -1;
    Index block = n / 8;
    block = (block / 16) * 16;
    block = std::min(std::max(block, Index(8)), Index(128));
    for (Index k = 0; k < n; k += block) {
        const Index bs = std::min(block, n - k), rs = n - k - bs;
        Block a11(m, k, k, bs, bs);
        if (ei::llt_inplace<double, Eigen::Lower>::unblocked(a11) >= 0) return false;
        if (rs > 0) {
            double* a21 = a + k * lda + k + bs;
            trsm_right_lower_t(a + k * lda + k, lda, bs, a21, lda, rs);                    // A21 := A21 A11^-T
            rank_update_lower<Eigen::ColMajor>(a21 + bs * lda, lda, a21, lda, rs, bs, -1.0);   // A22 -= A21 A21^T
        }
    }
    return true;
}

}  // namespace sotsim::phys
