// Fuzz target: the .npy reader (header dictionary, dtypes, shape products) and the CSV
// matrix reader on the same bytes. Seeds: tests/data/arrays, tests/data/regress/npy.
#include "tests/fuzz/FuzzSupport.h"

#include "workloads/data/ArrayFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    const std::string npy = fuzz::Scratch::get().write("fuzz.npy", data, size);
    fuzz::expect_clean([&] { (void)workloads::read_npy(npy); });
    fuzz::expect_clean([&] { (void)workloads::read_npy(npy, /*allow_non_finite=*/true); });
    const std::string csv = fuzz::Scratch::get().write("fuzz.csv", data, size);
    fuzz::expect_clean([&] { (void)workloads::read_csv(csv); });
    fuzz::expect_clean([&] { (void)workloads::read_matrix(npy); });
    return 0;
}
