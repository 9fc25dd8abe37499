// Recovering the integer grid of quantization-aware-trained weights.
//
// QAT models export weights already on their grid: binary layers as {-a, +a}, k-bit
// layers as s * q with integer |q| <= 2^(k-1) - 1. The compiler needs q and s exactly, so
// it finds the smallest precision whose grid reproduces every weight. Weights that are on
// no grid up to 8 bits are quantized post-training to the macro's default precision (and
// the compile report says so): the hardware then runs that quantized model.
#pragma once

#include <Eigen/Dense>
#include <string>

namespace sotsim::workloads {

struct QuantizedWeights {
    Eigen::MatrixXi q;          // out x in integer weights
    float scale = 1.0f;         // w = scale * q
    int bits = 1;               // 1: q in {-1,+1}; k: |q| <= 2^(k-1)-1
    bool on_grid = true;        // false: post-training quantized (model changed)
    float max_rel_error = 0.0f; // max |w - s q| / max|w| (0 when on grid)
};

// `w` is out x in (row-major floats). `fallback_bits` is used when no grid fits.
QuantizedWeights quantize_weights(const Eigen::Ref<const Eigen::MatrixXf>& w, int fallback_bits);

}  // namespace sotsim::workloads
