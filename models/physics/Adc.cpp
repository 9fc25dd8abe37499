#include "models/physics/Adc.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sotsim::phys {

Adc::Adc(const AdcConfig& c) : cfg_(c) {
    if (c.bits < 1 || c.bits > 24) throw std::invalid_argument("adc: bits must be in 1..24");
}

void Adc::set_range(double lo, double hi) {
    if (!(hi > lo)) throw std::invalid_argument("adc: input range must have hi > lo");
    lo_ = lo;
    hi_ = hi;
}

void Adc::sample_mismatch(int cols, Rng& rng) {
    gain_.assign(cols, 1.0);
    offset_.assign(cols, 0.0);
    for (int c = 0; c < cols; ++c) {
        gain_[c] = 1.0 + cfg_.gain_sigma * rng.normal();
        offset_[c] = cfg_.offset_sigma * rng.normal();
    }
}

int Adc::code(double x, int col) const {
    const double l = lsb();
    const double u = (x - lo_) / (hi_ - lo_);
    const double g = col < static_cast<int>(gain_.size()) ? gain_[col] : 1.0;
    const double o = col < static_cast<int>(offset_.size()) ? offset_[col] : 0.0;
    const double uc = std::clamp(u, 0.0, 1.0);
    const double v = g * (x - lo_) / l + o + 4.0 * cfg_.inl * uc * (1.0 - uc);
    const double r = std::nearbyint(v);
    if (!(r > 0.0)) return 0;  // also catches NaN
    return r >= max_code() ? max_code() : static_cast<int>(r);
}

void Adc::quantize(Eigen::MatrixXd& x, int col0) const {
    for (Eigen::Index c = 0; c < x.cols(); ++c) quantize_column(x.col(c).data(), x.rows(), static_cast<size_t>(col0 + c));
}

void Adc::quantize(Eigen::MatrixXd& x, const std::vector<int>& cols) const {
    if (static_cast<Eigen::Index>(cols.size()) != x.cols()) throw std::logic_error("adc: one channel per column needed");
    for (Eigen::Index c = 0; c < x.cols(); ++c) quantize_column(x.col(c).data(), x.rows(), static_cast<size_t>(cols[static_cast<size_t>(c)]));
}

namespace {

// The transfer of code() + reconstruct() with the channel constants hoisted and nearbyint()
// replaced by the 2^52 trick (identical under round-to-nearest-even for 0 <= v < 2^52;
// outside that range the clamp decides alike), so loops over it have no calls and vectorise.
struct Transfer {
    double l, span, lo, inl4, top;
    static constexpr double kRound = 0x1.0p52;
    double code(double xv, double g, double o) const {
        const double u = (xv - lo) / span;
        const double uc = u < 0.0 ? 0.0 : (1.0 < u ? 1.0 : u);
        const double v = g * (xv - lo) / l + o + inl4 * uc * (1.0 - uc);
        const double r = v >= 0.0 ? (v + kRound) - kRound : 0.0;  // NaN -> 0
        return r >= top ? top : r;
    }
    double operator()(double xv, double g, double o) const { return lo + code(xv, g, o) * l; }
};

// Codes of x[0..n) (element k by gain g[k], offset o[k]) as Transfer::code gives them, n <=
// kCodeChunk, x and code not overlapping. Without INL the transfer's two divisions (one
// double division costs ~8x a multiply on some cores, and this is per conversion) are not
// needed for the code: the INL term is then +-0 (it moves no code), and q = t / l is taken
// as t * (1 / l), which is within 2^-51 |q| of the rounded quotient. The code is the nearest
// integer of v = q + o, so the product picks the quotient's code unless v lies within that
// distance of a half-integer; such elements (a margin of 2^-40 relative, far above the
// error) are detected and the chunk is converted again by the exact transfer. The codes are
// therefore always the exact transfer's.
constexpr Eigen::Index kCodeChunk = Adc::kCodeChunk;
void transfer_codes(const Transfer& t, const double* x, const double* g, const double* o, Eigen::Index n, double* code) {
    if (t.inl4 == 0.0) {
        const double rl = 1.0 / t.l;
        int near = 0;
        for (Eigen::Index k = 0; k < n; ++k) {
            const double q = g[k] * (x[k] - t.lo) * rl;
            const double v = q + o[k];
            const double r = v >= 0.0 ? (v + Transfer::kRound) - Transfer::kRound : 0.0;
            // Distance to the rounding boundary (only v >= 0 has one: below 0.5 every v gives 0).
            const double slack = 0.5 - std::abs(v - r);
            near |= (v >= 0.0) & (slack <= 0x1.0p-40 * (std::abs(q) + std::abs(v) + 1.0));
            code[k] = r >= t.top ? t.top : r;
        }
        if (!near) return;
    }
    for (Eigen::Index k = 0; k < n; ++k) code[k] = t.code(x[k], g[k], o[k]);
}

}  // namespace

