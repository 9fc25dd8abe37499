#include "models/physics/VectorMath.h"

#include <cmath>
#include <cstring>

#if defined(SOTSIM_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GLIBC__) && (defined(__AVX512F__) || defined(__AVX2__) || defined(__SSE2__))
#include <immintrin.h>
#define SOTSIM_LIBMVEC 1
#endif

namespace sotsim::phys::vmath {
namespace {

#if defined(SOTSIM_LIBMVEC)
// glibc's vector ABI names (x86_64 vector function ABI: b = SSE, d = AVX2, e = AVX-512).
#if defined(__AVX512F__)
using V = __m512d;
constexpr std::size_t kW = 8;
extern "C" V _ZGVeN8v_exp(V);
extern "C" V _ZGVeN8v_log(V);
extern "C" V _ZGVeN8v_sin(V);
extern "C" V _ZGVeN8v_cos(V);
V vexp(V x) { return _ZGVeN8v_exp(x); }
V vlog(V x) { return _ZGVeN8v_log(x); }
V vsin(V x) { return _ZGVeN8v_sin(x); }
V vcos(V x) { return _ZGVeN8v_cos(x); }
V load(const double* p) { return _mm512_loadu_pd(p); }
void store(double* p, V v) { _mm512_storeu_pd(p, v); }
#elif defined(__AVX2__)
using V = __m256d;
constexpr std::size_t kW = 4;
extern "C" V _ZGVdN4v_exp(V);
extern "C" V _ZGVdN4v_log(V);
extern "C" V _ZGVdN4v_sin(V);
extern "C" V _ZGVdN4v_cos(V);
V vexp(V x) { return _ZGVdN4v_exp(x); }
V vlog(V x) { return _ZGVdN4v_log(x); }
V vsin(V x) { return _ZGVdN4v_sin(x); }
V vcos(V x) { return _ZGVdN4v_cos(x); }
V load(const double* p) { return _mm256_loadu_pd(p); }
void store(double* p, V v) { _mm256_storeu_pd(p, v); }
#else
using V = __m128d;
constexpr std::size_t kW = 2;
extern "C" V _ZGVbN2v_exp(V);
extern "C" V _ZGVbN2v_log(V);
extern "C" V _ZGVbN2v_sin(V);
extern "C" V _ZGVbN2v_cos(V);
V vexp(V x) { return _ZGVbN2v_exp(x); }
V vlog(V x) { return _ZGVbN2v_log(x); }
V vsin(V x) { return _ZGVbN2v_sin(x); }
V vcos(V x) { return _ZGVbN2v_cos(x); }
V load(const double* p) { return _mm_loadu_pd(p); }
void store(double* p, V v) { _mm_storeu_pd(p, v); }
#endif

// y = f(x) over n values; the tail (n mod width) padded with its first value, so a value's
// result does not depend on where in an array it sits.
template <class F>
void apply(F f, const double* x, double* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + kW <= n; i += kW) store(y + i, f(load(x + i)));
    if (i < n) {
        double in[kW], out[kW];
        for (std::size_t k = 0; k < kW; ++k) in[k] = x[i + (i + k < n ? k : 0)];
        store(out, f(load(in)));
        std::memcpy(y + i, out, (n - i) * sizeof(double));
    }
}
#endif

}  // namespace

#if defined(SOTSIM_LIBMVEC)
void exp(const double* x, double* y, std::size_t n) { apply(vexp, x, y, n); }
void log(const double* x, double* y, std::size_t n) { apply(vlog, x, y, n); }
void sincos(const double* x, double* s, double* c, std::size_t n) {
    apply(vsin, x, s, n);
    apply(vcos, x, c, n);
}
#else
void exp(const double* x, double* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void log(const double* x, double* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
}
void sincos(const double* x, double* s, double* c, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = std::sin(x[i]);
        c[i] = std::cos(x[i]);
    }
}
#endif

}  // namespace sotsim::phys::vmath
