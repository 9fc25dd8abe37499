// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp): what counts as a correct outcome for a
// malformed input, and a scratch directory the path-based readers can read from.
//
// A target calls the reader on the input and must see either success or one of the
// project's error types (ConfigError, WorkloadError, SweepError) whose message is one line
// naming the problem. Anything else is a finding: a crash or sanitizer report, an uncaught
// standard exception ("vector::_M_range_check"), a multi-line message, or a hang (libFuzzer
// -timeout). The same targets are replayed over the committed corpora by replay_main.cpp in
// the default test suite (docs/testing.md, "Fuzzing").
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "platform/config/ConfigLoader.h"
#include "workloads/import/WorkloadError.h"

namespace sotsim::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
    std::abort();
}

// The error contract of the CLI: one line, no NUL, not empty.
inline void check_message(const char* kind, const std::string& m) {
    if (m.empty()) finding(std::string(kind) + " with an empty message");
    if (m.find('\n') != std::string::npos || m.find('\0') != std::string::npos)
        finding(std::string(kind) + " message is not one line: " + m);
}

// Runs `f`; the project's error types are an expected outcome, everything else aborts.
template <class F>
void expect_clean(F&& f) {
    try {
        f();
    } catch (const config::ConfigError& e) {
        check_message("ConfigError", e.what());
    } catch (const workloads::WorkloadError& e) {
        check_message("WorkloadError", e.what());
    } catch (const std::exception& e) {
        finding(std::string("unexpected exception: ") + e.what());
    }
}

// A per-process scratch tree that mirrors the source tree's configs/ and workloads/
// through symbolic links, so an input written as SCRATCH/configs/fuzz.yaml resolves
// `include: chips/...` and a sweep file in SCRATCH/configs/sweeps/ resolves
// `base: ../carletti_sot.yaml` exactly as the committed files do. Nothing is written into
// the source tree.
class Scratch {
public:
    static Scratch& get() {
        static Scratch s;
        return s;
    }
    const std::filesystem::path& root() const { return root_; }

    // Writes `size` bytes as SCRATCH/<rel> and returns its path.
    std::string write(const std::string& rel, const uint8_t* data, size_t size) const {
        const std::filesystem::path p = root_ / rel;
        std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                   static_cast<std::streamsize>(size));
        return p.string();
    }

private:
    Scratch() {
        namespace fs = std::filesystem;
        root_ = fs::temp_directory_path() / ("sotsim_fuzz_" + std::to_string(::getpid()));
        fs::remove_all(root_);
        const fs::path src(SOTSIM_SOURCE_DIR);
        fs::create_directories(root_ / "configs" / "sweeps");
        for (const auto& e : fs::directory_iterator(src / "configs"))
            if (e.path().filename() != "sweeps") fs::create_symlink(e.path(), root_ / "configs" / e.path().filename());
        fs::create_symlink(src / "workloads", root_ / "workloads");
        fs::create_symlink(src / "tests", root_ / "tests");
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(Scratch::get().root_, ec); });
    }
    std::filesystem::path root_;
};

}  // namespace sotsim::fuzz
