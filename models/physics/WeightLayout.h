// How logical integer weights become per-cell digits on physical columns, and back.
//
// A signed weight w is written as w = s * u - off with u >= 0 (Reference/Offset
// encodings: k = 1 -> s = 2, off = 1, u = (w+1)/2; k > 1 -> s = 1, off = 2^(k-1) - 1) or
// as w = u+ - u- on a differential column pair. The non-negative magnitude is then split
// into D base-B digits, one digit per cell: B = 2 for `bit_slice` (cells use their two
// extreme levels), B = device levels for `multi_level`. Physical columns of logical
// column j: [digits of u] (or [digits of u+, digits of u-]), contiguous; a Reference
// block adds one shared reference column (all cells at digit 0) after the last group.
//
// With the per-column signal S_c = sum_i b_i d_ic (inputs b in {0,1} or PWM amplitudes),
// the logical result is  y_j = s * sum_c sign_c B^pos_c S_c - off * sum_i b_i.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "models/config/Config.h"

namespace sotsim::phys {

struct ColumnRole {
    int logical = -1;     // logical column (-1 for the reference column)
    int sign = 1;         // +1 / -1 (differential negative half)
    double place = 1.0;   // B^digit
};

class WeightLayout {
public:
    // `levels`: resistance levels of one cell (device), used as base for multi_level.
    WeightLayout(WeightEncoding enc, MultiBitMode mode, int weight_bits, int levels);
    static WeightLayout from_config(const Config& cfg, int weight_bits, int levels);

    int base() const { return base_; }
    int digits() const { return digits_; }
    int per_logical() const { return per_logical_; }
    bool has_reference() const { return enc_ == WeightEncoding::Reference; }
    double scale() const { return scale_; }
    double offset() const { return offset_; }
    WeightEncoding encoding() const { return enc_; }

    int physical_cols(int logical_cols) const { return logical_cols * per_logical_ + (has_reference() ? 1 : 0); }
    int logical_cols_fitting(int physical) const;
    int reference_col(int logical_cols) const { return has_reference() ? logical_cols * per_logical_ : -1; }
    std::vector<ColumnRole> roles(int logical_cols) const;

    // Throws std::invalid_argument if a weight is outside the k-bit domain.
    void check(const Eigen::MatrixXi& w) const;
    // Digits (rows x physical cols), values in [0, base-1].
    Eigen::MatrixXi encode(const Eigen::MatrixXi& w) const;
    // Logical weights from (possibly erroneous) digits.
    Eigen::MatrixXi decode(const Eigen::MatrixXi& d, int logical_cols) const;
    // y (batch x logical) from per-physical-column signals S (batch x physical) and the
    // per-vector input sum (batch).
    Eigen::MatrixXd combine(const Eigen::MatrixXd& s, const Eigen::VectorXd& input_sum, int logical_cols) const;
    // Same into `y` (resized if needed): every physical column feeds exactly one logical
    // column, so this is a scaled column accumulation, not a dense S K product.
    void combine_into(const Eigen::MatrixXd& s, const Eigen::VectorXd& input_sum, int logical_cols, Eigen::MatrixXd& y) const;

private:
    WeightEncoding enc_;
    int bits_, base_, digits_, per_logical_;
    double scale_ = 1.0, offset_ = 0.0;
};

}  // namespace sotsim::phys
