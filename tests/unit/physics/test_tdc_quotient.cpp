// tdc_rounded_quotient (the fused resistance readout's counter step) against the division
// of TimeToDigital::convert_delays, lane by lane: quotients at and a few ulps around every
// half-integer (where the reciprocal's product may round the other way), on both sides of
// the 2^19 bound, negative, zero, NaN and infinite.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "models/physics/TdcQuotient.h"

#if defined(__AVX512F__)
using namespace sotsim::phys;

namespace {
double exact(double a, double l) {
    const double v = a / l;
    return v >= 0.0 ? (v + 0x1.0p52) - 0x1.0p52 : 0.0;
}
}  // namespace

TEST_CASE("TDC quotient by the reciprocal rounds as the division", "[physics][tdc][resistance_readout]") {
    std::vector<double> lsbs = {0.8125e-9, 0.203125e-9 * 1.1, 1.0 / 3.0, 3.0, 0.1, 7.77e-10};
    std::mt19937_64 gen(3);
    std::uniform_real_distribution<double> u(0.1, 10.0);
    for (int i = 0; i < 20; ++i) lsbs.push_back(u(gen) * 1e-10);
    const double inf = std::numeric_limits<double>::infinity();
    long long checked = 0;
    for (const double l : lsbs) {
        std::vector<double> a;
        for (int k = 0; k < 70; ++k)
            for (const double half : {k + 0.5, static_cast<double>(k)}) {
                double x = half * l;
                for (int s = 0; s < 4; ++s) x = std::nextafter(x, -inf);
                for (int s = 0; s < 9; ++s, x = std::nextafter(x, inf)) a.push_back(x);
            }
        for (const double big : {0x1.0p19 - 0.5, 0x1.0p19 + 0.5, 1e7})
            a.push_back(big * l), a.push_back(std::nextafter(big * l, inf)), a.push_back(std::nextafter(big * l, -inf));
        for (const double v : {-l, -0.0, 0.0, -1e-300, std::nan(""), inf, -inf}) a.push_back(v);
        while (a.size() % 8 != 0) a.push_back(0.25 * l);
        for (const bool exact_lanes : {false, true})
            for (std::size_t i = 0; i < a.size(); i += 8) {
                double q[8];
                _mm512_storeu_pd(q, tdc_rounded_quotient(_mm512_loadu_pd(a.data() + i), _mm512_set1_pd(l),
                                                         _mm512_set1_pd(1.0 / l), exact_lanes));
                for (int j = 0; j < 8; ++j) {
                    INFO("l " << l << " a " << a[i + j] << " quotient " << a[i + j] / l);
                    const double e = exact(a[i + j], l);
                    // Above 2^19 the fast lanes may differ, but only where both reach the top
                    // of any counter the fast path serves (>= 2^19 - 1).
                    if (!exact_lanes && e >= 0x1.0p19 - 1)
                        CHECK(q[j] >= 0x1.0p19 - 1);
                    else
                        CHECK(q[j] == e);
                    ++checked;
                }
            }
    }
    CHECK(checked > 20000);
    CHECK_FALSE(tdc_quotient_needs_division(15));
    CHECK(tdc_quotient_needs_division((1 << 19) - 1));
}
#endif
