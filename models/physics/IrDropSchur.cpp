#include "models/physics/IrDropSchur.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sotsim::phys {
namespace {

// A rectangle of cells [i0, i1) x [j0, j1) reduced to its boundary nodes: `s` is the Schur
// complement of the rectangle's nodal matrix (its own cells and inner wire segments, plus
// the driver and sense segments it contains) onto `nodes` (global node ids).
struct Box {
    int i0, i1, j0, j1;
    std::vector<int> nodes;
    Eigen::MatrixXd s;   // lower triangle valid (the upper one is stale)
};

class SchurReducer {
public:
    SchurReducer(const Eigen::MatrixXd& g, double g_row, double g_col)
        : g_(g), gr_(g_row), gc_(g_col), rows_(static_cast<int>(g.rows())), cols_(static_cast<int>(g.cols())),
          pos_(static_cast<size_t>(2) * rows_ * cols_, -1) {}

    // `threads` > 1: the two halves of a split are independent and reduce concurrently
    // (the second in a reducer of its own, for its own scratch). Every box is computed by
    // the same operations in the same order whatever the thread count, so M is bitwise
    // identical for any `threads`.
    Box reduce(int i0, int i1, int j0, int j1, int threads = 1) {
        const int h = i1 - i0, w = j1 - j0;
        if (h * w <= kLeafCells) return leaf(i0, i1, j0, j1);
        int a0 = i0, a1 = i1, b0 = j0, b1 = j1;   // first half [a0,a1) x [b0,b1)
        int c0 = i0, c1 = i1, d0 = j0, d1 = j1;   // second half
        if (h >= w) {
            a1 = c0 = i0 + h / 2;
        } else {
            b1 = d0 = j0 + w / 2;
        }
        if (threads > 1 && h * w >= kParallelCells) {
            const int ta = threads / 2, tb = threads - ta;
            auto second = std::async(std::launch::async, [&, tb] {
                SchurReducer other(g_, gr_, gc_);
                return other.reduce(c0, c1, d0, d1, tb);
            });
            Box a = reduce(a0, a1, b0, b1, ta);
            Box b = second.get();
            return merge(a, b);
        }
        Box a = reduce(a0, a1, b0, b1);
        Box b = reduce(c0, c1, d0, d1);
        return merge(a, b);
    }

    int row_node(int i, int j) const { return 2 * (i * cols_ + j); }
    int col_node(int i, int j) const { return 2 * (i * cols_ + j) + 1; }

private:
    // Small leaves keep the dense leaf factorisation cheap ((2 h w)^3 / 3 flops) while
    // amortising per-box bookkeeping.
    static constexpr int kLeafCells = 16;
    // Below this many cells a thread costs more than the box.
    static constexpr int kParallelCells = 64 * 64;

    // Each rectangle owns its cells, its inner wire segments, and the row segments entering
    // it from the left and column segments entering from the top (driver and sense segments
    // are stamped to ground). Its boundary nodes are the far ends of those entering segments
    // (left neighbours (i, j0-1), top neighbours (i0-1, j)), its own right-edge row nodes and
    // bottom-edge column nodes, and the driven row ends (i, 0). So the right boundary of a
    // left rectangle *is* the left boundary of its right neighbour: a merge eliminates one
    // shared node per crossing segment (classical nested dissection) instead of both ends.
    // Open ends (j = cols-1, i = 0) are interior.
    bool on_boundary(int node, int i0, int i1, int j0, int j1) const {
        const int k = node / 2, i = k / cols_, j = k % cols_;
        if (node % 2 == 0) return j == j0 - 1 || (j == 0 && j0 == 0) || (j == j1 - 1 && j1 < cols_);
        return i == i0 - 1 || i == i1 - 1;
    }

    using Mat = Eigen::Map<Eigen::MatrixXd>;

