// Fuzz target: the chip config loader and validator (YAML parsing with its alias/include
// limits, includes resolved against the shipped configs/, schema, units, cross-checks) and
// the resolved config's YAML emitter. Seeds: configs/, tests/data/configs, tests/data/regress/yaml.
#include "tests/fuzz/FuzzSupport.h"


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    const std::string path = fuzz::Scratch::get().write("configs/fuzz.yaml", data, size);
    fuzz::expect_clean([&] {
        const Config cfg = config::load_config(path);
        // What `sotsim validate` prints and report.json embeds must itself load again.
        const std::string yaml = config::to_yaml(cfg);
        const std::string again = fuzz::Scratch::get().write("configs/fuzz_resolved.yaml",
                                                             reinterpret_cast<const uint8_t*>(yaml.data()), yaml.size());
        // The header's "# source: FILE" line differs; everything else must not.
        auto body = [](std::string y) {
            const size_t at = y.find("# source: ");
            if (at != std::string::npos) y.erase(at, y.find('\n', at) - at);
            return y;
        };
        if (body(yaml) != body(config::to_yaml(config::load_config(again))))
            fuzz::finding("the resolved config does not load back to itself");
    });
    return 0;
}
