// Dense kernels of the IR-drop Schur reduction (IrDropSchur.cpp) for fronts too small for
// Eigen's blocked LLT / TRSM to pay their dispatch and packing. A front is an n x n
// column-major matrix (leading dimension n) of which only the lower triangle is read or
// written; its first e nodes are eliminated, leaving the Schur complement in the trailing
// (n - e) x (n - e) lower triangle. Every operation runs in a fixed order (no dependence on
// threads or on where the matrix lives), so results are bitwise reproducible.
#pragma once

#include <Eigen/Core>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects

namespace sotsim::phys {

// Right-looking Cholesky of the first e columns in panels of 4 (a rank-4 update reads and
// writes each later column once per panel), applied to every later column j < jend (rows
// j .. n-1); a panel whose multipliers of a column are all zero is skipped (most of them in a
// front that is still a sparse grid stencil, i.e. a leaf). jend = n: the whole Schur update.
// Returns false if a pivot is not positive.
bool schur_panels(double* a, int n, int e, int jend);

// Schur complement of a dense front (a merge: its eliminated columns are dense) onto its
// last n - e nodes: schur_panels on the eliminated columns (the factor L and X = L^-1 K_ek in
// place), then the kept block -= X^T X by Eigen's rank update (rank_update_lower,
// BlockedDense.h: its packed GEMM kernel was faster than an own unpacked register-tiled
// kernel at every size measured, 24 x 8 to 512 x 256). False if not positive definite.
bool schur_dense(double* a, int n, int e);

// schur_panels(a, n, e, n) of a leaf whose whole n x n buffer was zeroed: column updates
// also run over a few rows of the upper triangle so they are whole packets (those entries
// become finite junk, never read; every lower-triangle value is the same as schur_panels').
bool schur_leaf(double* a, int n, int e);

// Fronts reduced together by schur_lanes; element (r, c) of front l is a[(c n + r) kSchurLanes + l].
constexpr int kSchurLanes = 8;

// schur_panels(., n, e, n) of kSchurLanes fronts of the same order n and e at once,
// interleaved element by element, so that one vector instruction does the same operation on
// every front. Why: a leaf (order ~40) is too small for its own column updates to fill the
// vector registers (the single-front kernel ran at ~1.4 flop per cycle, bound by its pivot
// chain and loop control). Every element of every front's lower triangle is computed by the
// same operations in the same order as schur_panels computes it, so the results are bitwise
// the same; below a panel only the rows where one of its columns is non-zero in one of the
// fronts are updated (every other row would add exact zeros, as would the terms
// schur_panels skips for a zero multiplier). Only the lower triangle is read or written.
// "The same operations" includes the compiler's multiply-add contraction (GCC contracts
// a * b + c by default, and this file is not built with -ffp-contract=off): the two kernels
// agree bit for bit when the compiler contracts both alike, which test_schur_kernels checks
// for the build it runs in, not for every compiler and -march.
// False if a pivot of any front is not positive.
bool schur_lanes(double* a, int n, int e);

}  // namespace sotsim::phys
