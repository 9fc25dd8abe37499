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

// Solves finished since the process started (not store hits or shared results): lets tests
// see that concurrent requests for one G solved it once.
long transfer_solves();

}  // namespace sotsim::phys
