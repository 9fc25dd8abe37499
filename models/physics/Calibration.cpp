#include "models/physics/Calibration.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/physics/MtjDevice.h"

namespace sotsim::phys {

namespace {

// Nominal readout model of one cell: its contribution to S (digit units, relative to the
// nominal baseline of digit 0) as a function of the digit d and the die factor m (every MTJ
// resistance x m; the access transistor does not move).
class CellTransfer {
public:
    CellTransfer(const Config& cfg, int base) : cfg_(cfg), dev_(cfg.device), base_(base) {
        const int l = dev_.levels();
        step_ = base > 1 ? (l - 1) / (base - 1) : 1;
        x0_ = raw(0, 1.0);
        unit_ = (raw(base - 1, 1.0) - x0_) / std::max(1, base - 1);
    }
    // Contribution of a digit-d cell, digit units.
    double c(int d, double m) const { return (raw(d, m) - x0_) / unit_; }
    // Nominal baseline of one active digit-0 row, digit units (G_lo / g_step, r_lo / r_step).
    double baseline() const { return x0_ / unit_; }
    // Least-squares line c(d, m) - d ~ t1 d + t2 over the digits, and its largest residual.
    Eigen::Vector2d line(double m, double* max_residual = nullptr) const {
        Eigen::MatrixXd a(base_, 2);
        Eigen::VectorXd y(base_);
        for (int d = 0; d < base_; ++d) {
            a(d, 0) = d;
            a(d, 1) = 1.0;
            y(d) = c(d, m) - d;
        }
        const Eigen::Vector2d t = a.colPivHouseholderQr().solve(y);
        if (max_residual) *max_residual = (y - a * t).cwiseAbs().maxCoeff();
        return t;
    }

private:
    double raw(int d, double m) const {
        const bool current = cfg_.array.summation == Summation::Current;
        const int top = dev_.levels() - 1;
        CellSample s = dev_.nominal(current ? top - d * step_ : d * step_);
        s.r_p_part *= m;
        s.r_ap_part *= m;
        return current ? 1.0 / dev_.cell_resistance(s, cfg_.array.v_read) : s.r_p_part + s.r_ap_part;
    }
    const Config& cfg_;
    MtjDevice dev_;
    int base_, step_ = 1;
    double x0_ = 0.0, unit_ = 1.0;
};

Eigen::MatrixXd loadings(const std::vector<Eigen::Vector3d>& f) {
    Eigen::MatrixXd l(3, static_cast<Eigen::Index>(f.size()));
    for (size_t k = 0; k < f.size(); ++k) l.col(static_cast<Eigen::Index>(k)) = f[k];
    return l;
}

// XNOR bit cells (resistance summation). The column reads the series resistance of every
// array row's selected MTJ: the weight MTJ where b_i = 1, the complement where b_i = 0,
// and the selected (matching) MTJ of each of the N - K rows the block leaves unused. With
// S = (n_b + U - m) / 2 and m = (R - N R_match) / dR, a resistance error E of the column
// moves S by -E / (2 dR), and with e_w,i / e_c,i the d2d errors of row i's two MTJs,
//   E = sum_idle e + sum_i e_c,i + sum_i b_i d_i,   d_i = e_w,i - e_c,i,
// so: the offset t3 carries the unused rows and the complements (variance
// (N - K) vP + K (vP + vA) / 2, half the complements P, half AP); the input-dependent part
// b.d splits into the mean of d over digit-0 rows, which multiplies n_b - S (t2, and t1 by
// minus as much), and over digit-1 rows, which multiplies S (t1), each a mean over ~K/2
// rows of variance vP + vA. A die shift x m moves every MTJ: E = (m - 1)(N R_P + m dR),
// i.e. t1 = (m - 1), t2 = -(m - 1) / 2, t3 = -(m - 1)(N R_P / dR + U) / 2 (U ~ K / 2).
Eigen::MatrixXd xnor_prior(const Config& cfg, const ReadoutGeometry& geo) {
    std::vector<Eigen::Vector3d> f;
    const MtjDevice dev(cfg.device);
    const double rp = dev.level_resistance0(0), rap = dev.level_resistance0(dev.levels() - 1), dr = rap - rp;
    const double n = cfg.array.rows, k = std::max(1, geo.rows), idle = std::max(0.0, n - k);
    const double vp = std::pow(cfg.device.sigma_p * rp, 2), va = std::pow(cfg.device.sigma_ap * rap, 2);
    if (vp + va > 0.0) {
        const double s_off = std::sqrt(idle * vp + k * 0.5 * (vp + va)) / (2.0 * dr);
        const double s_row = std::sqrt((vp + va) / std::max(1.0, 0.5 * k)) / (2.0 * dr);
        f.emplace_back(0.0, 0.0, s_off);
        f.emplace_back(-s_row, s_row, 0.0);
        f.emplace_back(s_row, 0.0, 0.0);
    }
    const double sd_m = cfg.device.sigma_macro;
    if (sd_m > 0.0) f.emplace_back(sd_m, -0.5 * sd_m, -0.5 * sd_m * (n * rp / dr + 0.5 * k));
    return loadings(f);
}

}  // namespace

Eigen::MatrixXd calibration_prior(const Config& cfg, const ReadoutGeometry& geo) {
    if (cfg.array.summation == Summation::Resistance && cfg.array.cell == CellKind::Xnor2T2Mtj) return xnor_prior(cfg, geo);
    std::vector<Eigen::Vector3d> f;  // one loading x sigma per independent source
    auto add = [&f](double t1, double t2, double t3) {
        if (t1 != 0.0 || t2 != 0.0 || t3 != 0.0) f.emplace_back(t1, t2, t3);
    };
    const CellTransfer ct(cfg, geo.base);
    const double b0 = ct.baseline();
    const double ref = geo.reference ? 1.0 : 0.0;

    // Die shift: derivative of the column's (gain, baseline) line w.r.t. the die factor. A
    // reference column (all digit 0) moves with it and cancels its baseline part.
    const double sd_m = cfg.device.sigma_macro;
    if (sd_m > 0.0) {
        const double h = 1e-4;
        const Eigen::Vector2d dt = (ct.line(1.0 + h) - ct.line(1.0 - h)) / (2.0 * h);
        const double dref = (ct.c(0, 1.0 + h) - ct.c(0, 1.0 - h)) / (2.0 * h);
        add(sd_m * dt(0), sd_m * (dt(1) - ref * dref), 0.0);
    }

    // Multi-level stacks: the nominal levels are not equally spaced in conductance
    // (series MTJs), a known deterministic bend; its best line and the scatter around it.
    if (geo.base > 2) {
        double res = 0.0;
        const Eigen::Vector2d nl = ct.line(1.0, &res);
        add(nl(0), nl(1), 0.0);
        add(res / (geo.base - 1), 0.0, 0.0);
        add(0.0, res, 0.0);
    }

    // Device-to-device: the column's mean cell deviates from nominal by cv / sqrt(cells)
    // (separately for its digit-0 cells, the baseline, and its signal cells, the gain); the
    // mean conductance of lognormal resistances is also biased by ~cv^2.
    const auto& dv = cfg.device;
    const double cv = dv.level_resistances.empty() ? std::max(dv.sigma_p, dv.sigma_ap) / std::sqrt(std::max(1, dv.stack))
                                                   : std::max(dv.sigma_p, dv.sigma_ap);
    if (cv > 0.0) {
        const double per_digit = std::sqrt(static_cast<double>(geo.base) / std::max(1, geo.rows));
        const double top = (ct.c(geo.base - 1, 1.0) + b0) / std::max(1, geo.base - 1);
        add(cv * top * per_digit, 0.0, 0.0);
        add(0.0, cv * b0 * per_digit, 0.0);
        if (geo.reference) add(0.0, cv * b0 / std::sqrt(std::max(1, geo.rows)), 0.0);
        add(cv * cv, cv * cv * b0 * (1.0 - ref), 0.0);
    }

    // Column ADC: gain error multiplies the whole converter input S* + kappa n_b, offset
    // and INL bow add; a reference column has its own converter.
    if (geo.converter && cfg.array.summation == Summation::Current) {
        const auto& a = cfg.periphery.adc;
        if (a.gain_sigma > 0.0) {
            add(a.gain_sigma, a.gain_sigma * geo.kappa, 0.0);
            if (geo.reference) add(0.0, -a.gain_sigma * geo.kappa, 0.0);
        }
        if (a.offset_sigma > 0.0) {
            add(0.0, 0.0, a.offset_sigma * geo.lsb);
            if (geo.reference) add(0.0, 0.0, a.offset_sigma * geo.lsb);
        }
        if (a.inl > 0.0 && geo.hi > geo.lo) {
            const double slope = 4.0 * a.inl * geo.lsb / (geo.hi - geo.lo);
            add(slope, slope * geo.kappa * (1.0 - ref), 0.0);
            add(0.0, 0.0, a.inl * geo.lsb);
        }
    }

    // IR drop: pattern-dependent attenuation of the column current, first order
    // r_wire G N^2 / 2 relative (far-end estimate), acting on signal and baseline.
    if (cfg.array.ir_drop != IrDropMode::Off && cfg.array.summation == Summation::Current) {
        const CellSample allp = MtjDevice(cfg.device).nominal(0);
        const double g_hi = 1.0 / MtjDevice(cfg.device).cell_resistance(allp, cfg.array.v_read);
        const double eps = 0.5 * g_hi *
                           (cfg.array.r_wire_col * geo.rows * geo.rows + cfg.array.r_wire_row * cfg.array.cols * cfg.array.cols);
        add(eps, eps * b0, 0.0);
        add(0.0, eps * b0, 0.0);
    }

    return loadings(f);
}

void ColumnCalibration::reset(int cols) {
    a_ = Eigen::VectorXd::Ones(cols);
    k_ = Eigen::VectorXd::Zero(cols);
    o_ = Eigen::VectorXd::Zero(cols);
    active_ = false;
    noise_var_ = 0.0;
}

void ColumnCalibration::fit(const Eigen::MatrixXd& readout, const Eigen::MatrixXd& ideal, const Eigen::VectorXd& n_active,
                            const Eigen::MatrixXd& prior, const ReadoutGeometry& geo) {
    const Eigen::Index n = readout.rows(), cols = readout.cols();
    reset(static_cast<int>(cols));
    active_ = true;
    if (n < 1 || prior.cols() == 0) return;  // nothing configured varies: identity

    // Total gain sigma of the prior, for the conservative clipping margin of reference layouts.
    const double g_sd = prior.row(0).norm(), o_sd = prior.row(2).norm();

    // Samples per column that did not hit an end code of the converter.
    std::vector<std::vector<Eigen::Index>> keep(static_cast<size_t>(cols));
    for (Eigen::Index c = 0; c < cols; ++c) {
        auto& k = keep[static_cast<size_t>(c)];
        k.reserve(static_cast<size_t>(n));
        for (Eigen::Index r = 0; r < n; ++r) {
            bool ok = true;
            if (geo.converter && geo.hi > geo.lo) {
                const double half = 0.5 * geo.lsb;
                if (!geo.reference) {
                    // Measured converter input (the readout before baseline removal).
                    const double x = readout(r, c) + geo.kappa * n_active(r) + (geo.shift.size() ? geo.shift(c) : 0.0);
                    ok = x > geo.lo + half && x < geo.hi - half;
                } else {
                    // The reference's own code is not visible here: select on the truth
                    // with a 3-sigma margin (selection on the truth does not bias the fit).
                    const double xc = ideal(r, c) + geo.kappa * n_active(r), xr = geo.kappa * n_active(r);
                    const double m = 3.0 * o_sd + geo.lsb;
                    ok = xc * (1.0 + 3.0 * g_sd) + m < geo.hi && xr * (1.0 - 3.0 * g_sd) - m > geo.lo;
                }
            }
            if (ok) k.push_back(r);
        }
    }
    // Three regressors (S*, n_b, 1): a fixed column count keeps the QR's temporaries off the heap.
    using Design = Eigen::Matrix<double, Eigen::Dynamic, 3>;
    auto design = [&](Eigen::Index c, Design& x, Eigen::VectorXd& y) {
        const auto& k = keep[static_cast<size_t>(c)];
        x.resize(static_cast<Eigen::Index>(k.size()), 3);
        y.resize(static_cast<Eigen::Index>(k.size()));
        for (size_t j = 0; j < k.size(); ++j) {
            const Eigen::Index r = k[j], i = static_cast<Eigen::Index>(j);
            x(i, 0) = ideal(r, c);
            x(i, 1) = n_active(r);
            x(i, 2) = 1.0;
            y(i) = readout(r, c) - ideal(r, c);
        }
    };

    // Per-sample noise (quantisation, read noise, d2d of the particular active cells),
    // pooled over columns from unconstrained least-squares residuals. One QR workspace for
    // every column (compute() reuses it: the same factorisation, no allocation per column).
    double ss = 0.0, dof = 0.0;
    Design x;
    Eigen::VectorXd y;
    Eigen::ColPivHouseholderQR<Design> qr(n, 3);
    qr.setThreshold(1e-9);
    for (Eigen::Index c = 0; c < cols; ++c) {
        const auto& k = keep[static_cast<size_t>(c)];
        if (k.empty()) continue;
        // A column that reads 0 and should read 0 on every kept sample (the - column of a
        // differential pair, which the converter never reads apart: half the columns of such
        // a block) has y = 0 and a zero first regressor, so its least-squares residual is
        // exactly 0 and only its degrees of freedom count: the kept samples minus the rank of
        // [n_b, 1], which is 2 unless n_b is the same on every kept sample. The QR gives the
        // same, at the cost of a factorisation and a solve per column, except where n_b's
        // spread is below its relative 1e-9 rank threshold (counts of ~1e4 with a single
        // sample off by one), where its numerical rank is 1 and this count the exact 2.
        bool zero = true;
        bool spread = false;
        for (const Eigen::Index r : k) {
            zero = zero && readout(r, c) == 0.0 && ideal(r, c) == 0.0;
            spread = spread || n_active(r) != n_active(k.front());
        }
        if (zero) {
            const Eigen::Index free = static_cast<Eigen::Index>(k.size()) - (spread ? 2 : 1);
            if (free > 0) dof += static_cast<double>(free);
            continue;
        }
        design(c, x, y);
        qr.compute(x);
        const Eigen::Index free = x.rows() - qr.rank();
        if (free <= 0) continue;
        ss += (y - x * qr.solve(y)).squaredNorm();
        dof += static_cast<double>(free);
    }
    noise_var_ = std::max(dof > 0.0 ? ss / dof : 0.0, geo.converter ? geo.lsb * geo.lsb / 12.0 : 0.0);
    noise_var_ = std::max(noise_var_, 1e-12);

    // MAP: t = L z, z ~ N(0, I); minimise |y - X L z|^2 / s2 + |z|^2, i.e.
    //   t = L (L^T G L + s2 I)^-1 L^T b,   G = X^T X (3 x 3), b = X^T y,
    // which is (C G + s2 I)^-1 C b with C = L L^T (push-through identity; C G + s2 I is
    // invertible: its eigenvalues are s2 plus those of C G, similar to the PSD
    // G^1/2 C G^1/2). A 3 x 3 solve per column from the column's sums, instead of forming
    // X L (n x K) and its K x K normal matrix.
    const Eigen::Matrix3d cc = prior * prior.transpose();
    for (Eigen::Index c = 0; c < cols; ++c) {
        const auto& k = keep[static_cast<size_t>(c)];
        if (k.empty()) continue;
        Eigen::Matrix3d g = Eigen::Matrix3d::Zero();
        Eigen::Vector3d b = Eigen::Vector3d::Zero();
        for (const Eigen::Index r : k) {
            const Eigen::Vector3d xr(ideal(r, c), n_active(r), 1.0);
            const double yr = readout(r, c) - ideal(r, c);
            g.noalias() += xr * xr.transpose();
            b += yr * xr;
        }
        Eigen::Matrix3d m = cc * g;
        m.diagonal().array() += noise_var_;
        const Eigen::Vector3d t = m.fullPivLu().solve(cc * b);
        if (!(1.0 + t(0) > 0.05) || !t.allFinite()) continue;  // no usable gain: keep identity
        a_(c) = 1.0 / (1.0 + t(0));
        k_(c) = -t(1) * a_(c);
        o_(c) = -t(2) * a_(c);
    }
}

void ColumnCalibration::apply(Eigen::MatrixXd& s, const Eigen::VectorXd& n_active) const {
    if (!active_ || a_.size() != s.cols()) return;
    for (Eigen::Index c = 0; c < s.cols(); ++c) s.col(c) = (a_(c) * s.col(c) + k_(c) * n_active).array() + o_(c);
}

}  // namespace sotsim::phys
