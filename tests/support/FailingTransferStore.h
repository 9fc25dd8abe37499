// A TransferStore that stands for a failing transfer-matrix solve: it misses on every load
// and throws on loads of blocks with `bad_rows` rows (the shape picks which block fails,
// whichever thread solves it first).
#pragma once

#include <stdexcept>

#include "models/physics/TransferStore.h"

namespace sotsim::test {

struct FailingTransferStore : phys::TransferStore {
    int bad_rows;
    explicit FailingTransferStore(int rows) : bad_rows(rows) {}
    bool load(const phys::TransferKey&, int rows, int, Eigen::MatrixXd&) override {
        if (rows == bad_rows) throw std::runtime_error("transfer store: disk gone");
        return false;
    }
    void save(const phys::TransferKey&, const Eigen::MatrixXd&) override {}
};

}  // namespace sotsim::test
