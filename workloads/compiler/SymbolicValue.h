// The compiler's view of a tensor while it lowers one layer: where it is in its layout,
// what value domain the stored numbers have, and a per-channel affine map not yet applied.
//
// Keeping y = a[c] * T + b[c] symbolic lets bias, batch-norm and constant scales fold into
// a single digital op (or into sense-amp thresholds), and lets the integer levels of a
// quantized activation travel to the next layer with their scale as a number rather than
// being turned back into floats.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "workloads/import/Network.h"

namespace sotsim::workloads {

enum class Domain {
    Real,    // arbitrary floats (bounds in lo/hi, possibly infinite)
    Signed,  // exactly -1 / +1
    UInt     // integers 0..levels
};

struct SymbolicValue {
    Shape shape;                 // full per-sample IR shape
    bool pos_major = false;      // tile layout: rows = positions, cols = channels
    std::vector<float> a, b;     // pending per-channel affine (size channels())
    Domain dom = Domain::Real;
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    int levels = 0;              // UInt: max level

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
