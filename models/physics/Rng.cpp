#include "models/physics/Rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sotsim::phys {

namespace {
constexpr std::uint64_t kGolden = Rng::kGamma;

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}
}  // namespace

Rng Rng::derive(std::uint64_t seed, std::uint64_t macro_id, const std::string& purpose) {
    // Chain the mixer so that (seed, id, purpose) triples that differ anywhere give
    // unrelated keys; the additive constants keep zero inputs from collapsing.
    std::uint64_t k = splitmix64_mix(seed + kGolden);
    k = splitmix64_mix(k ^ (macro_id + 0x632BE59BD9B4E019ULL));
    k = splitmix64_mix(k ^ fnv1a(purpose));
    return Rng(k);
}

double Rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    const double u1 = uniform_open();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 2.0 * M_PI * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
}

void Rng::fill_normal(double* out, std::size_t n) {
    std::size_t i = 0;
    if (n > 0 && has_spare_) {
        has_spare_ = false;
        out[i++] = spare_;
    }
    // Both Box-Muller variates of a pair, in the order normal() returns them.
    for (; i + 1 < n; i += 2) {
        const double u1 = uniform_open();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double a = 2.0 * M_PI * u2;
        out[i] = r * std::cos(a);
        out[i + 1] = r * std::sin(a);
    }
    if (i < n) out[i] = normal();  // odd tail: keeps the spare for the next draw
}

namespace {
// ln(x) for x in (0, 1], float: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m by the Cephes
// logf polynomial (|error| < 2e-7 relative over the range used here).
inline float log_f(float x) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    int e = static_cast<int>((bits >> 23) & 0xffu) - 126;
    bits = (bits & 0x807fffffu) | 0x3f000000u;  // m in [0.5, 1)
    float m;
    std::memcpy(&m, &bits, sizeof m);
    const bool small = m < 0.70710678f;
    e -= small ? 1 : 0;
    // (m + m) - 1 or (m + 0) - 1: the same values as a branch, written as a select of the
    // addend so the fill loop vectorises (a conditional add is not if-converted under
    // trapping math).
    m = (m + (small ? m : 0.0f)) - 1.0f;
    const float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float y = p * m * z;
    const float ef = static_cast<float>(e);
    y += -2.12194440e-4f * ef;
    y += -0.5f * z;
    return m + y + 0.693359375f * ef;
}
}  // namespace

void Rng::fill_normal_f(float* out, std::size_t n) {
    has_spare_ = false;
    constexpr std::size_t kBlock = 128;   // pairs per block (stack buffers, vector loops)
    std::int32_t h1[kBlock], h2[kBlock];   // top 24 bits of the pair's two draws
    float r[kBlock], c[kBlock], s[kBlock];
    const std::size_t pairs = (n + 1) / 2;
    for (std::size_t p0 = 0; p0 < pairs; p0 += kBlock) {
        const std::size_t m = std::min(kBlock, pairs - p0);
        const std::uint64_t base = counter_;
        for (std::size_t i = 0; i < m; ++i) {
            h1[i] = static_cast<std::int32_t>(splitmix64_mix(key_ + (base + 1 + 2 * i) * kGolden) >> 40);
            h2[i] = static_cast<std::int32_t>(splitmix64_mix(key_ + (base + 2 + 2 * i) * kGolden) >> 40);
        }
        counter_ += 2 * m;
        for (std::size_t i = 0; i < m; ++i) {
            // u1 in (0, 1) from the top 24 bits (+1/2 ulp: never 0), u2 in [0, 1) as quarter turns.
            const float u1 = (static_cast<float>(h1[i]) + 0.5f) * 0x1.0p-24f;
            const float t = static_cast<float>(h2[i]) * 0x1.0p-22f;   // 4 u2 in [0, 4)
            const float q = static_cast<float>(static_cast<int>(t + 0.5f));        // nearest quarter
            const float a = (t - q) * 1.5707963267948966f;                         // in [-pi/4, pi/4]
            const float a2 = a * a;
            // sin / cos on [-pi/4, pi/4] (Cephes sinf / cosf polynomials, < 1e-7 absolute).
            const float sa = a + a * a2 * (-1.6666654611e-1f + a2 * (8.3321608736e-3f + a2 * -1.9515295891e-4f));
            const float ca = 1.0f - 0.5f * a2 + a2 * a2 * (4.166664568298827e-2f + a2 * (-1.388731625493765e-3f + a2 * 2.443315711809948e-5f));
            const int quadrant = static_cast<int>(q) & 3;
            // angle = quadrant * pi/2 + a
            c[i] = quadrant == 0 ? ca : quadrant == 1 ? -sa : quadrant == 2 ? -ca : sa;
            s[i] = quadrant == 0 ? sa : quadrant == 1 ? ca : quadrant == 2 ? -sa : -ca;
            r[i] = std::sqrt(-2.0f * log_f(u1));
        }
        float* o = out + 2 * p0;
        const std::size_t left = n - 2 * p0;
        if (left >= 2 * m) {
            for (std::size_t i = 0; i < m; ++i) {
                o[2 * i] = r[i] * c[i];
                o[2 * i + 1] = r[i] * s[i];
            }
        } else {
            for (std::size_t i = 0; i < left; ++i) o[i] = r[i / 2] * (i % 2 == 0 ? c[i / 2] : s[i / 2]);
        }
    }
}

Rng::LogNormal Rng::LogNormal::of(double mean, double cv) {
    LogNormal p;
    p.mean = mean;
    if (cv <= 0.0) return p;
    // For ln x ~ N(mu, s^2): E[x] = exp(mu + s^2/2), cv^2 = exp(s^2) - 1.
    const double s2 = std::log1p(cv * cv);
    p.mu = std::log(mean) - 0.5 * s2;
    p.sigma = std::sqrt(s2);
    p.degenerate = false;
    return p;
}

double Rng::lognormal(const LogNormal& p) { return p.degenerate ? p.mean : std::exp(p.mu + p.sigma * normal()); }

double Rng::lognormal_mean_cv(double mean, double cv) { return lognormal(LogNormal::of(mean, cv)); }

}  // namespace sotsim::phys
