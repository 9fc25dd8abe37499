// One exact IR-drop transfer matrix M for given conductances, computed once however many
// blocks ask for it, and through the process's TransferStore.
//
// Why: with the solves of a phase's macros running concurrently (TaskPool.h), two macros
// programmed with the same conductances (same weights on uniform devices, a block
// reprogrammed while its first solve still runs) would otherwise solve the same M twice, and
// both miss the disk cache because neither has saved it yet; and a time-multiplexed block
// reprogrammed once per batch with the same conductances asks for the same M every batch.
// Requests are keyed by transfer_key (TransferStore.h): the first solves, the others wait
// for its bytes; finished matrices stay in memory (bounded, least recently used dropped, in
// TransferSolve.cpp), so equal conductances are solved once per process even with the disk
// cache off. A request gets the solver's own bytes either way. Thread-safe.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <memory>

#include "models/physics/TransferStore.h"

namespace sotsim::phys {

// M (cols x rows) of cell conductances g (rows x cols) with wire resistances r_row, r_col
// (> 0): from `store` if it holds it, else solved with `threads` threads (IrDropSchur.h; M
// is bitwise the same for any count) and saved to `store`. A solve's exception reaches
// every request that waited for it.
Eigen::MatrixXd transfer_matrix_once(const Eigen::MatrixXd& g, double r_row, double r_col,
                                     const std::shared_ptr<TransferStore>& store, int threads);
// The same request's M^T (rows x cols), the layout a crossbar reads: one immutable matrix per
// G, shared by the memory kept here and every array that holds it (a chip of time-multiplexed
// blocks keeps each block's M once, not once here and once per array).
std::shared_ptr<const Eigen::MatrixXd> transfer_matrix_t_once(const Eigen::MatrixXd& g, double r_row, double r_col,
                                                              const std::shared_ptr<TransferStore>& store, int threads);

// Drops the finished matrices kept in memory (requests then go to the store or the solver
// again): for tests of the store, and for a process that wants the memory back.
void forget_kept_transfers();

// Since the process started: solves run, and requests served by another request's solve
// of the same G (in flight or kept) instead of solving (lets tests see that concurrent requests for one G
// solved it once).
struct TransferSolveCounts {
    long solves = 0, shared = 0;
};
TransferSolveCounts transfer_solve_counts();

}  // namespace sotsim::phys
