#include "workloads/compiler/WeightQuantizer.h"

#include <algorithm>
#include <cmath>

namespace sotsim::workloads {

namespace {

// Tolerance on the grid, in grid steps: exported float32 weights carry rounding of the
// scale multiplication (relative 1e-7), far below this.
constexpr float kGridTolerance = 1e-3f;
// Largest integer code searched: uint8/int8 codes minus a zero point reach 255.
constexpr int kMaxCode = 255;
constexpr int kMaxFallbackBits = 8;

// The coarsest grid of one row: returns the number of steps m of max|w| (0: none).
int row_grid(const Eigen::Ref<const Eigen::RowVectorXf>& w, float amax) {
    for (int m = 1; m <= kMaxCode; ++m) {
        const float s = amax / static_cast<float>(m);
        bool ok = true;
        for (Eigen::Index j = 0; j < w.size() && ok; ++j) {
            const float v = w(j) / s;
            ok = std::fabs(v - std::nearbyint(v)) <= kGridTolerance;
        }
        if (ok) return m;
    }
    return 0;
}

}  // namespace

int signed_bits(int max_abs) {
    int bits = 2;
    while ((1 << (bits - 1)) - 1 < max_abs) ++bits;
    return bits;
}

float QuantizedWeights::max_scale() const {
    return scale.empty() ? 0.0f : *std::max_element(scale.begin(), scale.end());
}

QuantizedWeights weights_from_codes(const WeightCodes& codes, Eigen::Index rows, Eigen::Index cols) {
    QuantizedWeights out;
    out.from_codes = true;
    out.q = Eigen::MatrixXi::Zero(rows, cols);
    out.scale.assign(static_cast<std::size_t>(rows), 0.0f);
    bool all_pm1 = true;
    int max_abs = 0;
    for (Eigen::Index r = 0; r < rows; ++r) {
        bool zero_row = true;
        for (Eigen::Index j = 0; j < cols; ++j) {
            const int q = codes.code.at(static_cast<std::size_t>(r * cols + j));
            out.q(r, j) = q;
            zero_row = zero_row && q == 0;
        }
        if (zero_row) {  // as in quantize_weights: +1 cells with scale 0
            out.q.row(r).setOnes();
            continue;
        }
        out.scale[r] = codes.scale.at(static_cast<std::size_t>(r));
        for (Eigen::Index j = 0; j < cols; ++j) {
            const int q = out.q(r, j);
            all_pm1 = all_pm1 && (q == 1 || q == -1);
            max_abs = std::max(max_abs, std::abs(q));
        }
    }
    out.bits = all_pm1 ? 1 : signed_bits(max_abs);
    for (float s : out.scale)
        if (s != 0.0f && s != out.max_scale()) out.per_channel = true;
    return out;
}

QuantizedWeights quantize_weights(const Eigen::Ref<const Eigen::MatrixXf>& w, int fallback_bits) {
    QuantizedWeights out;
    const Eigen::Index R = w.rows(), C = w.cols();
    out.scale.assign(static_cast<std::size_t>(R), 0.0f);
    bool all_pm1 = true, on_grid = true;
    int max_abs = 0;
    // The grid search and the codes go row by row: on row-major copies (one transposition
    // each way), not along the rows of the column-major matrices, where every element is
    // another cache line (1.8 % of the demo's 1-sample run for its 256 x 784 layer).
    using RowF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using RowI = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowF wr = w;
    RowI q = RowI::Zero(R, C);
    for (Eigen::Index r = 0; r < R && on_grid; ++r) {
        const float amax = wr.row(r).cwiseAbs().maxCoeff();
        if (!(amax > 0.0f)) {  // all-zero row: +1 cells with scale 0 keep a binary layer binary
            q.row(r).setOnes();
            continue;
        }
        const int m = row_grid(wr.row(r), amax);
        if (m == 0) {
            on_grid = false;
            break;
        }
        const float s = amax / static_cast<float>(m);
        out.scale[r] = s;
        const float* wrow = wr.row(r).data();
        int* qrow = q.row(r).data();
        for (Eigen::Index j = 0; j < C; ++j) {
            const int v = static_cast<int>(std::nearbyint(wrow[j] / s));
            qrow[j] = v;
            all_pm1 = all_pm1 && (v == 1 || v == -1);
            max_abs = std::max(max_abs, std::abs(v));
        }
    }
    out.q = q;
    if (on_grid) {
        out.bits = all_pm1 ? 1 : signed_bits(max_abs);
        for (float s : out.scale)
            if (s != 0.0f && s != out.max_scale()) out.per_channel = true;
        return out;
    }
    // Not a QAT grid: symmetric post-training quantization to the macro precision, one
    // scale per tensor.
    const float amax = w.cwiseAbs().maxCoeff();
    out.on_grid = false;
    out.per_channel = false;
    out.bits = std::clamp(fallback_bits, 1, kMaxFallbackBits);
    float s = 0.0f;
    if (out.bits == 1) {
        s = w.cwiseAbs().mean();
        out.q = w.unaryExpr([](float v) { return v >= 0.0f ? 1 : -1; }).cast<int>();
    } else {
        const int qmax = (1 << (out.bits - 1)) - 1;
        s = amax / static_cast<float>(qmax);
        out.q = w.unaryExpr([s, qmax](float v) {
                     return std::clamp(std::nearbyint(v / s), -float(qmax), float(qmax));
                 }).cast<int>();
    }
    out.scale.assign(static_cast<std::size_t>(R), s);
    out.max_rel_error = (w - out.q.cast<float>() * s).cwiseAbs().maxCoeff() / amax;
    return out;
}

}  // namespace sotsim::workloads
