#include "workloads/compiler/InputDomain.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <unordered_set>
#include <vector>

#include "workloads/import/WorkloadError.h"

namespace sotsim::workloads {

namespace {

constexpr int kMaxGridLevels = 65535;
constexpr double kGridTolerance = 1e-3;  // in steps; float32 data carries ~1e-7 relative error

bool on_grid(double v, double lo, double step, int levels) {
    const double k = (v - lo) / step;
    const double r = std::nearbyint(k);
    return std::fabs(k - r) <= kGridTolerance && r >= 0 && r <= levels;
}

std::string num(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::string InputDomain::describe() const {
    switch (kind) {
        case Kind::Unknown: return "unknown";
        case Kind::Range: return "[" + num(lo) + ", " + num(hi) + "]";
        case Kind::Grid:
            if (levels == 1 && lo == 0.0 && hi == 1.0) return "{0,1}";
            if (pm1()) return "{-1,+1}";
            return std::to_string(levels + 1) + " levels " + num(lo) + " + k*" + num(step) + " in [" + num(lo) + ", " +
                   num(hi) + "]";
    }
    return "?";
}

InputDomain scan_input_domain(const Batch& data, const std::string& file) {
    InputDomain d;
    d.source = "the data (" + file + ")";
    // The distinct values, sorted: gathered in a hash set (a data set holds few distinct
    // values, e.g. 256 for 8-bit images; sorting all 7.8 M MNIST values was most of this
    // scan), then only the distinct ones are sorted. A small direct-mapped table of the bit
    // patterns already inserted skips the set for repeats (an insert of a value the set
    // holds changes nothing, so the set is the same; the NaN sentinel is never finite data).
    const float* x = data.data();
    const std::size_t n = static_cast<std::size_t>(data.size());
    std::unordered_set<float> seen;
    constexpr std::uint32_t kEmpty = 0x7fc00000u;  // a quiet NaN's bits
    std::array<std::uint32_t, 1024> inserted;
    inserted.fill(kEmpty);
    // Images are mostly runs of one value (MNIST: ~80 % zeros), so blocks of 16 that repeat
    // the last value inserted are skipped with one vectorised compare. The first value is
    // visited before any block, so `last` is always a finite value already in the set and
    // a NaN or Inf never matches (it is reported where it sits).
    constexpr std::size_t kBlock = 16;
    std::uint32_t last = kEmpty;
    auto visit = [&](std::size_t i) {
        if (!std::isfinite(x[i]))
            throw WorkloadError(file, "sample " + std::to_string(i / static_cast<std::size_t>(std::max<Eigen::Index>(1, data.cols()))) +
                                          " holds " + num(x[i]) + "; inputs must be finite");
        std::uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        last = bits;
        std::uint32_t& slot = inserted[(bits * 2654435761u) >> 22];
        if (slot != bits) {
            slot = bits;
            seen.insert(x[i]);
        }
    };
    if (n > 0) visit(0);
    std::size_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
        std::uint32_t diff = 0;
        for (std::size_t k = 0; k < kBlock; ++k) {
            std::uint32_t bits;
            std::memcpy(&bits, x + i + k, sizeof bits);
            diff |= bits ^ last;
        }
        if (diff == 0) continue;
        for (std::size_t k = 0; k < kBlock; ++k) visit(i + k);
    }
    for (; i < n; ++i) visit(i);
    if (n == 0) throw WorkloadError(file, "no samples to scan for the input domain");
    std::vector<float> v(seen.begin(), seen.end());
    std::sort(v.begin(), v.end());
    d.lo = v.front();
    d.hi = v.back();
    if (v.size() == 1) {  // a constant input: treat as the lower level of a 1-step grid
        d.kind = InputDomain::Kind::Grid;
        d.step = 1;
        d.levels = 1;
        d.hi = d.lo + 1;
        return d;
    }
    // The step is the smallest gap between distinct values, or an integer fraction of it
    // when the data skips levels (checked against every value).
    double gap = v[1] - v[0];
    for (std::size_t i = 2; i < v.size(); ++i) gap = std::min<double>(gap, v[i] - v[i - 1]);
    if (v.size() <= static_cast<std::size_t>(kMaxGridLevels) + 1)
        for (int div = 1; div <= 4; ++div) {
            const double step = gap / div;
            const double span = (d.hi - d.lo) / step;
            if (span > kMaxGridLevels + 0.5) break;
            const int levels = static_cast<int>(std::nearbyint(span));
            // The smallest gap carries float32 rounding of the data (relative ~1e-6), which
            // the span multiplies by the level count; every value is checked below anyway.
            if (std::fabs(span - levels) > 0.25) continue;
            const double exact = (d.hi - d.lo) / levels;  // the step that ends exactly on hi
            if (std::all_of(v.begin(), v.end(), [&](float x) { return on_grid(x, d.lo, exact, levels); })) {
                d.kind = InputDomain::Kind::Grid;
                d.step = exact;
                d.levels = levels;
                if (levels == 1 && d.lo == -1.0 && d.hi == 1.0) d.step = 2;
                return d;
            }
        }
    d.kind = InputDomain::Kind::Range;
    if (v.size() <= 4096) d.values = std::move(v);  // lets the compiler see whether Sign(x - t) meets 0
    return d;
}

InputDomain parse_input_range(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("--input-range must be LO:HI (got '" + text + "')");
    InputDomain d;
    try {
        std::size_t n1 = 0, n2 = 0;
        const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
        d.lo = std::stod(a, &n1);
        d.hi = std::stod(b, &n2);
        if (n1 != a.size() || n2 != b.size()) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
        throw std::invalid_argument("--input-range must be LO:HI with two numbers (got '" + text + "')");
    }
    if (!std::isfinite(d.lo) || !std::isfinite(d.hi) || !(d.lo < d.hi))
        throw std::invalid_argument("--input-range needs finite LO < HI (got '" + text + "')");
    d.kind = InputDomain::Kind::Range;
    d.source = "--input-range " + text;
    return d;
}

void check_input_domain(const InputDomain& d, const Batch& data, const std::string& file) {
    if (!d.known()) return;
    // One pass over the row-major samples. A grid test costs a division and a rounding, so
    // the bit patterns already found on the grid are remembered in a small direct-mapped
    // table (a data set holds few distinct values); a value that misses is tested in full.
    const float* x = data.data();
    const std::size_t n = static_cast<std::size_t>(data.size());
    const bool grid = d.kind == InputDomain::Kind::Grid;
    constexpr std::uint32_t kEmpty = 0x7fc00000u;  // a quiet NaN's bits: never a grid value
    std::array<std::uint32_t, 1024> passed;
    passed.fill(kEmpty);
    for (std::size_t i = 0; i < n; ++i) {
        const double v = x[i];
        bool ok;
        if (grid) {
            std::uint32_t bits;
            std::memcpy(&bits, x + i, sizeof bits);
            std::uint32_t& slot = passed[(bits * 2654435761u) >> 22];
            // The empty-slot marker is a NaN's bits, so the finiteness test comes first.
            ok = std::isfinite(v) && slot == bits;
            if (!ok && std::isfinite(v) && on_grid(v, d.lo, d.step, d.levels)) {
                slot = bits;
                ok = true;
            }
        } else {
            ok = v >= d.lo && v <= d.hi;  // false for NaN
        }
        if (!ok) {
            const std::size_t cols = static_cast<std::size_t>(std::max<Eigen::Index>(1, data.cols()));
            throw WorkloadError(file, "sample " + std::to_string(i / cols) + " element " + std::to_string(i % cols) +
                                          " value " + num(v) + " is outside the compiled input domain " +
                                          d.describe() + " (from " + d.source + ")");
        }
    }
}

}  // namespace sotsim::workloads
