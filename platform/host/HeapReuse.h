// glibc malloc settings for a short-lived simulation process: freed memory is kept and reused.
//
// Every page the heap hands out for the first time is a page fault with the kernel clearing
// 4 KiB (~3-5 us each on the KVM guests measured, docs/performance.md "Start-up"). By default
// glibc maps blocks above its (dynamic) mmap threshold on their own and unmaps them on free,
// and trims the heap top, so a scratch block allocated per burst is faulted in again on every
// use. Here blocks up to kMmapThreshold come from the heap, and the heap keeps a pad at its
// top instead of trimming it: memory once touched is reused until the process ends.
//
// Not done (tried in 20da8ed, removed): advising the heap for transparent huge pages. On a
// guest whose balloon reports free 2 MiB blocks to the host (virtio free page reporting), a
// fresh huge page is host-cold memory: the demo's 1-sample run then took 0.1-0.4 s of system
// time in some runs (clear_page_erms under do_huge_pmd_anonymous_page), VGG-8 0.3-0.6 s.
#pragma once

#include <cstddef>

namespace sotsim::host {

// glibc's limit of its dynamic mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit hosts).
inline constexpr std::size_t kMmapThreshold = std::size_t{32} << 20;
// Free memory the heap keeps at its top (only address space until touched).
inline constexpr std::size_t kTopPad = std::size_t{64} << 20;

// Sets M_TOP_PAD = kTopPad and M_MMAP_THRESHOLD = kMmapThreshold. Returns false where the C
// library is not glibc or refuses (the heap then behaves as by default). Call once, early.
bool keep_heap_for_reuse();

}  // namespace sotsim::host
