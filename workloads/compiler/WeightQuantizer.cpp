#include "workloads/compiler/WeightQuantizer.h"

#include <algorithm>
#include <cmath>

namespace sotsim::workloads {

namespace {

// Tolerance on the grid, in grid steps: exported float32 weights carry rounding of the
// scale multiplication (relative 1e-7), far below this.
constexpr float kGridTolerance = 1e-3f;
constexpr int kMaxBits = 8;

bool fits_grid(const Eigen::Ref<const Eigen::MatrixXf>& w, float scale, int qmax) {
    for (Eigen::Index i = 0; i < w.rows(); ++i)
        for (Eigen::Index j = 0; j < w.cols(); ++j) {
            const float v = w(i, j) / scale;
            const float r = std::nearbyint(v);
            if (std::fabs(v - r) > kGridTolerance || std::fabs(r) > qmax) return false;
        }
    return true;
}

}  // namespace

QuantizedWeights quantize_weights(const Eigen::Ref<const Eigen::MatrixXf>& w, int fallback_bits) {
    QuantizedWeights out;
    const float amax = w.cwiseAbs().maxCoeff();
    if (!(amax > 0.0f)) {  // all-zero layer: any grid; store +1 cells with scale 0
        out.q = Eigen::MatrixXi::Ones(w.rows(), w.cols());
        out.scale = 0.0f;
        out.bits = 1;
        return out;
    }
    // Binary: every |w| equal.
    const float amin = w.cwiseAbs().minCoeff();
    if (amax - amin <= kGridTolerance * amax) {
        out.bits = 1;
        out.scale = w.cwiseAbs().mean();
        out.q = w.unaryExpr([](float v) { return v >= 0.0f ? 1 : -1; }).cast<int>();
        return out;
    }
    for (int bits = 2; bits <= kMaxBits; ++bits) {
        const int qmax = (1 << (bits - 1)) - 1;
        const float scale = amax / static_cast<float>(qmax);
        if (fits_grid(w, scale, qmax)) {
            out.bits = bits;
            out.scale = scale;
            out.q = w.unaryExpr([scale](float v) { return std::nearbyint(v / scale); }).cast<int>();
            return out;
        }
    }
    // Not a QAT grid: symmetric post-training quantization to the macro precision.
    out.on_grid = false;
    out.bits = std::clamp(fallback_bits, 1, kMaxBits);
    if (out.bits == 1) {
        out.scale = w.cwiseAbs().mean();
        out.q = w.unaryExpr([](float v) { return v >= 0.0f ? 1 : -1; }).cast<int>();
    } else {
        const int qmax = (1 << (out.bits - 1)) - 1;
        out.scale = amax / static_cast<float>(qmax);
        const float s = out.scale;
        out.q = w.unaryExpr([s, qmax](float v) {
                     return std::clamp(std::nearbyint(v / s), -float(qmax), float(qmax));
                 }).cast<int>();
    }
    out.max_rel_error = (w - out.q.cast<float>() * out.scale).cwiseAbs().maxCoeff() / amax;
    return out;
}

}  // namespace sotsim::workloads
