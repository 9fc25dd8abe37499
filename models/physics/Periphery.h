// Non-ADC readout periphery: comparator sense amplifier, time-to-digital converter for
// resistance summation, and the analog SOT-MRAM sigmoid neuron.
#pragma once

#include <cmath>
#include <vector>

#include "models/config/Config.h"
#include "models/physics/Rng.h"

namespace sotsim::phys {

// Latched comparator with a static input-referred offset per column (sampled once per
// macro, sigma `offset_sigma` in A). Decides sign(x - threshold + offset).
class SenseAmp {
public:
    explicit SenseAmp(const SenseAmpConfig& c) : cfg_(c) {}
    void sample_offsets(int cols, Rng& rng) {
        offset_.assign(cols, 0.0);
        for (auto& o : offset_) o = cfg_.offset_sigma * rng.normal();
    }
    // Offset of column `col` in amperes.
    double offset(int col) const { return col < static_cast<int>(offset_.size()) ? offset_[col] : 0.0; }
    double decide(double x, double threshold, double offset_units) const {
        return x + offset_units >= threshold ? 1.0 : -1.0;
    }
    double time() const { return cfg_.t_sense; }

private:
    SenseAmpConfig cfg_;
    std::vector<double> offset_;
};

// Time-to-digital converter: an n-bit counter at f_clk measures how long the column's RC
// delay exceeds a start reference t0: code = clamp(round((t - t0) f_clk), 0, 2^n - 1).
class TimeToDigital {
public:
    explicit TimeToDigital(const TdcConfig& c) : cfg_(c) {}
    int max_code() const { return (1 << cfg_.bits) - 1; }
    double tick() const { return 1.0 / cfg_.clock; }
    int code(double t, double t0) const {
        const double v = std::nearbyint((t - t0) * cfg_.clock);
        if (!(v > 0.0)) return 0;
        return v >= max_code() ? max_code() : static_cast<int>(v);
    }
    double reconstruct(int code, double t0) const { return t0 + code * tick(); }
    // Time of one conversion: the counter window.
    double window() const { return (max_code() + 1) * tick(); }

private:
    TdcConfig cfg_;
};

// SOT-MRAM sigmoid neuron (Zand et al.): the free layer's switching probability under a
// column-current bias gives y = 1 / (1 + exp(-gain (x - thr))), read as an analog level
// with additive Gaussian noise of sigma `noise` (fraction of the full swing), clipped to
// [0, 1]. No ADC.
class SigmoidNeuron {
public:
    explicit SigmoidNeuron(const NeuronConfig& c) : cfg_(c) {}
    double eval(double x, double thr, double gain, Rng* rng) const {
        double y = 1.0 / (1.0 + std::exp(-gain * cfg_.slope * (x - thr)));
        if (rng && cfg_.noise > 0.0) y = std::min(1.0, std::max(0.0, y + cfg_.noise * rng->normal()));
        return y;
    }
    double time() const { return cfg_.t_eval; }

private:
    NeuronConfig cfg_;
};

}  // namespace sotsim::phys
