// Non-ADC readout periphery: comparator sense amplifier and the analog SOT-MRAM sigmoid
// neuron (the time-to-digital converter is in TimeToDigital.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "models/config/Config.h"
#include "models/physics/NeuronTransfer.h"
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

// Analog sigmoid neuron (zand): the transfer periphery.neuron.model (NeuronTransfer.h) of
// u = x - thr, read as an analog level with additive Gaussian noise of sigma `noise`
// (fraction of the full swing), clipped to [0, 1]. No ADC. configure() sets the block's
// gain and line voltage per unit when the macro is programmed.
class SigmoidNeuron {
public:
    explicit SigmoidNeuron(const NeuronConfig& c) : cfg_(c), transfer_(NeuronRegistry::builtin().create(c)) {}
    void configure(double gain, double v_unit) { transfer_->configure({gain * cfg_.slope, v_unit}); }
    double eval(double x, double thr, Rng* rng) const {
        double y = transfer_->y(x - thr);
        if (rng && cfg_.noise > 0.0) y = std::min(1.0, std::max(0.0, y + cfg_.noise * rng->normal()));
        return y;
    }
    double time() const { return cfg_.t_eval; }
    const NeuronTransfer& transfer() const { return *transfer_; }

private:
    NeuronConfig cfg_;
    std::unique_ptr<NeuronTransfer> transfer_;
};

}  // namespace sotsim::phys
