#include "models/physics/IrDropSchur.h"

#include <stdexcept>
#include <vector>

namespace sotsim::phys {
namespace {

// A rectangle of cells [i0, i1) x [j0, j1) reduced to its boundary nodes: `s` is the Schur
// complement of the rectangle's nodal matrix (its own cells and inner wire segments, plus
// the driver and sense segments it contains) onto `nodes` (global node ids).
struct Box {
    int i0, i1, j0, j1;
    std::vector<int> nodes;
    Eigen::MatrixXd s;
};

class SchurReducer {
public:
    SchurReducer(const Eigen::MatrixXd& g, double g_row, double g_col)
        : g_(g), gr_(g_row), gc_(g_col), rows_(static_cast<int>(g.rows())), cols_(static_cast<int>(g.cols())),
          pos_(static_cast<size_t>(2) * rows_ * cols_, -1) {}

    Box reduce(int i0, int i1, int j0, int j1) {
        const int h = i1 - i0, w = j1 - j0;
        if (h * w <= kLeafCells) return leaf(i0, i1, j0, j1);
        if (h >= w) {
            const int im = i0 + h / 2;
            Box a = reduce(i0, im, j0, j1);
            Box b = reduce(im, i1, j0, j1);
            return merge(a, b);
        }
        const int jm = j0 + w / 2;
        Box a = reduce(i0, i1, j0, jm);
        Box b = reduce(i0, i1, jm, j1);
        return merge(a, b);
    }

    int row_node(int i, int j) const { return 2 * (i * cols_ + j); }
    int col_node(int i, int j) const { return 2 * (i * cols_ + j) + 1; }

private:
    // Small leaves keep the dense leaf factorisation cheap ((2 h w)^3 / 3 flops) while
    // amortising per-box bookkeeping.
    static constexpr int kLeafCells = 16;

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

    static void stamp(Eigen::MatrixXd& k, int a, int b, double gg) {
        k(a, a) += gg;
        if (b >= 0) {
            k(b, b) += gg;
            k(a, b) -= gg;
            k(b, a) -= gg;
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
        const int n = static_cast<int>(nodes.size());
        for (int p = 0; p < n; ++p) pos_[static_cast<size_t>(nodes[p])] = p;
        Eigen::MatrixXd k = Eigen::MatrixXd::Zero(n, n);
        for (int i = i0; i < i1; ++i)
            for (int j = j0; j < j1; ++j) {
                const int r = pos_[row_node(i, j)], c = pos_[col_node(i, j)];
                if (g_(i, j) > 0.0) stamp(k, r, c, g_(i, j));
                stamp(k, r, j == 0 ? -1 : pos_[row_node(i, j - 1)], gr_);   // left segment / driver
                if (i > 0) stamp(k, c, pos_[col_node(i - 1, j)], gc_);      // top segment
                if (i == rows_ - 1) stamp(k, c, -1, gc_);                    // sense segment
            }
        for (int p = 0; p < n; ++p) pos_[static_cast<size_t>(nodes[p])] = -1;
        return eliminate(i0, i1, j0, j1, nodes, k);
    }

    // Merge a (top or left) and b (bottom or right); their shared nodes add up.
    Box merge(const Box& a, const Box& b) {
        std::vector<int> nodes = a.nodes;
        const int na = static_cast<int>(a.nodes.size()), nb = static_cast<int>(b.nodes.size());
        for (int p = 0; p < na; ++p) pos_[static_cast<size_t>(nodes[p])] = p;
        std::vector<int> bpos(static_cast<size_t>(nb));
        for (int q = 0; q < nb; ++q) {
            int& p = pos_[static_cast<size_t>(b.nodes[q])];
            if (p < 0) {
                p = static_cast<int>(nodes.size());
                nodes.push_back(b.nodes[q]);
            }
            bpos[static_cast<size_t>(q)] = p;
        }
        const int n = static_cast<int>(nodes.size());
        Eigen::MatrixXd k = Eigen::MatrixXd::Zero(n, n);
        k.topLeftCorner(na, na) = a.s;
        for (int q2 = 0; q2 < nb; ++q2)
            for (int q1 = 0; q1 < nb; ++q1) k(bpos[static_cast<size_t>(q1)], bpos[static_cast<size_t>(q2)]) += b.s(q1, q2);
        for (int p = 0; p < n; ++p) pos_[static_cast<size_t>(nodes[p])] = -1;
        return eliminate(std::min(a.i0, b.i0), std::max(a.i1, b.i1), std::min(a.j0, b.j0), std::max(a.j1, b.j1), nodes, k);
    }

    // Schur complement of k onto the nodes on the boundary of [i0,i1) x [j0,j1).
    Box eliminate(int i0, int i1, int j0, int j1, const std::vector<int>& nodes, const Eigen::MatrixXd& k) {
        std::vector<int> keep, elim;
        for (int p = 0; p < static_cast<int>(nodes.size()); ++p)
            (on_boundary(nodes[p], i0, i1, j0, j1) ? keep : elim).push_back(p);
        Box out{i0, i1, j0, j1, {}, {}};
        out.nodes.reserve(keep.size());
        for (int p : keep) out.nodes.push_back(nodes[p]);
        out.s = k(keep, keep);
        if (elim.empty()) return out;
        // Every eliminated node reaches the boundary through wires (row chains run to the
        // left edge, column chains to the bottom edge), so k(elim, elim) is SPD.
        Eigen::LLT<Eigen::MatrixXd> llt(k(elim, elim));
        if (llt.info() != Eigen::Success) throw std::runtime_error("IR drop: Schur block not positive definite");
        Eigen::MatrixXd x = k(elim, keep);
        llt.matrixL().solveInPlace(x);
        out.s.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose(), -1.0);
        out.s.triangularView<Eigen::StrictlyUpper>() = out.s.transpose();
        return out;
    }

    const Eigen::MatrixXd& g_;
    double gr_, gc_;
    int rows_, cols_;
    std::vector<int> pos_;   // global node -> local index during a merge (-1 otherwise)
};

}  // namespace

Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd& g, double g_row, double g_col) {
    const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
    if (rows == 0 || cols == 0) throw std::invalid_argument("IR drop: empty array");
    if (!(g_row > 0.0) || !(g_col > 0.0)) throw std::invalid_argument("IR drop: wire conductances must be > 0");
    if ((g.array() < 0.0).any()) throw std::invalid_argument("IR drop: negative cell conductance");
    SchurReducer red(g, g_row, g_col);
    const Box top = red.reduce(0, rows, 0, cols);
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