void Adc::quantize_row(double* x, const Channels& ch, Eigen::Index n) const {
    if (static_cast<Eigen::Index>(ch.gain.size()) < n) throw std::logic_error("adc: one channel per element needed");
    const Transfer t{lsb(), hi_ - lo_, lo_, 4.0 * cfg_.inl, static_cast<double>(max_code())};
    double code[kCodeChunk];
    for (Eigen::Index k0 = 0; k0 < n; k0 += kCodeChunk) {
        const Eigen::Index m = std::min(kCodeChunk, n - k0);
        transfer_codes(t, x + k0, ch.gain.data() + k0, ch.offset.data() + k0, m, code);
        for (Eigen::Index k = 0; k < m; ++k) x[k0 + k] = t.lo + code[k] * t.l;
    }
}

void Adc::codes_row(const double* x, const Channels& ch, Eigen::Index n, double* code) const {
    if (static_cast<Eigen::Index>(ch.gain.size()) < n) throw std::logic_error("adc: one channel per element needed");
    const Transfer t{lsb(), hi_ - lo_, lo_, 4.0 * cfg_.inl, static_cast<double>(max_code())};
    for (Eigen::Index k0 = 0; k0 < n; k0 += kCodeChunk)
        transfer_codes(t, x + k0, ch.gain.data() + k0, ch.offset.data() + k0, std::min(kCodeChunk, n - k0), code + k0);
}

void Adc::codes_range(const double* x, const Channels& ch, Eigen::Index first, Eigen::Index n, double* code) const {
    if (static_cast<Eigen::Index>(ch.gain.size()) < first + n || first % kCodeChunk != 0)
        throw std::logic_error("adc: a code range needs its channels and a chunk-aligned start");
    const Transfer t{lsb(), hi_ - lo_, lo_, 4.0 * cfg_.inl, static_cast<double>(max_code())};
    for (Eigen::Index k0 = first; k0 < first + n; k0 += kCodeChunk)
        transfer_codes(t, x + k0, ch.gain.data() + k0, ch.offset.data() + k0, std::min(kCodeChunk, first + n - k0), code + k0);
}

void Adc::quantize_column(double* p, Eigen::Index n, size_t col) const {
    const Transfer t{lsb(), hi_ - lo_, lo_, 4.0 * cfg_.inl, static_cast<double>(max_code())};
    const double g = col < gain_.size() ? gain_[col] : 1.0;
    const double o = col < offset_.size() ? offset_[col] : 0.0;
    for (Eigen::Index b = 0; b < n; ++b) p[b] = t(p[b], g, o);
}

Adc::Channels Adc::channels(const std::vector<int>& cols) const {
    Channels ch;
    for (const int c : cols) {
        const auto k = static_cast<size_t>(c);
        ch.gain.push_back(k < gain_.size() ? gain_[k] : 1.0);
        ch.offset.push_back(k < offset_.size() ? offset_[k] : 0.0);
    }
    return ch;
}

void register_all(AdcRegistry& r) {
    r.add("sar", [](const AdcConfig& c) { return std::make_unique<SarAdc>(c); });
    r.add("flash", [](const AdcConfig& c) { return std::make_unique<FlashAdc>(c); });
    r.add("ramp", [](const AdcConfig& c) { return std::make_unique<RampAdc>(c); });
}

const AdcRegistry& AdcRegistry::builtin() {
    static const AdcRegistry r = [] {
        AdcRegistry x;
        register_all(x);
        return x;
    }();
    return r;
}

}  // namespace sotsim::phys
