// exp, log, sin and cos of whole arrays through the C library's vector math (glibc libmvec:
// the AVX-512, AVX2 or SSE variant the build's -march enables; scalar libm elsewhere).
//
// libmvec is accurate to 4 ulp (measured on this code's inputs: <= 3 ulp, log <= 1), so
// results differ from the scalar functions in the last bits of most values; a caller that
// needs one value or many gets the same bits either way (a short tail goes through the
// same vector function, padded). ~2 ns per value against 15-60 ns for the scalar calls.
#pragma once

#include <cstddef>

namespace sotsim::phys::vmath {

void exp(const double* x, double* y, std::size_t n);
void log(const double* x, double* y, std::size_t n);
// s[i] = sin(x[i]), c[i] = cos(x[i]).
void sincos(const double* x, double* s, double* c, std::size_t n);

}  // namespace sotsim::phys::vmath
