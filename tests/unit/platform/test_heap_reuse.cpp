// The heap settings of platform/host/HeapReuse.h: blocks up to the mmap threshold come from
// the heap and are reused after a free, larger ones are mapped on their own, and nothing is
// advised for transparent huge pages.
#include "platform/host/HeapReuse.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

// The line of /proc/self/maps whose range contains `p`, and that mapping's VmFlags from
// /proc/self/smaps ("" if none).
std::string mapping_of(const void* p, const char* file, bool flags) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    std::ifstream in(file);
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream ls(line);
        if (ls >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
            inside = a >= lo && a < hi;
            if (inside && !flags) return line;
            continue;
        }
        if (inside && flags && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return "";
}

bool in_heap(const void* p) { return mapping_of(p, "/proc/self/maps", false).find("[heap]") != std::string::npos; }

// glibc's allocator serves small blocks from the brk heap; a replaced allocator (the asan
// preset's) does not, and ignores mallopt: there is nothing of this unit to check.
bool glibc_heap() {
    void* p = std::malloc(64);
    const bool heap = in_heap(p);
    std::free(p);
    return heap;
}

}  // namespace

// Setting M_TOP_PAD switches off glibc's dynamic mmap threshold: it would stay at 128 KiB, and
// every larger block would be a fresh mapping, page-faulted and cleared again on every use.
// The call fixes the threshold at kMmapThreshold: a block below it comes from the heap and is
// reused after a free; a block above it that the heap's free top cannot hold is still mapped
// on its own.
TEST_CASE("heap reuse: blocks up to the mmap threshold come from the heap and larger ones are mapped", "[host][memory]") {
    if (!sotsim::host::keep_heap_for_reuse() || !glibc_heap()) {
        SUCCEED("not glibc's allocator: the heap is left as it is");
        return;
    }
    // 1 MiB: above glibc's default 128 KiB threshold; 31 MiB: just below the fixed one.
    for (const std::size_t bytes : {std::size_t{1} << 20, sotsim::host::kMmapThreshold - (std::size_t{1} << 20)}) {
        void* a = std::malloc(bytes);
        REQUIRE(a != nullptr);
        INFO(bytes << " bytes at " << a);
        CHECK(in_heap(a));
        std::free(a);
        void* b = std::malloc(bytes);  // the same size again: the freed heap block
        CHECK(b == a);
        std::free(b);
    }
    // Above the threshold and more than the heap's free top holds (the pad): its own mapping.
    void* big = std::malloc(sotsim::host::kTopPad + sotsim::host::kMmapThreshold + (std::size_t{1} << 20));
    REQUIRE(big != nullptr);
    CHECK_FALSE(in_heap(big));
    std::free(big);
}

// Huge pages stay off: on a guest with free page reporting a fresh 2 MiB page is host-cold
// memory, and clearing it took up to 0.4 s of a 0.1 s run (HeapReuse.h).
TEST_CASE("heap reuse: the heap is not advised for transparent huge pages", "[host][memory]") {
    sotsim::host::keep_heap_for_reuse();
    if (!glibc_heap()) {
        SUCCEED("not glibc's allocator");
        return;
    }
    void* blocks[64];
    for (auto& b : blocks) {
        b = std::malloc(64 * 1024);
        REQUIRE(b != nullptr);
        std::memset(b, 1, 64 * 1024);
    }
    const std::string flags = mapping_of(blocks[63], "/proc/self/smaps", true);
    INFO(flags);
    CHECK(flags.rfind("VmFlags:", 0) == 0);
    CHECK(flags.find(" hg") == std::string::npos);
    for (auto& b : blocks) std::free(b);
}
