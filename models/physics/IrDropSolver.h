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
// (cols x rows). The nodal matrix (2 rows cols unknowns, symmetric positive definite) is
// factorised once (sparse LDL^T, AMD ordering); column i of M is the sense-current
// response to a unit drive on row i.
#pragma once

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <memory>

namespace sotsim::phys {

class IrDropSolver {
public:
    IrDropSolver(double r_row, double r_col);
    ~IrDropSolver();
    IrDropSolver(IrDropSolver&&) noexcept;
    IrDropSolver& operator=(IrDropSolver&&) noexcept;

    // Factorise for cell conductances G (rows x cols, S).
    void factorize(const Eigen::MatrixXd& g);
    // Transfer matrix M (cols x rows): sense currents = M * row voltages.
    Eigen::MatrixXd transfer_matrix() const;
    // Voltage across every cell (rows x cols) for row drive voltages v (rows).
    Eigen::MatrixXd cell_voltages(const Eigen::VectorXd& v) const;
    // Sense currents (cols) for row drive voltages v (rows).
    Eigen::VectorXd sense_currents(const Eigen::VectorXd& v) const;

    int rows() const { return rows_; }
    int cols() const { return cols_; }

private:
    struct Factor;
    Eigen::VectorXd solve_nodes(const Eigen::VectorXd& v) const;
    int row_node(int i, int j) const { return 2 * (i * cols_ + j); }
    int col_node(int i, int j) const { return 2 * (i * cols_ + j) + 1; }

    double g_row_, g_col_;
    int rows_ = 0, cols_ = 0;
    std::unique_ptr<Factor> f_;
};

// Transfer matrix for `g` (cols x rows). Without wires (r_row = r_col = 0) this is G^T.
Eigen::MatrixXd ir_drop_transfer_matrix(const Eigen::MatrixXd& g, double r_row, double r_col);

}  // namespace sotsim::phys
