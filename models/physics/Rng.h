// Counter-based, splittable random number generator.
//
// Every stochastic effect of one macro draws from its own stream, keyed by the triple
// (sim.seed, macro id, purpose). The key is a SplitMix64 hash of the triple; the stream is
// the SplitMix64 output of key + n * golden-gamma for n = 0, 1, 2, ... So two macros (or
// two purposes of one macro) never share numbers, and the numbers a macro sees do not
// depend on how the SystemC scheduler interleaves macros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sotsim::phys {

// An empty asm that keeps x in a general register, so a loop of independent splitmix64
// chains (hashes, checksums) stays scalar: vectorised, the 64-bit multiplies become vpmullq
// (AVX-512DQ, ~15 cycles) and four chains ran 1.3x one serial chain; scalar they run 2-3x.
inline void keep_in_register(std::uint64_t& x) {
#if defined(__GNUC__)
    asm("" : "+r"(x));
#else
    (void)x;
#endif
}

// SplitMix64 finaliser (Steele, Lea, Flood, OOPSLA 2014): a bijective 64-bit mixer.
inline std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class Rng {
public:
    static constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;   // SplitMix64's golden gamma

    explicit Rng(std::uint64_t key = 0) : key_(key) {}

    // Draw number `counter` (1, 2, ...) of the stream keyed `key`, as the counter-th
    // next_u64() / uniform() / uniform_open() of Rng(key) returns it: many streams' draws
    // filled at once (d2d sampling, one stream per device).
    static std::uint64_t u64_at(std::uint64_t key, std::uint64_t counter) { return splitmix64_mix(key + counter * kGamma); }
    static double uniform_at(std::uint64_t key, std::uint64_t counter) {
        return static_cast<double>(u64_at(key, counter) >> 11) * 0x1.0p-53;
    }
    static double uniform_open_at(std::uint64_t key, std::uint64_t counter) {
        return (static_cast<double>(u64_at(key, counter) >> 11) + 0.5) * 0x1.0p-53;
    }

    // Independent stream for (seed, macro_id, purpose), e.g. purpose "device_d2d".
    static Rng derive(std::uint64_t seed, std::uint64_t macro_id, const std::string& purpose);

    // Inline: the write pulses and calibration inputs draw one uniform each, millions per run.
    std::uint64_t next_u64() { return u64_at(key_, ++counter_); }
    double uniform() { return uniform_at(key_, ++counter_); }             // [0, 1), 53-bit resolution
    double uniform_open() { return uniform_open_at(key_, ++counter_); }   // (0, 1): safe for log()
    double normal();                  // standard normal (Box-Muller)
    double normal(double mean, double sigma) { return mean + sigma * normal(); }
    // out[0..n) = n successive normal() draws (same values, same stream state afterwards),
    // without the per-draw call and spare bookkeeping: the read-noise hot loop.
    void fill_normal(double* out, std::size_t n);
    // out[0..n) = n standard normals in single precision for the read-noise hot loop: Box-Muller
    // on 24-bit uniforms with polynomial log / sin / cos (max error ~2e-7 relative; tails cut
    // at 5.9 sigma, probability 4e-9), written as plain loops the compiler vectorises. Draws
    // pairs from the same counter stream as normal() (2 counters per pair), but the values
    // differ from fill_normal(); an odd n discards the second variate of the last pair, so the
    // stream state afterwards depends only on n. Ignores and clears a pending spare.
    void fill_normal_f(float* out, std::size_t n);
    // Lognormal with E[x] = mean and std(x)/E[x] = cv (cv = 0 returns mean exactly).
    double lognormal_mean_cv(double mean, double cv);
    // The same draw with its parameters computed once (LogNormal::of): a device samples
    // thousands of cells from a handful of (mean, cv) pairs.
    struct LogNormal {
        double mean = 1.0, mu = 0.0, sigma = 0.0;
        bool degenerate = true;   // cv <= 0: the mean itself, no draw
        static LogNormal of(double mean, double cv);
    };
    double lognormal(const LogNormal& p);
    bool bernoulli(double p) { return p > 0.0 && uniform() < p; }

    std::uint64_t key() const { return key_; }
    std::uint64_t counter() const { return counter_; }
    // Advances the stream past n draws taken by counter (uniform_at(key(), counter() + 1 ..
    // counter() + n)), as n calls of uniform() would.
    void skip(std::uint64_t n) { counter_ += n; }

private:
    std::uint64_t key_;
    std::uint64_t counter_ = 0;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace sotsim::phys
