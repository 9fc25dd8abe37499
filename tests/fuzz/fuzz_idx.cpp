// Fuzz target: the IDX (MNIST) reader, plain and gzipped (an input starting with the gzip
// magic is read as FILE.gz, with the inflation limits). Seeds: tests/data/regress/idx.
#include "tests/fuzz/FuzzSupport.h"

#include "workloads/data/IdxFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    // A small limit keeps every accepted input cheap; the limit logic is what is exercised.
    constexpr std::uint64_t kLimit = 1u << 20;
    fuzz::expect_clean([&] { (void)workloads::parse_idx(bytes, "fuzz.idx", kLimit); });
    const bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    const std::string path = fuzz::Scratch::get().write(gz ? "fuzz.idx.gz" : "fuzz.idx", data, size);
    fuzz::expect_clean([&] { (void)workloads::read_idx(path, kLimit); });
    return 0;
}
