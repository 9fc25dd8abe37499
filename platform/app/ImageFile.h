// Program image files (`sotsim compile --image FILE`, `sotsim run --image FILE`): the
// format is models/tile/ProgramImage.h (docs/program-image.md); this adds the file and the
// check that an image fits the configured chip and the model it is run with.
#pragma once

#include <cstdint>
#include <string>

#include "models/config/Config.h"
#include "models/tile/Program.h"

namespace sotsim::app {

// Writes the image of `p` for the chip of `cfg` atomically; returns its size in bytes.
std::uint64_t write_image_file(const std::string& path, const Program& p, const Config& cfg);

// Reads and decodes an image file; throws one line "FILE: offset 0x..: problem" when it is
// malformed, or names the mismatch when it was compiled for another chip or differs from
// `compiled` in its input or output width.
Program read_image_file(const std::string& path, const Config& cfg, const Program& compiled);

// Whether two programs have the same image for the chip of `cfg`.
bool same_image(const Program& a, const Program& b, const Config& cfg);

}  // namespace sotsim::app
