// Helpers for config tests: paths into configs/ and tests/data/configs/, temporary config trees, error capture.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/config/ConfigLoader.h"

namespace cfgtest {

inline std::string configs(const std::string& rel) {
    return std::string(SOTSIM_SOURCE_DIR) + "/configs/" + rel;
}

// Deliberately broken configs live with the test data, not next to the presets.
inline std::string bad_config(const std::string& rel) {
    return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/configs/" + rel;
}

// A fresh temporary directory, removed when the object goes out of scope.
class TempDir {
public:
    explicit TempDir(const std::string& tag) {
        path_ = std::filesystem::temp_directory_path() /
                ("sotsim_cfg_" + tag + "_" + std::to_string(::getpid()));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::error_code ec; std::filesystem::remove_all(path_, ec); }
    std::string write(const std::string& rel, const std::string& text) const {
        auto p = path_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    std::string path(const std::string& rel = "") const { return (path_ / rel).string(); }
private:
    std::filesystem::path path_;
};

// Loads and returns the ConfigError (fails the test if loading succeeds).
inline sotsim::config::ConfigError load_error(const std::string& path,
                                              const std::vector<std::string>& overrides = {}) {
    try {
        sotsim::config::load_config(path, overrides);
    } catch (const sotsim::config::ConfigError& e) {
        return e;
    }
    throw std::runtime_error("expected a ConfigError loading " + path);
}

}  // namespace cfgtest
