// The compiler's view of a tensor while it lowers one layer: where it is in its layout,
// what value domain the stored numbers have, and a per-channel affine map not yet applied.
//
// Keeping y = a[c] * T + b[c] symbolic lets bias, batch-norm and constant scales fold into
// a single digital op (or into sense-amp thresholds), and lets the integer levels of a
// quantized activation travel to the next layer with their scale as a number rather than
// being turned back into floats.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "workloads/import/Network.h"

namespace sotsim::workloads {

enum class Domain {
    Real,    // arbitrary floats in [lo, hi] (bounds possibly infinite)
    Signed,  // exactly -1 / +1
    Int,     // integers in [lo, hi] (bounds possibly infinite, lo possibly negative)
    Grid     // exactly lo + step * k, k = 0..levels (the raw network input, e.g. pixels/255)
};

struct SymbolicValue {
    Shape shape;                 // full per-sample IR shape
    bool pos_major = false;      // tile layout: rows = positions, cols = channels
    std::vector<float> a, b;     // pending per-channel affine (size channels())
    Domain dom = Domain::Real;
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    double step = 0;             // Grid
    int levels = 0;              // Grid: number of steps
    // Real: the distinct values the stored tensor can hold when known (the raw input of a
    // scanned dataset; sorted), else null.
    const std::vector<float>* values = nullptr;

    bool bounded() const { return std::isfinite(lo) && std::isfinite(hi); }
    // Int bounds whose span float32 holds exactly (integers up to 2^24): only then are the
    // integers drive levels. A wider span (a model constant of 3e31 found by fuzzing) is
    // treated like an unbounded one, and the span is never cast to int.
    static constexpr double kMaxExactIntSpan = 16777216.0;
    bool int_exact() const { return bounded() && hi - lo <= kMaxExactIntSpan; }
    // Int: the number of steps between the bounds (drive levels of an offset encoding); 0
    // unless int_exact().
    int int_levels() const { return int_exact() ? static_cast<int>(std::nearbyint(hi - lo)) : 0; }
    void set_int(double l, double h) {
        dom = Domain::Int;
        lo = l;
        hi = h;
    }
    // One scale (and one offset) for every channel.
    bool common_scale() const {
        for (std::size_t i = 1; i < a.size(); ++i)
            if (a[i] != a[0]) return false;
        return !a.empty();
    }
    int channels() const { return shape.empty() ? 1 : static_cast<int>(shape[0]); }
    int positions() const {
        return shape.size() >= 3 ? static_cast<int>(shape[1] * shape[2]) : 1;
    }
    void reset_affine() {
        a.assign(static_cast<std::size_t>(channels()), 1.0f);
        b.assign(static_cast<std::size_t>(channels()), 0.0f);
    }
    bool identity() const {
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i] != 1.0f || b[i] != 0.0f) return false;
        return true;
    }
    bool scalar_affine() const {
        for (std::size_t i = 1; i < a.size(); ++i)
            if (a[i] != a[0] || b[i] != b[0]) return false;
        return true;
    }
    // Bounds of a*T+b over all channels.
    void affine_bounds(double& out_lo, double& out_hi) const {
        out_lo = std::numeric_limits<double>::infinity();
        out_hi = -out_lo;
        for (std::size_t c = 0; c < a.size(); ++c) {
            const double x0 = a[c] * lo + b[c], x1 = a[c] * hi + b[c];
            const double l = std::isnan(x0) ? b[c] : std::min(x0, x1);
            const double h = std::isnan(x1) ? b[c] : std::max(x0, x1);
            out_lo = std::min(out_lo, l);
            out_hi = std::max(out_hi, h);
        }
    }
};

}  // namespace sotsim::workloads
