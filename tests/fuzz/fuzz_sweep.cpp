// Fuzz target: the sweep file parser and validator (every value checked against the base
// config, point-count limit) and the point expansion. The input is written as
// SCRATCH/configs/sweeps/fuzz.yaml so the shipped sweeps' relative paths resolve.
// Seeds: configs/sweeps, tests/data/regress/sweep.
#include "tests/fuzz/FuzzSupport.h"

#include "platform/sweep/Sweep.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sotsim;
    const std::string path = fuzz::Scratch::get().write("configs/sweeps/fuzz.yaml", data, size);
    fuzz::expect_clean([&] {
        try {
            // A small point limit: expansion of an accepted file stays cheap.
            const sweep::SweepSpec spec = sweep::load_sweep(path, 4096);
            const auto points = sweep::expand(spec);
            if (points.empty()) fuzz::finding("an accepted sweep expands to no point");
            for (const auto& p : points) (void)sweep::point_overrides(spec, p);
        } catch (const sweep::SweepError& e) {
            fuzz::check_message("SweepError", e.what());
        }
    });
    return 0;
}
