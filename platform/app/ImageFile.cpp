#include "platform/app/ImageFile.h"

#include <stdexcept>

#include "models/common/UserFile.h"
#include "models/tile/ProgramImage.h"
#include "platform/report/AtomicFile.h"

namespace sotsim::app {

std::uint64_t write_image_file(const std::string& path, const Program& p, const Config& cfg) {
    const auto bytes = image::encode(p, image::Target{cfg.chip.tiles, cfg.tile.macros});
    report::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
    return bytes.size();
}

bool same_image(const Program& a, const Program& b, const Config& cfg) {
    const image::Target t{cfg.chip.tiles, cfg.tile.macros};
    return image::encode(a, t) == image::encode(b, t);
}

Program read_image_file(const std::string& path, const Config& cfg, const Program& compiled) {
    std::string raw;
    try {
        raw = io::read_user_file(path, 1ull << 32);
    } catch (const io::UserFileError& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    image::Target t;
    Program p;
    try {
        p = image::decode(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size(), &t);
    } catch (const image::ImageError& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    if (t.tiles != cfg.chip.tiles || t.macros_per_tile != cfg.tile.macros)
        throw std::runtime_error(path + ": compiled for a chip of " + std::to_string(t.tiles) + " tiles x " +
                                 std::to_string(t.macros_per_tile) + " macros, the config has " +
                                 std::to_string(cfg.chip.tiles) + " x " + std::to_string(cfg.tile.macros));
    if (p.input_width != compiled.input_width || p.output_width != compiled.output_width)
        throw std::runtime_error(path + ": the image takes " + std::to_string(p.input_width) + " inputs and gives " +
                                 std::to_string(p.output_width) + " outputs, the model " +
                                 std::to_string(compiled.input_width) + " and " + std::to_string(compiled.output_width));
    return p;
}

}  // namespace sotsim::app
