// One exact IR-drop transfer matrix M for given conductances, computed once however many
// blocks ask for it at the same time, and through the process's TransferStore.
//
// Why: with the solves of a phase's macros running concurrently (TaskPool.h), two macros
// programmed with the same conductances (same weights on uniform devices, a block
// reprogrammed while its first solve still runs) would otherwise solve the same M twice, and
// both miss the disk cache because neither has saved it yet. Requests are keyed by
// transfer_key (TransferStore.h); the first solves, the others wait for its bytes. Entries
// live only while their solve runs (the disk cache keeps finished ones). Thread-safe.
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

// Since the process started: solves run, and requests that waited for another request's
// solve of the same G instead of solving (lets tests see that concurrent requests for one G
// solved it once).
struct TransferSolveCounts {
    long solves = 0, shared = 0;
};
TransferSolveCounts transfer_solve_counts();

}  // namespace sotsim::phys
