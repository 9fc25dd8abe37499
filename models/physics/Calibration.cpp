#include "models/physics/Calibration.h"

#include <cmath>

namespace sotsim::phys {

void ColumnCalibration::reset(int cols) {
    a_ = Eigen::VectorXd::Ones(cols);
    k_ = Eigen::VectorXd::Zero(cols);
    o_ = Eigen::VectorXd::Zero(cols);
    active_ = false;
}

void ColumnCalibration::fit(const Eigen::MatrixXd& readout, const Eigen::MatrixXd& ideal, const Eigen::VectorXd& n_active) {
    const Eigen::Index n = readout.rows(), cols = readout.cols();
    reset(static_cast<int>(cols));
    if (n < 4) return;
    for (Eigen::Index c = 0; c < cols; ++c) {
        // Classical calibration: model the readout as a function of the known truth,
        //   S = alpha S* + beta n_b + gamma + noise,
        // and invert it. Regressing S* on the noisy S instead (inverse regression) is
        // biased: quantisation and read noise in the regressor shrink the fitted gain by
        // var(S*) / (var(S*) + var(noise)), a systematic error on every later readout.
        Eigen::MatrixXd a(n, 3);
        a.col(0) = ideal.col(c);
        a.col(1) = n_active;
        a.col(2).setOnes();
        // Rank-revealing solve: a column with no spread in S* (all digits 0, e.g. the
        // reference column) or whose S* is collinear with n_b cannot determine alpha.
        Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
        qr.setThreshold(1e-9);
        if (qr.rank() < 3) {
            // S* proportional to n_b (every cell of the column at the same digit): alpha and
            // beta act alike, fit S = alpha S* + gamma; no spread at all: offset only.
            Eigen::MatrixXd a2(n, 2);
            a2.col(0) = ideal.col(c);
            a2.col(1).setOnes();
            Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr2(a2);
            qr2.setThreshold(1e-9);
            const Eigen::Vector2d p2 = qr2.rank() == 2 ? Eigen::Vector2d(qr2.solve(readout.col(c))) : Eigen::Vector2d(0.0, 0.0);
            if (std::abs(p2(0)) > 1e-6) {
                a_(c) = 1.0 / p2(0);
                o_(c) = -p2(1) / p2(0);
            } else {
                o_(c) = (ideal.col(c) - readout.col(c)).mean();
            }
            continue;
        }
        const Eigen::Vector3d p = qr.solve(readout.col(c));
        if (!(std::abs(p(0)) > 1e-6)) {
            o_(c) = (ideal.col(c) - readout.col(c)).mean();
            continue;
        }
        // S* = (S - beta n_b - gamma) / alpha.
        a_(c) = 1.0 / p(0);
        k_(c) = -p(1) / p(0);
        o_(c) = -p(2) / p(0);
    }
    active_ = true;
}

void ColumnCalibration::apply(Eigen::MatrixXd& s, const Eigen::VectorXd& n_active) const {
    if (!active_ || a_.size() != s.cols()) return;
    for (Eigen::Index c = 0; c < s.cols(); ++c) s.col(c) = (a_(c) * s.col(c) + k_(c) * n_active).array() + o_(c);
}

}  // namespace sotsim::phys
