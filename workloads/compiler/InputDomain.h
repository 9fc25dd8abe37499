// The value domain of the network input, which the compiler never assumes.
//
// It comes from, in order: an input QuantizeLinear of the model (then the domain below only
// matters if the raw input reaches an array before any quantizer, which it then does not);
// otherwise the data itself (`scan_input_domain`: exactly {0,1}, exactly {-1,+1}, a grid of
// evenly spaced levels such as pixels/255 or normalised pixels, else a real range);
// otherwise the user (`--input-range LO:HI`). At run time every sample must lie in the
// compiled domain (`check_input_domain`), or the run is refused naming file, sample, value.
#pragma once

#include <string>
#include <vector>

#include "workloads/import/Network.h"

namespace sotsim::workloads {

struct InputDomain {
    enum class Kind {
        Unknown,  // nothing known: a raw input that reaches an array is an error
        Grid,     // exactly lo + step * k, k = 0..levels ({0,1}: lo 0 step 1 levels 1;
                  // {-1,+1}: lo -1 step 2 levels 1)
        Range     // any real in [lo, hi]
    };
    Kind kind = Kind::Unknown;
    double lo = 0, hi = 0, step = 0;
    int levels = 0;
    std::vector<float> values;  // Range from a scan: the distinct values when at most 4096 (sorted)
    std::string source;  // where it came from, for notes and errors ("data x.npy", "--input-range")

    bool known() const { return kind != Kind::Unknown; }
    bool pm1() const { return kind == Kind::Grid && levels == 1 && lo == -1.0 && hi == 1.0; }
    std::string describe() const;  // "{0,1}", "{-1,+1}", "256 levels 0 + k*0.00392 in [0, 1]", "[lo, hi]"
};

// Scans every value once. Grids of up to 65536 levels are recognised (evenly spaced to
// 1e-3 of a step; data that uses only a subset of the levels is still on the grid).
// Throws WorkloadError(file) on NaN / Inf.
InputDomain scan_input_domain(const Batch& data, const std::string& file);

// "LO:HI" with LO < HI, finite. Throws std::invalid_argument with a message.
InputDomain parse_input_range(const std::string& text);

// Throws WorkloadError(file, "sample I value V is outside the compiled input domain ...").
void check_input_domain(const InputDomain& d, const Batch& data, const std::string& file);

}  // namespace sotsim::workloads
