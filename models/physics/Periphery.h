// Non-ADC readout periphery: comparator sense amplifier and the analog SOT-MRAM sigmoid
// neuron (the time-to-digital converter is in TimeToDigital.h).
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
