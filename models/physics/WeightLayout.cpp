#include "models/physics/WeightLayout.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace sotsim::phys {

WeightLayout::WeightLayout(WeightEncoding enc, MultiBitMode mode, int weight_bits, int levels)
    : enc_(enc), bits_(weight_bits) {
    if (weight_bits < 1 || weight_bits > 16) throw std::invalid_argument("weight_bits must be in 1..16");
    base_ = mode == MultiBitMode::MultiLevel ? levels : 2;
    if (base_ < 2) throw std::invalid_argument("multi_level needs a device with >= 2 levels");
    long max_mag;
    if (enc == WeightEncoding::Differential) {
        max_mag = weight_bits == 1 ? 1 : (1L << (weight_bits - 1)) - 1;
    } else {
        max_mag = weight_bits == 1 ? 1 : (1L << weight_bits) - 2;
        scale_ = weight_bits == 1 ? 2.0 : 1.0;
        offset_ = weight_bits == 1 ? 1.0 : static_cast<double>((1L << (weight_bits - 1)) - 1);
    }
    auto digits_for = [max_mag](long b) {
        int d = 1;
        for (long cap = b - 1; cap < max_mag; cap = cap * b + (b - 1)) ++d;
        return d;
    };
    digits_ = digits_for(base_);
    if (mode == MultiBitMode::MultiLevel) {
        // Use the fewest cells (base = levels), then the smallest base that still fits the
        // magnitude in that many cells and whose digits sit on equally spaced levels
        // ((levels-1) % (base-1) == 0): the digits then span the cell's whole window.
        // E.g. binary weights in a 5-level stack use levels 0 and 4, not 0 and 1, which
        // would waste 3/4 of the conductance window (and of the ADC range) per digit.
        for (long b = 2; b < base_; ++b)
            if ((levels - 1) % (b - 1) == 0 && digits_for(b) == digits_) {
                base_ = static_cast<int>(b);
                break;
            }
    }
    per_logical_ = digits_ * (enc == WeightEncoding::Differential ? 2 : 1);
}

WeightLayout WeightLayout::from_config(const Config& cfg, int weight_bits, int levels) {
    return WeightLayout(cfg.array.weight_encoding, cfg.array.multibit, weight_bits, levels);
}

int WeightLayout::logical_cols_fitting(int physical) const {
    const int avail = physical - (has_reference() ? 1 : 0);
    return avail > 0 ? avail / per_logical_ : 0;
}

std::vector<ColumnRole> WeightLayout::roles(int logical_cols) const {
    std::vector<ColumnRole> r(physical_cols(logical_cols));
    for (int j = 0; j < logical_cols; ++j) {
        for (int h = 0; h < per_logical_ / digits_; ++h) {
            double place = 1.0;
            for (int d = 0; d < digits_; ++d, place *= base_) {
                ColumnRole& c = r[j * per_logical_ + h * digits_ + d];
                c.logical = j;
                c.sign = h == 0 ? 1 : -1;
                c.place = place;
            }
        }
    }
    return r;
}

void WeightLayout::check(const Eigen::MatrixXi& w) const {
    const int lim = bits_ == 1 ? 1 : (1 << (bits_ - 1)) - 1;
    // A pass in storage order first; only a block with a bad weight is searched again in row
    // order, so the message names the same (first row-major) weight as before.
    bool all_ok = true;
    for (Eigen::Index k = 0; k < w.size(); ++k) {
        const int v = w.data()[k];
        all_ok &= bits_ == 1 ? (v == 1 || v == -1) : std::abs(v) <= lim;
    }
    if (all_ok) return;
    for (Eigen::Index i = 0; i < w.rows(); ++i)
        for (Eigen::Index j = 0; j < w.cols(); ++j) {
            const int v = w(i, j);
            const bool ok = bits_ == 1 ? (v == 1 || v == -1) : std::abs(v) <= lim;
            if (!ok)
                throw std::invalid_argument("weight " + std::to_string(v) + " at (" + std::to_string(i) + "," + std::to_string(j) +
                                            ") is outside the " + std::to_string(bits_) + "-bit weight domain");
        }
}