    // An n x n nodal matrix with a zeroed lower triangle (the only one used) in the
    // reducer's scratch, reused by every box: no allocation, page faults or fresh-page
    // zeroing per merge.
    Mat workspace(int n) {
        const size_t need = static_cast<size_t>(n) * static_cast<size_t>(n);
        if (scratch_.size() < need) scratch_.resize(need);
        Mat k(scratch_.data(), n, n);
        for (int j = 0; j < n; ++j) k.col(j).tail(n - j).setZero();
        return k;
    }

    // A conductance between local nodes a and b (b < 0: to a fixed-voltage node), lower
    // triangle only.
    static void stamp(Mat& k, int a, int b, double gg) {
        k(a, a) += gg;
        if (b >= 0) {
            k(b, b) += gg;
            k(std::max(a, b), std::min(a, b)) -= gg;
        }
    }

    Box leaf(int i0, int i1, int j0, int j1) {
        std::vector<int> nodes;
        for (int i = i0; i < i1; ++i)
            for (int j = j0; j < j1; ++j) {
                nodes.push_back(row_node(i, j));
                nodes.push_back(col_node(i, j));
            }
        if (j0 > 0)
            for (int i = i0; i < i1; ++i) nodes.push_back(row_node(i, j0 - 1));
        if (i0 > 0)
            for (int j = j0; j < j1; ++j) nodes.push_back(col_node(i0 - 1, j));
        Box out{i0, i1, j0, j1, {}, {}};
        const int e = order(nodes, out);
        const int n = static_cast<int>(nodes.size());
        Mat k = workspace(n);
        for (int i = i0; i < i1; ++i)
            for (int j = j0; j < j1; ++j) {
                const int r = pos_[row_node(i, j)], c = pos_[col_node(i, j)];
                if (g_(i, j) > 0.0) stamp(k, r, c, g_(i, j));
                stamp(k, r, j == 0 ? -1 : pos_[row_node(i, j - 1)], gr_);   // left segment / driver
                if (i > 0) stamp(k, c, pos_[col_node(i - 1, j)], gc_);      // top segment
                if (i == rows_ - 1) stamp(k, c, -1, gc_);                    // sense segment
            }
        for (int p = 0; p < n; ++p) pos_[static_cast<size_t>(nodes[p])] = -1;
        eliminate(k, e, out);
        return out;
    }

    // Merge a (top or left) and b (bottom or right); their shared nodes add up.
    Box merge(const Box& a, const Box& b) {
        std::vector<int> nodes = a.nodes;
        for (int node : a.nodes) pos_[static_cast<size_t>(node)] = 0;   // listed
        for (int node : b.nodes) {
            int& p = pos_[static_cast<size_t>(node)];
            if (p < 0) {
                p = 0;   // marks "listed"; order() assigns the real position
                nodes.push_back(node);
            }
        }
        Box out{std::min(a.i0, b.i0), std::max(a.i1, b.i1), std::min(a.j0, b.j0), std::max(a.j1, b.j1), {}, {}};
        const int e = order(nodes, out);
        const int n = static_cast<int>(nodes.size());
        Mat k = workspace(n);
        scatter_add(k, a);
        scatter_add(k, b);
        for (int p = 0; p < n; ++p) pos_[static_cast<size_t>(nodes[p])] = -1;
        eliminate(k, e, out);
        return out;
    }

    // Positions in elimination order: the nodes interior to `out` first (0 .. e-1), then its
    // boundary nodes (kept, in list order, into out.nodes). Sets pos_; returns e. With this
    // order the eliminated block, the coupling block and the kept block of the nodal matrix
    // are contiguous, so the reduction runs in place without gathers.
    int order(const std::vector<int>& nodes, Box& out) {
        int e = 0;
        for (int node : nodes)
            if (!on_boundary(node, out.i0, out.i1, out.j0, out.j1)) pos_[static_cast<size_t>(node)] = e++;
        int kpos = e;
        out.nodes.reserve(nodes.size() - static_cast<size_t>(e));
        for (int node : nodes)
            if (on_boundary(node, out.i0, out.i1, out.j0, out.j1)) {
                pos_[static_cast<size_t>(node)] = kpos++;
                out.nodes.push_back(node);
            }
        return e;
    }

