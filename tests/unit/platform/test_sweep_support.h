// Shared helpers of the sweep tests: a scratch directory with a base config, a model file
// and a sweep file, all removed afterwards.
#pragma once

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "platform/config/ConfigLoader.h"
#include "platform/sweep/Sweep.h"

namespace sweep_test {

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

extern "C" inline int remove_cb(const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/sotsim_sweep_test_XXXXXX";
        path_ = ::mkdtemp(tmpl);
        // A minimal valid chip config (all defaults) with a known base seed, and a model file
        // whose existence is all the sweep parser checks (the fake runner never reads it).
        write_file(path_ + "/base.yaml", "sim:\n  seed: 42\n");
        write_file(path_ + "/model.onnx", "not read by the fake runner\n");
    }
    ~TempDir() { ::nftw(path_.c_str(), remove_cb, 16, FTW_DEPTH | FTW_PHYS); }
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline const std::string kWorkload =
    "workload: {model: model.onnx, dataset: mnist, split: test, samples: 10}\n";

// Writes `yaml` as DIR/sweep.yaml and loads it.
inline sotsim::sweep::SweepSpec load_text(const TempDir& dir, const std::string& yaml) {
    write_file(dir / "sweep.yaml", yaml);
    return sotsim::sweep::load_sweep(dir / "sweep.yaml");
}

// The ConfigError `yaml` raises (fails the test if none).
inline sotsim::config::ConfigError error_of(const TempDir& dir, const std::string& yaml) {
    try {
        load_text(dir, yaml);
    } catch (const sotsim::config::ConfigError& e) {
        return e;
    }
    throw std::runtime_error("expected a ConfigError for:\n" + yaml);
}

// results.csv as rows of cells (simple split: the tests' cells hold no quotes or commas
// except where a test checks quoting itself).
inline std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
    std::vector<std::vector<std::string>> rows;
    std::stringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) cells.push_back(cell), cell.clear();
            else cell += c;
        }
        cells.push_back(cell);
        rows.push_back(cells);
    }
    return rows;
}

inline std::string fake_runner() { return std::string(SOTSIM_SOURCE_DIR) + "/tests/data/sweep/fake_runner.sh"; }

}  // namespace sweep_test
