// SHA-256 compression function (FIPS 180-4, section 6.2.2) over whole 64-byte blocks, in
// two implementations with identical results: portable C++ and the x86 SHA extensions
// (SHA-NI: sha256rnds2 / sha256msg1 / sha256msg2), chosen at run time by CPUID so a
// portable build uses them where the host has them. A run hashes its dataset files for the
// report (the MNIST test images are 7.8 MB): the portable loop takes ~30 ms of a demo run's
// start-up, the SHA extensions a few ms.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sotsim::report {

// state[8] (a..h) updated by `blocks` 64-byte blocks at `p`.
void sha256_blocks_portable(std::uint32_t state[8], const unsigned char* p, std::size_t blocks);
// The same with the SHA extensions; returns false (state untouched) when the CPU lacks them.
bool sha256_blocks_ni(std::uint32_t state[8], const unsigned char* p, std::size_t blocks);
// Whichever the host supports (decided once).
void sha256_blocks(std::uint32_t state[8], const unsigned char* p, std::size_t blocks);

}  // namespace sotsim::report
