#include "models/physics/IrDropSolver.h"

#include "models/physics/IrDropSchur.h"

#include <Eigen/SparseCholesky>
#include <stdexcept>
#include <vector>

namespace sotsim::phys {

struct IrDropSolver::Factor {
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower, Eigen::AMDOrdering<int>> ldlt;
};

IrDropSolver::IrDropSolver(double r_row, double r_col) {
    if (!(r_row > 0.0) || !(r_col > 0.0))
        throw std::invalid_argument("IR drop: wire resistances r_wire_row and r_wire_col must be > 0");
    g_row_ = 1.0 / r_row;
    g_col_ = 1.0 / r_col;
}
IrDropSolver::~IrDropSolver() = default;
IrDropSolver::IrDropSolver(IrDropSolver&&) noexcept = default;
IrDropSolver& IrDropSolver::operator=(IrDropSolver&&) noexcept = default;

void IrDropSolver::factorize(const Eigen::MatrixXd& g) {
    if (g.rows() == 0 || g.cols() == 0) throw std::invalid_argument("IR drop: empty array");
    if ((g.array() < 0.0).any()) throw std::invalid_argument("IR drop: negative cell conductance");
    // Same shape: keep the old factor as a preconditioner for node-voltage solves (the
    // bias-dependent fixed point changes G by small relative steps).
    if (g.rows() != rows_ || g.cols() != cols_) f_.reset();
    rows_ = static_cast<int>(g.rows());
    cols_ = static_cast<int>(g.cols());
    g_ = g;
    f_current_ = false;
    a_valid_ = false;
}

const Eigen::SparseMatrix<double>& IrDropSolver::nodal_matrix() const {
    if (g_.size() == 0) throw std::logic_error("IR drop: factorize() first");
    if (a_valid_) return a_;
    const Eigen::MatrixXd& g = g_;
    const int n = 2 * rows_ * cols_;
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<size_t>(n) * 4);
    // Stamp a conductance between nodes a and b (b < 0: to a fixed-voltage node).
    auto stamp = [&t](int a, int b, double gg) {
        t.emplace_back(a, a, gg);
        if (b >= 0) {
            t.emplace_back(b, b, gg);
            t.emplace_back(a, b, -gg);
            t.emplace_back(b, a, -gg);
        }
    };
    for (int i = 0; i < rows_; ++i) {
        for (int j = 0; j < cols_; ++j) {
            // Row segment to the left neighbour, or to the driver for j = 0.
            stamp(row_node(i, j), j == 0 ? -1 : row_node(i, j - 1), g_row_);
            // Column segment to the lower neighbour, or to the sense node for the last row.
            stamp(col_node(i, j), i == rows_ - 1 ? -1 : col_node(i + 1, j), g_col_);
            const double gc = g(i, j);
            if (gc > 0.0) stamp(row_node(i, j), col_node(i, j), gc);
        }
    }
    a_.resize(n, n);
    a_.setFromTriplets(t.begin(), t.end());
    a_valid_ = true;
    return a_;
}

const IrDropSolver::Factor& IrDropSolver::sparse_factor() const {
    if (f_ && f_current_) return *f_;
    const Eigen::SparseMatrix<double>& a = nodal_matrix();
    auto f = std::make_unique<Factor>();
    f->ldlt.compute(a);
    if (f->ldlt.info() != Eigen::Success) throw std::runtime_error("IR drop: nodal matrix factorisation failed");
    f_ = std::move(f);
    f_current_ = true;
    return *f_;
}

Eigen::VectorXd IrDropSolver::solve_nodes(const Eigen::VectorXd& v) const {
    if (v.size() != rows_) throw std::invalid_argument("IR drop: drive vector size differs from the row count");
    Eigen::VectorXd b = Eigen::VectorXd::Zero(2 * rows_ * cols_);
    for (int i = 0; i < rows_; ++i) b(row_node(i, 0)) = g_row_ * v(i);
    if (f_ && !f_current_) {
        // Conjugate gradients on the current nodal matrix, preconditioned by the factor of an
        // earlier G of the same shape. The preconditioned residual z = P^-1 r approximates
        // the error, so stopping at |z| <= 1e-13 |x| keeps the solve exact to ~1e-13.
        const Eigen::SparseMatrix<double>& a = nodal_matrix();
        Eigen::VectorXd x = f_->ldlt.solve(b);
        Eigen::VectorXd r = b - a * x;
        Eigen::VectorXd z = f_->ldlt.solve(r);
        Eigen::VectorXd p = z;
        double rz = r.dot(z);
        for (int it = 0; it < kMaxPcgIterations; ++it) {
            if (z.norm() <= 1e-13 * x.norm()) return x;
            const Eigen::VectorXd ap = a * p;
            const double alpha = rz / p.dot(ap);
            x += alpha * p;
            r -= alpha * ap;
            z = f_->ldlt.solve(r);
            const double rz_new = r.dot(z);
            p = z + (rz_new / rz) * p;
            rz = rz_new;
        }
        // G moved too far from the preconditioner's: refactorise below.
    }
    return sparse_factor().ldlt.solve(b);
}

Eigen::MatrixXd IrDropSolver::transfer_matrix(IrDropMethod method) const {
    if (g_.size() == 0) throw std::logic_error("IR drop: factorize() first");
    if (method == IrDropMethod::SparseLdlt) return transfer_matrix_sparse();
    return ir_drop_transfer_schur(g_, g_row_, g_col_);
}

Eigen::MatrixXd IrDropSolver::transfer_matrix_sparse() const {
    const Factor& f = sparse_factor();
    const int n = 2 * rows_ * cols_;
    Eigen::MatrixXd m(cols_, rows_);
    // Solve in blocks of right-hand sides to bound memory (n x block doubles).
    const int block = 16;
    for (int i0 = 0; i0 < rows_; i0 += block) {
        const int nb = std::min(block, rows_ - i0);
        Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, nb);
        for (int k = 0; k < nb; ++k) b(row_node(i0 + k, 0), k) = g_row_;
        const Eigen::MatrixXd x = f.ldlt.solve(b);
        for (int k = 0; k < nb; ++k)
            for (int j = 0; j < cols_; ++j) m(j, i0 + k) = g_col_ * x(col_node(rows_ - 1, j), k);
    }
    return m;
}

Eigen::MatrixXd IrDropSolver::cell_voltages(const Eigen::VectorXd& v) const {
    const Eigen::VectorXd x = solve_nodes(v);
    Eigen::MatrixXd vc(rows_, cols_);
    for (int i = 0; i < rows_; ++i)
        for (int j = 0; j < cols_; ++j) vc(i, j) = x(row_node(i, j)) - x(col_node(i, j));
    return vc;
}

Eigen::VectorXd IrDropSolver::sense_currents(const Eigen::VectorXd& v) const {
    const Eigen::VectorXd x = solve_nodes(v);
    Eigen::VectorXd out(cols_);
    for (int j = 0; j < cols_; ++j) out(j) = g_col_ * x(col_node(rows_ - 1, j));
    return out;
}

Eigen::MatrixXd ir_drop_transfer_matrix(const Eigen::MatrixXd& g, double r_row, double r_col, IrDropMethod method) {
    if (r_row <= 0.0 && r_col <= 0.0) return g.transpose();
    IrDropSolver s(r_row, r_col);
    s.factorize(g);
    return s.transfer_matrix(method);
}

}  // namespace sotsim::phys
