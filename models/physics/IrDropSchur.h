// Exact IR-drop transfer matrix by hierarchical Schur complements (nested dissection with
// dense fronts), for the crossbar topology documented in IrDropSolver.h.
//
// Why: the transfer matrix only couples the R driven row-end nodes to the C sense-end column
// nodes. Every other node can be eliminated exactly. The array is split recursively into
// rectangles of cells (longer side halved); for each rectangle we keep the dense Schur
// complement of its nodal matrix onto its boundary nodes (nodes with a wire leaving the
// rectangle, plus the driven and sensed ends). Two neighbouring rectangles are merged by
// stamping the wire segments between them and eliminating the nodes that are no longer on the
// boundary (dense Cholesky + SYRK). The whole array reduces to an (R+C)-square SPD system
// on the driven and sensed nodes, from which M follows with R right-hand sides.
// Cost O(N^3) dense BLAS-3 flops for an N x N array (vs O(N^4)-ish for sweeping row by row,
// and vs R sparse solves of the full 2 R C-node system).
#pragma once

#include <Eigen/Dense>

namespace sotsim::phys {

// M (cols x rows), sense currents I = M V for row drive voltages V. g: cell conductances
// (rows x cols, S, >= 0); g_row, g_col: wire segment conductances (S, > 0). `threads`:
// how many threads reduce independent halves of the array concurrently (<= 0: one per
// hardware thread); the result is bitwise the same for every value.
Eigen::MatrixXd ir_drop_transfer_schur(const Eigen::MatrixXd& g, double g_row, double g_col, int threads = 0);

}  // namespace sotsim::phys