Eigen::MatrixXi WeightLayout::encode(const Eigen::MatrixXi& w) const {
    check(w);
    const int n = static_cast<int>(w.cols());
    Eigen::MatrixXi d = Eigen::MatrixXi::Zero(w.rows(), physical_cols(n));
    // The base-b digits of every magnitude a weight of up to 8 bits can have, in a table
    // made here (at most 255 x 8 bytes): a digit loop per weight with its early exits
    // branches on random weight data (mispredicted, 3 % of the demo's 1-sample run).
    constexpr long kTableMags = 256;
    unsigned char table[kTableMags * 8];
    const long max_mag = enc_ == WeightEncoding::Differential ? (bits_ == 1 ? 1 : (1L << (bits_ - 1)) - 1)
                                                              : (bits_ == 1 ? 1 : (1L << bits_) - 2);
    const bool tabled = max_mag < kTableMags && digits_ <= 8 && base_ <= 255;
    if (tabled)
        for (long m = 0; m <= max_mag; ++m) {
            long r = m;
            for (int k = 0; k < digits_; ++k, r /= base_) table[m * digits_ + k] = static_cast<unsigned char>(r % base_);
        }
    if (tabled && enc_ == WeightEncoding::Differential) {
        // Signed weights on column pairs (the differential presets): check() bounded every
        // |weight| by max_mag, so both magnitudes are in the table; the u+ digits, then the u-.
        const int digits = digits_, per_logical = per_logical_;
        const Eigen::Index rows = w.rows();
        const bool one_bit = bits_ == 1;
        int* dd = d.data();
        for (int j = 0; j < n; ++j) {
            int* plus = dd + static_cast<Eigen::Index>(j * per_logical) * rows;
            int* minus = plus + static_cast<Eigen::Index>(digits) * rows;
            const int* wj = w.col(j).data();
            for (Eigen::Index i = 0; i < rows; ++i) {
                const int v = wj[i];
                const long mp = one_bit ? (v + 1) / 2 : std::max(v, 0);
                const long mm = one_bit ? (1 - v) / 2 : std::max(-v, 0);
                const unsigned char* tp = table + mp * digits;
                const unsigned char* tm = table + mm * digits;
                for (int k = 0; k < digits; ++k) {
                    plus[k * rows + i] = tp[k];
                    minus[k * rows + i] = tm[k];
                }
            }
        }
        return d;
    }
    // Column by column: w and d are column-major, and every digit is a function of its weight.
    // The layout's sizes in locals: the digit stores (int) could alias the members, which
    // the compiler then reloaded after every store.
    const int digits = digits_, per_logical = per_logical_, base = base_;
    const Eigen::Index rows = w.rows();
    int* dd = d.data();
    for (int j = 0; j < n; ++j) {
        for (Eigen::Index i = 0; i < rows; ++i) {
            const int v = w(i, j);
            long mags[2];
            int halves;
            if (enc_ == WeightEncoding::Differential) {
                mags[0] = bits_ == 1 ? (v + 1) / 2 : std::max(v, 0);
                mags[1] = bits_ == 1 ? (1 - v) / 2 : std::max(-v, 0);
                halves = 2;
            } else {
                mags[0] = std::lround((v + offset_) / scale_);
                halves = 1;
            }
            for (int h = 0; h < halves; ++h) {
                long m = mags[h];
                int* col = dd + static_cast<Eigen::Index>(j * per_logical + h * digits) * rows + i;   // digit k at col[k * rows]
                if (tabled && m >= 0 && m <= max_mag) {
                    const unsigned char* t = table + m * digits;
                    for (int k = 0; k < digits; ++k) col[k * rows] = t[k];
                    continue;
                }
                // d is zero: the digits past the last nonzero one stay 0, and a magnitude
                // below the base is its own digit.
                for (int k = 0; k < digits && m != 0; ++k) {
                    if (m > 0 && m < base) {
                        col[k * rows] = static_cast<int>(m);
                        break;
                    }
                    col[k * rows] = static_cast<int>(m % base);
                    m /= base;
                }
            }
        }
    }
    return d;
}

Eigen::MatrixXi WeightLayout::decode(const Eigen::MatrixXi& d, int logical_cols) const {
    Eigen::MatrixXi w(d.rows(), logical_cols);
    const auto r = roles(logical_cols);
    for (Eigen::Index i = 0; i < d.rows(); ++i) {
        for (int j = 0; j < logical_cols; ++j) {
            double acc = 0.0;
            for (int k = 0; k < per_logical_; ++k) {
                const int c = j * per_logical_ + k;
                acc += r[c].sign * r[c].place * d(i, c);
            }
            w(i, j) = static_cast<int>(std::lround(scale_ * acc - offset_));
        }
    }
    return w;
}

Eigen::MatrixXd WeightLayout::combine(const Eigen::MatrixXd& s, const Eigen::VectorXd& input_sum, int logical_cols) const {
    Eigen::MatrixXd y;
    combine_into(s, input_sum, logical_cols, y);
    return y;
}

void WeightLayout::combine_into(const Eigen::MatrixXd& s, const Eigen::VectorXd& input_sum, int logical_cols, Eigen::MatrixXd& y) const {
    // y_j = sum over the physical columns c of j of (scale sign_c place_c) S_c, in column
    // order (what the product with the combination matrix K would sum, minus its zeros); the
    // roles of roles() walked in place (no table per call), plain loops over the columns.
    const Eigen::Index n = s.rows();
    y.resize(n, logical_cols);
    const int halves = per_logical_ / digits_;
    if (n == 1) {
        // One vector (a streamed program): the same terms in the same order per logical
        // column, summed in a register instead of loops of one element. The batch loop below
        // is contracted into fused multiply-adds where the ISA has them (GCC's default
        // -ffp-contract=fast), which a register sum is not reliably: the same operation is
        // written out, so a vector alone gets the bits of its row in a batch (tested).
        for (int j = 0; j < logical_cols; ++j) {
            const double* sc = s.data() + static_cast<Eigen::Index>(j) * per_logical_;
            double acc = 0.0;
            for (int h = 0; h < halves; ++h) {
                double place = 1.0;
                for (int d = 0; d < digits_; ++d, place *= base_) {
                    const double k = (scale_ * (h == 0 ? 1 : -1)) * place;
#if defined(__FMA__)
                    acc = std::fma(k, sc[h * digits_ + d], acc);
#else
                    acc += k * sc[h * digits_ + d];
#endif
                }
            }
            y(0, j) = acc;
        }
        if (offset_ != 0.0) y.colwise() -= offset_ * input_sum;
        return;
    }
    for (int j = 0; j < logical_cols; ++j) {
        double* yj = y.data() + static_cast<Eigen::Index>(j) * n;
        for (Eigen::Index b = 0; b < n; ++b) yj[b] = 0.0;
        for (int h = 0; h < halves; ++h) {
            double place = 1.0;
            for (int d = 0; d < digits_; ++d, place *= base_) {
                const double k = (scale_ * (h == 0 ? 1 : -1)) * place;
                const double* sc = s.data() + static_cast<Eigen::Index>(j * per_logical_ + h * digits_ + d) * n;
                for (Eigen::Index b = 0; b < n; ++b) yj[b] += k * sc[b];
            }
        }
    }
    if (offset_ != 0.0) y.colwise() -= offset_ * input_sum;
}

}  // namespace sotsim::phys
