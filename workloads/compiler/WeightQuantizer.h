// Recovering the integer grid of quantization-aware-trained weights.
//
// Weights given as DequantizeLinear of integer codes carry their grid in the model: the
// importer keeps the codes and scales (WeightCodes) and weights_from_codes takes them as
// they are. Float weights are searched:
// QAT exports hold weights already on their grid: binary layers as {-a, +a}, k-bit layers
// as s * q, DequantizeLinear(Wq, s, z) folded to s * (Wq - z), Conv+BN fusion as s[c] * q
// with one scale per output channel, asymmetric grids such as s * {-2,-1,0,1}. The compiler
// needs q and s exactly, so for every output channel it looks for the coarsest grid
// s[c] = max|w[c]| / m (m = 1..255 integer codes) that reproduces every weight of the
// channel; the precision is then what the largest |q| needs (signed magnitude, bits such
// that |q| <= 2^(bits-1) - 1; 1 bit when every code is +-1). Weights on no grid are
// quantized post-training to the macro's default precision, and the compile report says so:
// the hardware then runs that quantized model.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "workloads/import/Network.h"

namespace sotsim::workloads {

struct QuantizedWeights {
    Eigen::MatrixXi q;          // out x in integer weights
    std::vector<float> scale;   // per output row: w = scale[r] * q
    int bits = 1;               // 1: q in {-1,+1}; k: |q| <= 2^(k-1)-1
    bool on_grid = true;        // false: post-training quantized (model changed)
    bool per_channel = false;   // the rows' scales differ
    float max_rel_error = 0.0f; // max |w - s q| / max|w| (0 when on grid)
    bool from_codes = false;    // the model's own codes (DequantizeLinear), not a search

    float max_scale() const;
};

// `w` is out x in (row-major floats). `fallback_bits` is used when no grid fits.
QuantizedWeights quantize_weights(const Eigen::Ref<const Eigen::MatrixXf>& w, int fallback_bits);

// The model's codes (WeightCodes: DequantizeLinear of integers) as they are, `rows` x `cols`
// (output channels x inputs): q = code, scale = the model's per-channel scale. Bits as for a
// found grid (signed magnitude of the largest |code|: int8's -128 needs 9).
QuantizedWeights weights_from_codes(const WeightCodes& codes, Eigen::Index rows, Eigen::Index cols);

// Bits of a signed-magnitude code for |q| <= max_abs (1 when only +-1 occur: see above).
int signed_bits(int max_abs);

}  // namespace sotsim::workloads
