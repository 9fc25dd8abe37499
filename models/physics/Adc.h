// Column ADC transfer functions and the ADC registry.
//
// All kinds share one static transfer (they differ in conversion time and, through the
// tech table, energy): a mid-tread uniform quantiser over [lo, hi] with 2^bits codes,
//   code = clamp(round(g_c (x - lo) / LSB + o_c + INL(u)), 0, 2^bits - 1),
//   LSB = (hi - lo) / (2^bits - 1),  u = (x - lo) / (hi - lo),
// with a per-column gain error g_c = 1 + N(0, gain_sigma) and offset o_c = N(0,
// offset_sigma) LSB (sampled once per macro: static mismatch), and a bow-shaped INL
// INL(u) = 4 inl u (1 - u) LSB (zero at both ends, `inl` LSB at mid scale). Inputs beyond
// the range clip to the end codes. The digital side reconstructs x^ = lo + code * LSB.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/config/Config.h"
#include "models/physics/Registry.h"
#include "models/physics/Rng.h"

namespace sotsim::phys {

class Adc {
public:
    explicit Adc(const AdcConfig& c);
    virtual ~Adc() = default;

    virtual std::string kind() const = 0;
    // Conversion time of one sample (s).
    virtual double conversion_time() const = 0;

    int bits() const { return cfg_.bits; }
    int max_code() const { return (1 << cfg_.bits) - 1; }
    void set_range(double lo, double hi);
    double lo() const { return lo_; }
    double hi() const { return hi_; }
    double lsb() const { return (hi_ - lo_) / max_code(); }

    // Draw per-column gain and offset errors for `cols` columns (once per macro).
    void sample_mismatch(int cols, Rng& rng);
    // Code for input x on column `col`.
    int code(double x, int col) const;
    double reconstruct(int code) const { return lo_ + code * lsb(); }
    // Quantise a batch in place: x (batch x cols) -> reconstructed values; column k of x is
    // physical column col0 + k.
    void quantize(Eigen::MatrixXd& x, int col0 = 0) const;
    // Same with column k of x converted by the channel of physical column cols[k].
    void quantize(Eigen::MatrixXd& x, const std::vector<int>& cols) const;
    // Static mismatch of the channels of physical columns cols[k], in that order: the
    // constants quantize_row() takes (the fused MVM readout converts one vector at a time).
    struct Channels {
        std::vector<double> gain, offset;
    };
    Channels channels(const std::vector<int>& cols) const;
    // Quantise x[0..n) in place, element k by channel k of `ch` (the same transfer as
    // quantize(), vectorised along the channels).
    void quantize_row(double* x, const Channels& ch, Eigen::Index n) const;
    // The codes quantize_row() picks for x[0..n), as doubles in [0, max_code()], into code
    // (not overlapping x); the reconstructed value of code c is lo() + c * lsb().
    void codes_row(const double* x, const Channels& ch, Eigen::Index n, double* code) const;
    // The same for elements [first, first + n) of a row (x, code and the channels indexed
    // from the row's start; first a multiple of kCodeChunk): the codes codes_row() gives them.
    void codes_range(const double* x, const Channels& ch, Eigen::Index first, Eigen::Index n, double* code) const;
    // codes_row() converts in chunks of this many elements (a chunk with a value near a
    // rounding boundary is converted again by the exact transfer).
    static constexpr Eigen::Index kCodeChunk = 64;

    const AdcConfig& config() const { return cfg_; }

protected:
    AdcConfig cfg_;

private:
    void quantize_column(double* p, Eigen::Index n, size_t col) const;

    double lo_ = 0.0, hi_ = 1.0;
    std::vector<double> gain_, offset_;
};

// Successive approximation: one comparison per bit plus sampling, ~1 ns each.
class SarAdc : public Adc {
public:
    using Adc::Adc;
    std::string kind() const override { return "sar"; }
    double conversion_time() const override { return cfg_.t_conv > 0 ? cfg_.t_conv : (cfg_.bits + 1) * 1e-9; }
};

// Flash: 2^bits - 1 comparators in parallel, one cycle.
class FlashAdc : public Adc {
public:
    using Adc::Adc;
    std::string kind() const override { return "flash"; }
    double conversion_time() const override { return cfg_.t_conv > 0 ? cfg_.t_conv : 1e-9; }
};

// Single-slope (ramp): a counter runs for up to 2^bits cycles.
class RampAdc : public Adc {
public:
    using Adc::Adc;
    std::string kind() const override { return "ramp"; }
    double conversion_time() const override { return cfg_.t_conv > 0 ? cfg_.t_conv : (1 << cfg_.bits) * 1e-9; }
};

// ADC sharing: ADCs of one macro (every `cols_per_adc` physical columns share one, time
// multiplexed) and the conversions each must do in sequence for `conversions` per cycle.
inline int adc_units(const Config& cfg) {
    return (cfg.array.cols + cfg.periphery.adc.cols_per_adc - 1) / cfg.periphery.adc.cols_per_adc;
}
inline int serial_conversions(const Config& cfg, int conversions) {
    const int n = adc_units(cfg);
    return (conversions + n - 1) / n;
}

// Name -> factory (models/physics/Registry.h), filled explicitly by register_all().
class AdcRegistry : public Registry<Adc, AdcConfig> {
public:
    AdcRegistry() : Registry("adc") {}
    using Registry::create;
    std::unique_ptr<Adc> create(const AdcConfig& c) const { return create(c.kind, c); }

    // Registry with the built-in kinds sar, flash, ramp.
    static const AdcRegistry& builtin();
};

void register_all(AdcRegistry& r);

}  // namespace sotsim::phys
