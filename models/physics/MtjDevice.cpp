#include "models/physics/MtjDevice.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/physics/VectorMath.h"

namespace sotsim::phys {

MtjDevice::MtjDevice(const DeviceConfig& d) : d_(d) {
    if (d.ra > 0.0 && d.diameter > 0.0) {
        r_p_ = d.ra / (M_PI * d.diameter * d.diameter / 4.0);
    } else {
        r_p_ = d.r_p;
    }
    if (!(r_p_ > 0.0)) throw std::invalid_argument("device: R_P must be positive");
    if (d.tmr < 0.0) throw std::invalid_argument("device: tmr must be >= 0");
    if (!d.level_resistances.empty()) {
        levels_ = static_cast<int>(d.level_resistances.size());
        if (levels_ < 2) throw std::invalid_argument("device: level_resistances needs >= 2 levels");
        for (int k = 1; k < levels_; ++k)
            if (!(d.level_resistances[k] > d.level_resistances[k - 1]))
                throw std::invalid_argument("device: level_resistances must be strictly ascending");
    } else {
        if (d.stack < 1) throw std::invalid_argument("device: stack must be >= 1");
        levels_ = d.stack + 1;
    }
    p_dist_ = Rng::LogNormal::of(r_p_, d_.sigma_p);
    ap_dist_ = Rng::LogNormal::of(r_ap0(), d_.sigma_ap);
    if (explicit_levels())
        for (int k = 0; k < levels_; ++k) {
            const double f = levels_ > 1 ? static_cast<double>(k) / (levels_ - 1) : 0.0;
            level_dist_.push_back(Rng::LogNormal::of(d_.level_resistances[k], d_.sigma_p + f * (d_.sigma_ap - d_.sigma_p)));
        }
    const int mtjs = mtjs_per_cell();
    // Sized once: a chip builds several devices per programmed block (array, writer,
    // calibration prior), and growing the table entry by entry reallocated it each time.
    mtj_dist_.reserve(static_cast<std::size_t>(levels_) * static_cast<std::size_t>(mtjs));
    for (int k = 0; k < levels_; ++k)
        for (int t = 0; t < mtjs; ++t) {
            mtj_dist_.push_back(explicit_levels() ? level_dist_[static_cast<std::size_t>(k)] : t < k ? ap_dist_ : p_dist_);
            any_degenerate_ = any_degenerate_ || mtj_dist_.back().degenerate;
        }
}

double MtjDevice::tmr_at(double v_mtj) const {
    if (d_.tmr_v_half <= 0.0) return d_.tmr;
    const double x = v_mtj / d_.tmr_v_half;
    return d_.tmr / (1.0 + x * x);
}

double MtjDevice::level_resistance0(int k) const {
    const CellSample s = nominal(k);
    return s.r_p_part + s.r_ap_part;
}

CellSample MtjDevice::nominal(int k) const {
    if (k < 0 || k >= levels_) throw std::out_of_range("device: level " + std::to_string(k) + " out of range");
    CellSample s;
    if (explicit_levels()) {
        s.r_p_part = d_.level_resistances[k];
        return s;
    }
    s.n_ap = k;
    s.r_p_part = (d_.stack - k) * r_p_;
    s.r_ap_part = k * r_ap0();
    return s;
}

void MtjDevice::sample_cells(const int* levels, const std::uint64_t* keys, std::size_t n, double macro_factor,
                             CellSample* out) const {
    // The draws of sample(k, Rng(key), f) for a fresh stream, cell by cell: MTJ m of the cell
    // takes the cell's m-th standard normal among the non-degenerate ones (Box-Muller pairs
    // from counters 1, 2, 3, ...: cos variate first), then exp(mu + sigma z) x f. Blocks of
    // cells go through the vector exp / log / sin / cos (VectorMath.h); MTJ t of the block's
    // cells is row t of the exponent and result buffers.
    for (std::size_t c = 0; c < n; ++c)
        if (levels[c] < 0 || levels[c] >= levels_)
            throw std::out_of_range("device: level " + std::to_string(levels[c]) + " out of range");
    const int mtjs = mtjs_per_cell();
    const int pairs = (mtjs + 1) / 2;
    constexpr std::size_t kBlock = 128;
    double u1[kBlock], u2[kBlock], lg[kBlock], sn[kBlock], cs[kBlock];
    std::vector<double> z(static_cast<std::size_t>(2 * pairs) * kBlock), arg(static_cast<std::size_t>(mtjs) * kBlock),
        x(static_cast<std::size_t>(mtjs) * kBlock);
    const bool explicit_lv = explicit_levels();
    for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
        const std::size_t m = std::min(kBlock, n - c0);
        const int* lv = levels + c0;
        for (int p = 0; p < pairs; ++p) {
            for (std::size_t i = 0; i < m; ++i) {
                u1[i] = Rng::uniform_open_at(keys[c0 + i], static_cast<std::uint64_t>(2 * p + 1));
                u2[i] = Rng::uniform_at(keys[c0 + i], static_cast<std::uint64_t>(2 * p + 2)) * (2.0 * M_PI);
            }
            vmath::log(u1, lg, m);
            vmath::sincos(u2, sn, cs, m);
            double* zc = z.data() + static_cast<std::size_t>(2 * p) * kBlock;
            double* zs = zc + kBlock;
            for (std::size_t i = 0; i < m; ++i) {
                const double r = std::sqrt(-2.0 * lg[i]);
                zc[i] = r * cs[i];
                zs[i] = r * sn[i];
            }
        }
        if (!any_degenerate_) {
            // Every MTJ draws: MTJ t takes normal t.
            for (int t = 0; t < mtjs; ++t) {
                const std::size_t row = static_cast<std::size_t>(t) * kBlock;
                for (std::size_t i = 0; i < m; ++i) {
                    const Rng::LogNormal& d = mtj_dist_[static_cast<std::size_t>(lv[i] * mtjs + t)];
                    arg[row + i] = d.mu + d.sigma * z[row + i];
                }
            }
        } else {
            for (std::size_t i = 0; i < m; ++i) {
                int used = 0;
                for (int t = 0; t < mtjs; ++t) {
                    const Rng::LogNormal& d = mtj_dist_[static_cast<std::size_t>(lv[i] * mtjs + t)];
                    arg[static_cast<std::size_t>(t) * kBlock + i] =
                        d.degenerate ? 0.0 : d.mu + d.sigma * z[static_cast<std::size_t>(used++) * kBlock + i];
                }
            }
        }
        for (int t = 0; t < mtjs; ++t) {
            const std::size_t row = static_cast<std::size_t>(t) * kBlock;
            vmath::exp(arg.data() + row, x.data() + row, m);
        }
        // The cells' P and AP sums, MTJ by MTJ over the block: MTJ t of a level-k stack is AP
        // for t < k. Every MTJ adds to one sum and 0.0 to the other, in MTJ order, so each
        // sum is the one the per-cell loop formed (x + 0.0 == x for the positive resistances)
        // without a branch per MTJ on the cell's level (random data: mispredicted, ~60 % of
        // this function's time).
        double* rp = u1;   // reused: u1 / u2 are not read after the normals
        double* rap = u2;
        for (std::size_t i = 0; i < m; ++i) rp[i] = rap[i] = 0.0;
        for (int t = 0; t < mtjs; ++t) {
            const double* xt = x.data() + static_cast<std::size_t>(t) * kBlock;
            if (!any_degenerate_) {
                for (std::size_t i = 0; i < m; ++i) {
                    const double r = macro_factor * xt[i];
                    const bool ap = !explicit_lv && t < lv[i];
                    rp[i] += ap ? 0.0 : r;
                    rap[i] += ap ? r : 0.0;
                }
            } else {
                for (std::size_t i = 0; i < m; ++i) {
                    const Rng::LogNormal& d = mtj_dist_[static_cast<std::size_t>(lv[i] * mtjs + t)];
                    const double r = macro_factor * (d.degenerate ? d.mean : xt[i]);
                    const bool ap = !explicit_lv && t < lv[i];
                    rp[i] += ap ? 0.0 : r;
                    rap[i] += ap ? r : 0.0;
                }
            }
        }
        for (std::size_t i = 0; i < m; ++i) {
            CellSample& s = out[c0 + i];
            s.r_p_part = rp[i];
            s.r_ap_part = rap[i];
            s.n_ap = explicit_lv ? 0 : lv[i];
        }
    }
}

