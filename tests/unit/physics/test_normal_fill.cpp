// The single-precision normal generator of the read-noise hot loop (Rng::fill_normal_f)
// against the standard normal distribution: Kolmogorov-Smirnov distance to Phi, the first
// four moments, and tail frequencies against erfc.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/physics/Rng.h"

using sotsim::phys::Rng;

namespace {
double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
}  // namespace

TEST_CASE("fill_normal_f draws standard normals", "[physics][rng][noise]") {
    const std::size_t n = 400001;   // odd: exercises the tail of the last pair
    std::vector<float> z(n);
    Rng rng = Rng::derive(17, 3, "normal_fill_test");
    // In uneven pieces, as the MVM draws one row of column normals per vector.
    std::size_t at = 0;
    for (std::size_t piece : {std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{1000}}) {
        rng.fill_normal_f(z.data() + at, piece);
        at += piece;
    }
    rng.fill_normal_f(z.data() + at, n - at);

    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    std::size_t beyond1 = 0, beyond2 = 0, beyond3 = 0;
    for (float f : z) {
        const double v = f;
        REQUIRE(std::isfinite(v));
        m1 += v;
        m2 += v * v;
        m3 += v * v * v;
        m4 += v * v * v * v;
        beyond1 += std::abs(v) > 1.0;
        beyond2 += std::abs(v) > 2.0;
        beyond3 += std::abs(v) > 3.0;
    }
    const double dn = static_cast<double>(n);
    m1 /= dn, m2 /= dn, m3 /= dn, m4 /= dn;
    // Standard errors: mean 1/sqrt(n), variance sqrt(2/n), skew sqrt(15/n), 4th moment sqrt(96/n);
    // tolerances are 5 of them.
    CHECK(std::abs(m1) < 5.0 / std::sqrt(dn));
    CHECK(std::abs(m2 - 1.0) < 5.0 * std::sqrt(2.0 / dn));
    CHECK(std::abs(m3) < 5.0 * std::sqrt(15.0 / dn));
    CHECK(std::abs(m4 - 3.0) < 5.0 * std::sqrt(96.0 / dn));
    for (auto [count, k] : {std::pair{beyond1, 1.0}, std::pair{beyond2, 2.0}, std::pair{beyond3, 3.0}}) {
        const double p = std::erfc(k / std::sqrt(2.0));
        CHECK(std::abs(static_cast<double>(count) / dn - p) < 5.0 * std::sqrt(p * (1 - p) / dn));
    }
    // Kolmogorov-Smirnov: D < 1.95 / sqrt(n) is the 0.1 % critical value.
    std::sort(z.begin(), z.end());
    double d = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double f = phi(z[i]);
        d = std::max({d, f - static_cast<double>(i) / dn, static_cast<double>(i + 1) / dn - f});
    }
    CHECK(d < 1.95 / std::sqrt(dn));
}

TEST_CASE("fill_normal_f: the stream advances by one pair per two draws", "[physics][rng][determinism]") {
    Rng a = Rng::derive(5, 0, "nf"), b = Rng::derive(5, 0, "nf");
    std::vector<float> x(7), y(8);
    a.fill_normal_f(x.data(), 7);
    b.fill_normal_f(y.data(), 8);
    for (int i = 0; i < 7; ++i) REQUIRE(x[i] == y[i]);   // an odd n drops the last variate only
    REQUIRE(a.counter() == b.counter());
    REQUIRE(a.next_u64() == b.next_u64());
}
