// Eigen 3.4's blocked level-3 kernels as the IR-drop Schur reduction (IrDropSchur.cpp,
// SchurKernels.cpp) calls them: the same blocking, the same packed GEBP kernel and the same
// operations on every element, so every result is bitwise what the Eigen expression named at
// each function gives. Two things differ. (1) The packing buffers are kept by the thread
// instead of allocated per call (above ~128 KiB Eigen takes them from the heap: fresh pages,
// page faults and page clearing on a thread's first solves). (2) The diagonal panels of
// B := L^-1 B and X := X L^-T, which Eigen runs one right-hand side at a time (short loops,
// their length below its panel width of 24), run 32 right-hand sides (or rows) at once in
// vector lanes: every element still goes through the same operations in the same order (the
// right-hand sides are independent, and each operation is a multiply-subtract or a scaling of
// its own), so the values are the same. B := L^-T B stays Eigen's own (its panels sum dot
// products, whose rounding depends on how the compiler vectorises Eigen's loop).
// Matrices are column-major with leading dimension ld; L is the lower triangle of an n x n
// matrix (only the lower triangle is read).
// "The same operations" includes the compiler's multiply-add contraction: Eigen's loops and
// the lane code are contracted alike (GCC contracts a * b + c by default, where the ISA has
// FMA); test_blocked_dense checks bitwise equality for the build it runs in.
#pragma once

#include <Eigen/Core>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects

namespace sotsim::phys {

// The lower triangle of the size x size matrix c (column stride ldc) += alpha X X^T, X size x
// depth with column stride ldx (XOrder ColMajor) or its transpose stored row by row with row
// stride ldx (RowMajor, i.e. X = W^T for a column-major depth x size W): exactly what Eigen's
// selfadjointView<Lower>().rankUpdate(X, alpha) computes (the same kernel, blocking and
// order), with kept packing buffers.
template <int XOrder>
void rank_update_lower(double* c, Eigen::Index ldc, const double* x, Eigen::Index ldx, Eigen::Index size,
                       Eigen::Index depth, double alpha);

// B := L^-1 B, B n x cols: L.triangularView<Lower>().solveInPlace(B).
void trsm_left_lower(const double* l, Eigen::Index ldl, Eigen::Index n, double* b, Eigen::Index ldb, Eigen::Index cols);

// B := L^-T B, B n x cols: L.transpose().triangularView<Upper>().solveInPlace(B).
void trsm_left_lower_t(const double* l, Eigen::Index ldl, Eigen::Index n, double* b, Eigen::Index ldb, Eigen::Index cols);

// X := X L^-T, X rows x n: L.transpose().triangularView<Upper>().solveInPlace<OnTheRight>(X).
void trsm_right_lower_t(const double* l, Eigen::Index ldl, Eigen::Index n, double* x, Eigen::Index ldx, Eigen::Index rows);

// In-place Cholesky factor A = L L^T of the lower triangle of the n x n matrix a: what
// Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> computes in place (its blocked algorithm, with the
// two kernels above for its panels), without the L1 norm LLT keeps for rcond(). False if A is
// not positive definite (a is then partly overwritten).
bool llt_lower(double* a, Eigen::Index lda, Eigen::Index n);

}  // namespace sotsim::phys
