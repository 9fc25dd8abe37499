// Fuzz target: `--set key=value` overrides (one per input line) applied to a shipped preset:
// key paths, list indices, units and the validator's cross-checks on the result.
// Seeds: tests/fuzz/corpus/set.
#include "tests/fuzz/FuzzSupport.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> overrides;
    size_t start = 0;
    while (start <= text.size() && overrides.size() < 64) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        overrides.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    static const std::string base = std::string(SOTSIM_SOURCE_DIR) + "/configs/carletti_sot.yaml";
    fuzz::expect_clean([&] { (void)config::load_config(base, overrides); });
    return 0;
}
