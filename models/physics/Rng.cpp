#include "models/physics/Rng.h"

#include <cmath>

namespace sotsim::phys {

namespace {
constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}
}  // namespace

std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

Rng Rng::derive(std::uint64_t seed, std::uint64_t macro_id, const std::string& purpose) {
    // Chain the mixer so that (seed, id, purpose) triples that differ anywhere give
    // unrelated keys; the additive constants keep zero inputs from collapsing.
    std::uint64_t k = splitmix64_mix(seed + kGolden);
    k = splitmix64_mix(k ^ (macro_id + 0x632BE59BD9B4E019ULL));
    k = splitmix64_mix(k ^ fnv1a(purpose));
    return Rng(k);
}

std::uint64_t Rng::next_u64() {
    ++counter_;
    return splitmix64_mix(key_ + counter_ * kGolden);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

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

double Rng::lognormal_mean_cv(double mean, double cv) {
    if (cv <= 0.0) return mean;
    // For ln x ~ N(mu, s^2): E[x] = exp(mu + s^2/2), cv^2 = exp(s^2) - 1.
    const double s2 = std::log1p(cv * cv);
    const double mu = std::log(mean) - 0.5 * s2;
    return std::exp(mu + std::sqrt(s2) * normal());
}

}  // namespace sotsim::phys
