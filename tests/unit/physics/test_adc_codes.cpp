// The row conversion of the fused MVM readout (Adc::codes_row / quantize_row) against the
// per-sample transfer (Adc::code) and the column conversion (Adc::quantize).
//
// Without INL the row path takes q = g (x - lo) / LSB as a product with 1 / LSB and
// converts again, exactly, any chunk where a value lies within 2^-40 of a code threshold.
// The inputs here are built to sit on the thresholds (x for v = h + 1/2 of every code h,
// moved by a few ulps), where the product and the quotient do pick different codes; the
// row path must still give the exact transfer's code for every element.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "models/physics/Adc.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("ADC row conversion gives the exact transfer's codes, also at the code thresholds", "[physics][adc]") {
    int product_differs = 0;   // threshold inputs where t * (1 / LSB) rounds to another code
    for (const int bits : {3, 5, 8, 12}) {
        for (const double inl : {0.0, 0.4}) {
            for (const bool diff : {false, true}) {
                {
                    INFO(bits << " bits, inl " << inl << (diff ? ", differential" : ", single-ended"));
                    AdcConfig c;
                    c.bits = bits;
                    c.inl = inl;
                    c.gain_sigma = 0.03;
                    c.offset_sigma = 0.3;
                    SarAdc adc(c);
                    Rng mm = Rng::derive(5, static_cast<std::uint64_t>(bits), "adc_codes_mismatch");
                    const int n = 200;   // more than one internal chunk, not a multiple of it
                    adc.sample_mismatch(n, mm);
                    const double fs = 3.7e-6;
                    adc.set_range(diff ? -fs : 0.0, fs);
                    std::vector<int> cols(n);
                    for (int k = 0; k < n; ++k) cols[static_cast<size_t>(k)] = k;
                    const Adc::Channels ch = adc.channels(cols);
                    const double lo = adc.lo(), l = adc.lsb();

                    Rng rng = Rng::derive(5, static_cast<std::uint64_t>(bits * 2 + (diff ? 1 : 0)), "adc_codes_inputs");
                    for (int rep = 0; rep < 200; ++rep) {
                        std::vector<double> x(static_cast<size_t>(n));
                        for (int k = 0; k < n; ++k) {
                            const auto kk = static_cast<size_t>(k);
                            const int kind = static_cast<int>(rng.uniform() * 8);
                            if (kind == 0) {
                                x[kk] = lo + (1.2 * rng.uniform() - 0.1) * (adc.hi() - lo);   // anywhere, beyond the ends too
                            } else {
                                // On the threshold between codes h and h + 1 of channel k, moved by -3..3 ulps.
                                const double h = std::floor(rng.uniform() * (adc.max_code() + 1)) + 0.5;
                                const double xv = lo + (h - ch.offset[kk]) * l / ch.gain[kk];
                                const int ulps = static_cast<int>(rng.uniform() * 7) - 3;
                                x[kk] = xv * (1.0 + ulps * 0x1.0p-53);
                                const double t = ch.gain[kk] * (x[kk] - lo);
                                if (inl == 0.0 && std::nearbyint(t / l + ch.offset[kk]) != std::nearbyint(t * (1.0 / l) + ch.offset[kk]))
                                    ++product_differs;
                            }
                        }
                        if (rep == 0) {
                            x[3] = std::numeric_limits<double>::quiet_NaN();
                            x[4] = std::numeric_limits<double>::infinity();
                            x[5] = -std::numeric_limits<double>::infinity();
                        }
                        std::vector<double> code(static_cast<size_t>(n)), row = x;
                        adc.codes_row(x.data(), ch, n, code.data());
                        adc.quantize_row(row.data(), ch, n);
                        Eigen::MatrixXd col = Eigen::Map<const Eigen::MatrixXd>(x.data(), 1, n);
                        adc.quantize(col, cols);
                        int wrong_code = 0, wrong_value = 0;
                        for (int k = 0; k < n; ++k) {
                            const auto kk = static_cast<size_t>(k);
                            // Adc::code is the per-sample reference (it shares the formula only without INL).
                            if (inl == 0.0 && code[kk] != static_cast<double>(adc.code(x[kk], k))) ++wrong_code;
                            if (!same_bits(row[kk], col(0, k))) ++wrong_value;
                        }
                        INFO("repetition " << rep);
                        REQUIRE(wrong_code == 0);
                        REQUIRE(wrong_value == 0);
                    }
                }
            }
        }
    }
    // The thresholds were really hit: the plain product would have converted some of these
    // inputs to a neighbouring code (0 here means the inputs no longer test the guard).
    CHECK(product_differs > 100);
}
