// Random +-1 weight matrices and +-1 input batches for the physics tests (one copy).
#pragma once

#include <Eigen/Dense>

#include "models/physics/Rng.h"

namespace sotsim::phys::testdata {

inline Eigen::MatrixXi pm1(int rows, int cols, Rng& rng) {
    Eigen::MatrixXi w(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
    return w;
}

inline Eigen::MatrixXf signed_inputs(int batch, int rows, Rng& rng) {
    Eigen::MatrixXf x(batch, rows);
    for (int b = 0; b < batch; ++b)
        for (int i = 0; i < rows; ++i) x(b, i) = rng.uniform() < 0.5 ? 1.f : -1.f;
    return x;
}

}  // namespace sotsim::phys::testdata
