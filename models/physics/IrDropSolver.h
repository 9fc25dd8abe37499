// Exact IR drop of a resistive crossbar with wire resistance, by nodal analysis.
//
// Topology (rows x cols cells): row i is driven with V_i at its left end through one row
// segment (r_row) into row node (i,0); one row segment joins row nodes (i,j) and (i,j+1).
// Cell (i,j), conductance G(i,j), joins row node (i,j) to column node (i,j). Column j has
// one segment (r_col) between column nodes (i,j) and (i+1,j) and one segment from
// (rows-1,j) into the sense node, a virtual ground at 0 V. Row right ends and column top
// ends are open.
//
// For ohmic cells the network is linear, so the sense currents are I = M V with M
// (cols x rows); column i of M is the sense-current response to a unit drive on row i.
// M is computed by hierarchical Schur complements onto the driven and sensed nodes
// (IrDropSchur.h, O(N^3) dense flops, ~0.1-0.3 s for 256 x 256) or, on request, by the
// reference method: a sparse LDL^T (AMD ordering) of the full nodal matrix (2 rows cols
// unknowns, SPD) and one solve per row (O(N^4), ~23 s for 256 x 256). Both are exact (they
// agree to ~1e-13 relative). Node voltages (cell_voltages, sense_currents) use the sparse
// factor, built on first use after factorize(); after a re-factorize() with the same shape
// they run conjugate gradients preconditioned by the previous factor (a few iterations for
// the small G steps of the bias-dependent fixed point) and refactorise only if that stalls.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <Eigen/Sparse>
#include <memory>

namespace sotsim::phys {

// How transfer_matrix() computes M. Auto: the fastest exact method (Schur at every size
// measured, 4 x 4 .. 512 x 512; see docs/performance.md).
enum class IrDropMethod { Auto, Schur, SparseLdlt };

class IrDropSolver {
public:
    IrDropSolver(double r_row, double r_col);
    ~IrDropSolver();
    IrDropSolver(IrDropSolver&&) noexcept;
    IrDropSolver& operator=(IrDropSolver&&) noexcept;

    // Set the cell conductances G (rows x cols, S, >= 0). The sparse factor for node
    // voltages is (re)built lazily; transfer_matrix() does not need it.
    void factorize(const Eigen::MatrixXd& g);
    // Transfer matrix M (cols x rows): sense currents = M * row voltages.
    Eigen::MatrixXd transfer_matrix(IrDropMethod method = IrDropMethod::Auto) const;
    // Voltage across every cell (rows x cols) for row drive voltages v (rows).
    Eigen::MatrixXd cell_voltages(const Eigen::VectorXd& v) const;
    // Sense currents (cols) for row drive voltages v (rows).
    Eigen::VectorXd sense_currents(const Eigen::VectorXd& v) const;

    int rows() const { return rows_; }
    int cols() const { return cols_; }

private:
    struct Factor;
    static constexpr int kMaxPcgIterations = 40;
    // Not thread-safe: the nodal matrix and its factor are built on first use.
    const Eigen::SparseMatrix<double>& nodal_matrix() const;
    const Factor& sparse_factor() const;
    Eigen::MatrixXd transfer_matrix_sparse() const;
    Eigen::VectorXd solve_nodes(const Eigen::VectorXd& v) const;
    int row_node(int i, int j) const { return 2 * (i * cols_ + j); }
    int col_node(int i, int j) const { return 2 * (i * cols_ + j) + 1; }

    double g_row_, g_col_;
    int rows_ = 0, cols_ = 0;
    Eigen::MatrixXd g_;
    mutable std::unique_ptr<Factor> f_;       // LDL^T of the nodal matrix of g_ or an earlier G
    mutable bool f_current_ = false;          // f_ factors the nodal matrix of g_
    mutable Eigen::SparseMatrix<double> a_;   // nodal matrix of g_
    mutable bool a_valid_ = false;
};

// Transfer matrix for `g` (cols x rows). Without wires (r_row = r_col = 0) this is G^T.
Eigen::MatrixXd ir_drop_transfer_matrix(const Eigen::MatrixXd& g, double r_row, double r_col,
                                        IrDropMethod method = IrDropMethod::Auto);

}  // namespace sotsim::phys
