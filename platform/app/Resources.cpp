#include "platform/app/Resources.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace sotsim::app {

namespace {

// Written by platform/CMakeLists.txt next to the build-tree binary; never installed.
constexpr const char* kBuildTreeMarker = "sotsim-source-root";

std::string shipped(const std::string& arg, const std::string& folder, const std::string& ext) {
    std::error_code ec;
    if (fs::exists(arg, ec) || arg.empty() || arg.find('/') != std::string::npos) return arg;
    const std::string root = resource_root();
    if (root.empty()) return arg;
    for (const std::string& name : {arg, arg + ext}) {
        fs::path p = fs::path(root) / folder / name;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    return arg;
}

}  // namespace

std::string self_exe() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) return "sotsim";
    buf[n] = '\0';
    return buf;
}

std::string resource_root() {
    static const std::string root = [] {
        std::error_code ec;
        const fs::path bin = fs::path(self_exe()).parent_path();
        const fs::path installed = bin / ".." / "share" / "sotsim";
        if (fs::is_directory(installed / "configs", ec)) return fs::weakly_canonical(installed, ec).string();
        std::ifstream marker(bin / kBuildTreeMarker);
        std::string src;
        if (marker && std::getline(marker, src) && fs::is_directory(fs::path(src) / "configs", ec)) return src;
        return std::string();
    }();
    return root;
}

std::string data_root() {
    if (const char* env = std::getenv("SOTSIM_DATA"); env && *env) return env;
    const std::string root = resource_root();
    return root.empty() ? std::string("data") : root + "/data";
}

std::string find_config(const std::string& arg) { return shipped(arg, "configs", ".yaml"); }
std::string find_sweep(const std::string& arg) { return shipped(arg, "configs/sweeps", ".yaml"); }
std::string find_model(const std::string& arg) { return shipped(arg, "workloads/models", ".onnx"); }

}  // namespace sotsim::app