    // k(pos(u), pos(v)) += c.s(u, v) over the nodes of child c. Both hold only their lower
    // triangle (the elimination reads and writes nothing else): each source entry below the
    // diagonal is read once, contiguously, and lands on the lower one of its two mirror
    // positions in k.
    void scatter_add(Mat& k, const Box& c) const {
        const int m = static_cast<int>(c.nodes.size());
        std::vector<int> at(static_cast<size_t>(m));
        for (int q = 0; q < m; ++q) at[static_cast<size_t>(q)] = pos_[static_cast<size_t>(c.nodes[q])];
        double* dst = k.data();
        const Eigen::Index ld = k.rows();
        for (int q = 0; q < m; ++q) {
            const Eigen::Index cq = at[static_cast<size_t>(q)];
            const double* src = c.s.col(q).data();
            for (int p = q; p < m; ++p) {
                const Eigen::Index rp = at[static_cast<size_t>(p)];
                dst[rp >= cq ? rp + cq * ld : cq + rp * ld] += src[p];
            }
        }
    }

    // Schur complement of k (elimination order, lower triangle valid) onto its last
    // n - e nodes, into out.s (lower triangle valid).
    void eliminate(Mat& k, int e, Box& out) const {
        const int n = static_cast<int>(k.rows()), nk = n - e;
        if (e > 0 && n <= kSmallFront) {
            if (!eliminate_small(k.data(), n, e)) throw std::runtime_error("IR drop: Schur block not positive definite");
        } else if (e > 0) {
            // Every eliminated node reaches the boundary through wires (row chains run to the
            // left edge, column chains to the bottom edge), so k(elim, elim) is SPD.
            Eigen::Ref<Eigen::MatrixXd> kee = k.topLeftCorner(e, e);
            Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(kee);   // in place
            if (llt.info() != Eigen::Success) throw std::runtime_error("IR drop: Schur block not positive definite");
            // X = L^-1 K_ek, then K_kk -= X^T X (TRSM + SYRK on contiguous blocks).
            auto x = k.bottomLeftCorner(nk, e);   // K_ke = K_ek^T, lower triangle of k
            llt.matrixU().solveInPlace<Eigen::OnTheRight>(x);   // X^T = K_ke L^-T
            k.bottomRightCorner(nk, nk).selfadjointView<Eigen::Lower>().rankUpdate(x, -1.0);
        }
        out.s.resize(nk, nk);
        for (int j = 0; j < nk; ++j) out.s.col(j).tail(nk - j) = k.col(e + j).tail(nk - j);
    }

    // Fronts up to this order are reduced by eliminate_small (Eigen's blocked LLT / TRSM /
    // SYRK pay their dispatch and packing on every one of the many small boxes). Measured
    // at 256 x 256 (paired, one thread): 96 -> 0.92, 200 -> 0.89-0.92, 400 -> 0.97-0.98 of
    // the all-Eigen time (docs/performance.md).
    static constexpr int kSmallFront = 200;

