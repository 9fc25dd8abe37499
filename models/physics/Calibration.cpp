#include "models/physics/Calibration.h"

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
        Eigen::MatrixXd a(n, 3);
        a.col(0) = readout.col(c);
        a.col(1) = n_active;
        a.col(2).setOnes();
        // Rank-revealing solve: a column with no spread (constant, fully clipped, or
        // collinear with n_b) keeps the parameters it cannot determine at their identity.
        Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
        qr.setThreshold(1e-9);
        if (qr.rank() < 3) {
            // Fall back to an offset-only correction.
            o_(c) = (ideal.col(c) - readout.col(c)).mean();
            continue;
        }
        const Eigen::Vector3d p = qr.solve(ideal.col(c));
        a_(c) = p(0);
        k_(c) = p(1);
        o_(c) = p(2);
    }
    active_ = true;
}

void ColumnCalibration::apply(Eigen::MatrixXd& s, const Eigen::VectorXd& n_active) const {
    if (!active_ || a_.size() != s.cols()) return;
    for (Eigen::Index c = 0; c < s.cols(); ++c) s.col(c) = (a_(c) * s.col(c) + k_(c) * n_active).array() + o_(c);
}

}  // namespace sotsim::phys
