#include "platform/host/HugeHeap.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace sotsim::host {

std::size_t advise_huge_heap(std::size_t bytes) {
#if defined(__linux__) && defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    if (bytes == 0 || bytes > (std::size_t{1} << 30)) return 0;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    if (::mallopt(M_TOP_PAD, static_cast<int>(bytes)) != 1) return 0;
    // Setting any of the pad / trim / mmap parameters switches off glibc's dynamic mmap
    // threshold, which otherwise rises to the size of the largest mapped block freed (up to
    // 32 MiB). It would stay at 128 KiB: every larger block the heap's free chunks cannot
    // serve (a 200 KiB im2col staging vector per Mvm burst of VGG-8, a layer's scratch
    // matrices) would be a fresh mapping, faulted in and cleared by the kernel page by page
    // on every use. Fix it where the dynamic rule ends up: blocks below 32 MiB come from the
    // heap and are reused after a free.
    // (glibc accepts any value up to that limit; a refusal would only cost speed.)
    ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold));
    // The next time malloc extends the heap it asks for the request plus the pad. Take blocks
    // below the mmap threshold until it does (the heap's free chunks, fordblks, are used up
    // first; at start-up they are ~100 KiB), then give them back: they merge into the top
    // chunk, which the pad keeps.
    constexpr std::size_t kBlock = 32 * 1024;
    const std::size_t limit = ::mallinfo2().fordblks + (std::size_t{4} << 20);
    const auto start = reinterpret_cast<std::uintptr_t>(::sbrk(0));
    std::vector<void*> blocks;
    blocks.reserve(limit / kBlock + 1);
    std::uintptr_t end = start;
    for (std::size_t taken = 0; taken < limit && end == start; taken += kBlock) {
        void* p = std::malloc(kBlock);
        if (!p) break;
        blocks.push_back(p);
        end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
    }
    for (void* p : blocks) std::free(p);
    // The frees may trim the heap back to the pad: advise what is mapped now.
    if (end != start) end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
    const std::uintptr_t lo = (start + page - 1) & ~(page - 1), hi = end & ~(page - 1);
    if (hi <= lo) return 0;
    if (::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE) != 0) return 0;
    return static_cast<std::size_t>(hi - lo);
#else
    (void)bytes;
    return 0;
#endif
}

}  // namespace sotsim::host
