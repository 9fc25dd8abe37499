#include "platform/host/HeapReuse.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sotsim::host {

bool keep_heap_for_reuse() {
#if defined(__linux__) && defined(__GLIBC__)
    // The pad: heap growth comes in steps of request + pad (fewer brk calls) and a trim
    // leaves the pad in place, so freed memory at the top stays mapped for the next block.
    if (::mallopt(M_TOP_PAD, static_cast<int>(kTopPad)) != 1) return false;
    // Setting any of the pad / trim / mmap parameters switches off glibc's dynamic mmap
    // threshold, which otherwise rises to the size of the largest mapped block freed (up to
    // 32 MiB). It would stay at 128 KiB: every larger block the heap's free chunks cannot
    // serve (a 200 KiB im2col staging vector per Mvm burst of VGG-8, a layer's scratch
    // matrices) would be a fresh mapping, faulted in and cleared by the kernel page by page
    // on every use. Fix it where the dynamic rule ends up: blocks below 32 MiB come from the
    // heap and are reused after a free.
    return ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold)) == 1;
#else
    return false;
#endif
}

}  // namespace sotsim::host