double MtjDevice::cell_resistance(const CellSample& s, double v_cell) const {
    const double r0 = zero_bias_resistance(s);
    if (d_.tmr_v_half <= 0.0 || s.n_ap == 0 || v_cell == 0.0) return r0;
    // R_ap(V) = R_ap(0) * (1 + TMR(V)) / (1 + TMR0) per AP MTJ. Fixed point on the voltage
    // across one AP MTJ; the map is a contraction (R_ap decreases with |V|, which lowers
    // its voltage share), so plain iteration converges in a few steps.
    const double scale0 = 1.0 + d_.tmr;
    double r_ap = s.r_ap_part;
    for (int it = 0; it < 100; ++it) {
        const double r_cell = s.r_p_part + r_ap + d_.r_access;
        const double v_ap1 = v_cell * (r_ap / s.n_ap) / r_cell;
        const double next = s.r_ap_part * (1.0 + tmr_at(v_ap1)) / scale0;
        if (std::abs(next - r_ap) <= 1e-13 * r_ap) {
            r_ap = next;
            break;
        }
        r_ap = next;
    }
    return s.r_p_part + r_ap + d_.r_access;
}

int MtjDevice::sample_fault(Rng& rng) const {
    if (d_.stuck_p_rate <= 0.0 && d_.stuck_ap_rate <= 0.0) return -1;
    const double u = rng.uniform();
    if (u < d_.stuck_p_rate) return 0;
    if (u < d_.stuck_p_rate + d_.stuck_ap_rate) return levels_ - 1;
    return -1;
}

}  // namespace sotsim::phys
