// Transparent huge pages for the heap of this process.
//
// A demo run touches ~50 MB of fresh heap (the programmed macros' matrices, the program
// image, the imported network), each 4 KiB page once: ~12,000 first-touch page faults, a
// tenth of the run's CPU time on a KVM guest. Where the kernel gives huge pages on advice
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise or always), a 2 MiB page replaces
// 512 of those faults. glibc advises its heap only when told so through the environment
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, read before main); this does the same from inside.
#pragma once

#include <cstddef>

namespace sotsim::host {

// Grows the heap once by about `bytes`, keeps that much free at its top from then on
// (M_TOP_PAD: trims never hand it back, later growth comes in steps of `bytes`) and advises
// the grown range for huge pages (MADV_HUGEPAGE). Memory is committed only where touched,
// as before, but in 2 MiB pages. Blocks up to kMmapThreshold come from the heap (reused
// after a free, no new mapping; see HugeHeap.cpp). Returns the bytes advised: 0 where the
// kernel or the C library does not support it (the heap then behaves as without the call).
// Call once, early.
std::size_t advise_huge_heap(std::size_t bytes);

// glibc's limit of its dynamic mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit hosts).
inline constexpr std::size_t kMmapThreshold = std::size_t{32} << 20;

}  // namespace sotsim::host
