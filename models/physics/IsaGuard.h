// Link-time guard against mixing Eigen code compiled for different vector ISAs.
//
// Why: Eigen's inline kernels, its allocator alignment (EIGEN_MAX_ALIGN_BYTES: 16 for
// SSE2, 32 for AVX, 64 for AVX-512) and the layout it assumes for aligned objects depend on
// the -march a translation unit is compiled with. The project compiles every unit with one
// SOTSIM_ARCH (CMakeLists.txt), and Eigen objects cross library boundaries (AnalogMacro,
// Program, Network). A unit built with other flags that includes a sotsim header would be
// an ODR violation that crashes or miscomputes at run time; with this header it is a link
// error naming the ISA mismatch instead: every including unit references a symbol whose
// name encodes its own Eigen ISA and alignment, defined once in IsaGuard.cpp for the ISA
// the libraries were built with.
#pragma once

#include <Eigen/Core>

#define SOTSIM_ISA_CAT2(a, b) a##b
#define SOTSIM_ISA_CAT(a, b) SOTSIM_ISA_CAT2(a, b)
#if defined(EIGEN_VECTORIZE_AVX512)
#define SOTSIM_ISA_NAME eigen_avx512_align_
#elif defined(EIGEN_VECTORIZE_AVX2) && defined(EIGEN_VECTORIZE_FMA)
#define SOTSIM_ISA_NAME eigen_avx2_fma_align_
#elif defined(EIGEN_VECTORIZE_AVX)
#define SOTSIM_ISA_NAME eigen_avx_align_
#elif defined(EIGEN_VECTORIZE)
#define SOTSIM_ISA_NAME eigen_sse_align_
#else
#define SOTSIM_ISA_NAME eigen_scalar_align_
#endif
// e.g. sotsim::isa_guard::eigen_avx512_align_64
#define SOTSIM_ISA_SYMBOL SOTSIM_ISA_CAT(SOTSIM_ISA_NAME, EIGEN_MAX_ALIGN_BYTES)

namespace sotsim::isa_guard {
extern const int SOTSIM_ISA_SYMBOL;
// Internal to each unit and kept by the compiler, so its address relocation always asks
// the linker for the symbol above.
[[gnu::used]] static const int* const this_unit_isa = &SOTSIM_ISA_SYMBOL;
// The ISA the libraries were built for, e.g. "avx512, 64-byte alignment" (sotsim info).
const char* library_isa();
}  // namespace sotsim::isa_guard