    // Right-looking Cholesky of the first e columns of the n x n lower triangle a (column
    // major, leading dimension n), applied to the trailing n - e columns as the Schur update,
    // in panels of up to 4 columns: each trailing column is read and written once per panel
    // (a rank-4 update), and a panel whose multipliers of that column are all zero is skipped,
    // which is most of them in a leaf (its nodal matrix is a sparse grid stencil) and in the
    // cross blocks between the two children of a merge. Same operations in the same order
    // whatever the thread count. Returns false if a pivot is not positive.
    static bool eliminate_small(double* a, int n, int e) {
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
            // Rank-b update of every later column j (rows j .. n-1).
            const double* p0 = a + static_cast<size_t>(c0) * n;
            const double* p1 = b > 1 ? p0 + n : p0;
            const double* p2 = b > 2 ? p0 + 2 * n : p0;
            const double* p3 = b > 3 ? p0 + 3 * n : p0;
            for (int j = c0 + b; j < n; ++j) {
                const double l0 = p0[j], l1 = b > 1 ? p1[j] : 0.0, l2 = b > 2 ? p2[j] : 0.0, l3 = b > 3 ? p3[j] : 0.0;
                if (l0 == 0.0 && l1 == 0.0 && l2 == 0.0 && l3 == 0.0) continue;
                double* dj = a + static_cast<size_t>(j) * n;
                for (int r = j; r < n; ++r) dj[r] -= l0 * p0[r] + l1 * p1[r] + l2 * p2[r] + l3 * p3[r];
            }
        }
        return true;
    }

    const Eigen::MatrixXd& g_;
    double gr_, gc_;
    int rows_, cols_;
    std::vector<int> pos_;   // global node -> local index during a merge (-1 otherwise)
    std::vector<double> scratch_;   // workspace() storage
};

}  // namespace

Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd& g, double g_row, double g_col, int threads) {
    const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
    if (rows == 0 || cols == 0) throw std::invalid_argument("IR drop: empty array");
    if (!(g_row > 0.0) || !(g_col > 0.0)) throw std::invalid_argument("IR drop: wire conductances must be > 0");
    if ((g.array() < 0.0).any()) throw std::invalid_argument("IR drop: negative cell conductance");
    SchurReducer red(g, g_row, g_col);
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Box top = red.reduce(0, rows, 0, cols, threads);
    top.s.triangularView<Eigen::StrictlyUpper>() = top.s.transpose();   // boxes keep the lower triangle
    // top.s x = b on the driven row ends d and sensed column ends s, b_d = g_row V, b_s = 0.
    // Eliminating s first: T = S_dd - S_ds S_ss^-1 S_sd, x_d = g_row T^-1 V and
    // x_s = -S_ss^-1 S_sd x_d, so M = -g_col g_row S_ss^-1 S_sd T^-1 (~6 N^3 flops instead of
    // ~11 N^3 for solving the full (R+C) system with R right-hand sides).
    std::vector<int> drive(static_cast<size_t>(rows), -1), sense(static_cast<size_t>(cols), -1);
    for (int p = 0; p < static_cast<int>(top.nodes.size()); ++p) {
        const int node = top.nodes[p], k = node / 2, i = k / cols, j = k % cols;
        if (node % 2 == 0 && j == 0) drive[static_cast<size_t>(i)] = p;
        else if (node % 2 == 1 && i == rows - 1) sense[static_cast<size_t>(j)] = p;
        else throw std::logic_error("IR drop: unexpected node left after reduction");
    }
    Eigen::LLT<Eigen::MatrixXd> ls(top.s(sense, sense));
    if (ls.info() != Eigen::Success) throw std::runtime_error("IR drop: reduced system not positive definite");
    Eigen::MatrixXd w = top.s(sense, drive);   // -> L_s^-1 S_sd
    ls.matrixL().solveInPlace(w);
    Eigen::MatrixXd t = top.s(drive, drive);
    t.selfadjointView<Eigen::Lower>().rankUpdate(w.transpose(), -1.0);
    Eigen::LLT<Eigen::MatrixXd> lt(t);   // reads the lower triangle only
    if (lt.info() != Eigen::Success) throw std::runtime_error("IR drop: reduced system not positive definite");
    // M^T = -g g T^-1 W^T L_s^-1 (T symmetric): solve T Y = W^T, then M = -g g L_s^-T Y^T.
    const Eigen::MatrixXd y = lt.solve(w.transpose());
    Eigen::MatrixXd m = y.transpose();
    ls.matrixU().solveInPlace(m);
    m *= -g_row * g_col;
    return m;
}

}  // namespace sotsim::phys
