// The heap's huge-page advice (platform/host/HugeHeap.h): the grown range is advised, later
// heap blocks land in it, and it stays at the top of the heap after frees.
#include "platform/host/HugeHeap.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

// VmFlags of the mapping of /proc/self/smaps that contains `p` ("" if none).
std::string vm_flags_of(const void* p) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    std::ifstream in("/proc/self/smaps");
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream ls(line);
        if (ls >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
            inside = a >= lo && a < hi;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return "";
}

// True when `p` lies in the process's brk heap (a "[heap]" line of /proc/self/maps), not in
// a mapping of its own.
bool in_heap(const void* p) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    std::ifstream in("/proc/self/maps");
    for (std::string line; std::getline(in, line);) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream ls(line);
        if (ls >> std::hex >> lo >> dash >> hi && a >= lo && a < hi) return line.find("[heap]") != std::string::npos;
    }
    return false;
}

bool thp_on_advice() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string s;
    std::getline(in, s);
    return s.find("[madvise]") != std::string::npos || s.find("[always]") != std::string::npos;
}

}  // namespace

TEST_CASE("huge heap: the grown heap is advised for huge pages and serves later blocks", "[host][memory]") {
    const std::size_t pad = std::size_t{16} << 20;
    const std::size_t advised = sotsim::host::advise_huge_heap(pad);
    if (!thp_on_advice()) {
        // No huge pages on advice here: nothing is promised but a harmless call.
        SUCCEED("transparent huge pages off on this kernel");
        return;
    }
    // The heap grew by the pad plus the request that grew it, less what the frees trimmed
    // above the pad (free chunks below the old top count towards the pad).
    REQUIRE(advised > pad / 2);
    REQUIRE(advised < 2 * pad);
    // Blocks below the mmap threshold come from the advised top of the heap, also after a
    // free of everything taken (the pad keeps the range from being trimmed).
    for (int round = 0; round < 2; ++round) {
        void* blocks[64];
        for (auto& b : blocks) {
            b = std::malloc(64 * 1024);
            REQUIRE(b != nullptr);
            std::memset(b, 1, 64 * 1024);
        }
        const std::string flags = vm_flags_of(blocks[63]);
        INFO("round " << round << ": " << flags);
        CHECK(flags.find(" hg") != std::string::npos);
        for (auto& b : blocks) std::free(b);
    }
}

TEST_CASE("huge heap: a zero or absurd size is refused without touching the heap", "[host][memory]") {
    CHECK(sotsim::host::advise_huge_heap(0) == 0);
    CHECK(sotsim::host::advise_huge_heap(std::size_t{1} << 40) == 0);
}

// Setting M_TOP_PAD switches off glibc's dynamic mmap threshold: it would stay at 128 KiB, and
// every larger block that the heap's top cannot serve would be a fresh mapping, page-faulted
// and cleared again on every use. The call fixes the threshold at kMmapThreshold: a block
// larger than the pad (so not carved from the top) but below the threshold extends the heap
// and is reused after a free; a block above it is still mapped on its own.
TEST_CASE("huge heap: blocks up to the mmap threshold come from the heap and larger ones are mapped", "[host][memory]") {
    const std::size_t pad = std::size_t{16} << 20;
    if (sotsim::host::advise_huge_heap(pad) == 0) {
        SUCCEED("no huge-page advice on this host: the heap is left as it is");
        return;
    }
    for (const std::size_t bytes : {pad + (std::size_t{8} << 20), sotsim::host::kMmapThreshold - (std::size_t{1} << 20)}) {
        void* a = std::malloc(bytes);
        REQUIRE(a != nullptr);
        INFO(bytes << " bytes at " << a);
        CHECK(in_heap(a));
        std::free(a);
        void* b = std::malloc(bytes);  // the same size again: the freed heap block
        CHECK(b == a);
        std::free(b);
    }
    void* big = std::malloc(sotsim::host::kMmapThreshold + (std::size_t{1} << 20));
    REQUIRE(big != nullptr);
    CHECK_FALSE(in_heap(big));
    std::free(big);
}
