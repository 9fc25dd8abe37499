// Shared helpers of the sweep tests: a scratch directory with a base config, a model file
// and a sweep file, all removed afterwards.
#pragma once

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "platform/config/ConfigLoader.h"
#include "platform/report/Hash.h"
#include "platform/report/Json.h"
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

inline sotsim::sweep::SweepOptions options(const TempDir& dir, int jobs, bool resume = false) {
    sotsim::sweep::SweepOptions o;
    o.out_dir = dir / "out";
    o.jobs = jobs;
    o.resume = resume;
    o.quiet = true;
    o.runner_exe = fake_runner();
    return o;
}

// Completed runs of point `id` in the fake runner's runs.log (one line per run: the
// attempt directory's name, "<id>.tmp.<host>.<pid>").
inline std::size_t count_runs(const std::string& log, const std::string& id) {
    std::size_t n = 0;
    std::stringstream in(log);
    for (std::string l; std::getline(in, l);) n += l.rfind(id + ".tmp", 0) == 0;
    return n;
}

// Attempt directories left in a points/ directory.
inline std::vector<std::string> attempt_dirs(const std::string& points_dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(points_dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (std::string(e->d_name).find(".tmp") != std::string::npos) out.push_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

// Environment of the fake runner; restored after each test.
struct FakeEnv {
    FakeEnv(const std::string& shared, const char* delay) {
        ::setenv("SWEEP_FAKE_SHARED", shared.c_str(), 1);
        ::setenv("SWEEP_FAKE_DELAY", delay, 1);
        ::setenv("SWEEP_FAKE_SLOW", "0.5", 1);
    }
    ~FakeEnv() {
        for (const char* v : {"SWEEP_FAKE_SHARED", "SWEEP_FAKE_DELAY", "SWEEP_FAKE_SLOW", "SWEEP_FAKE_CONFIGS",
                              "SWEEP_FAKE_MODEL_SHA"})
            ::unsetenv(v);
    }
};

// What the fake runner embeds in each point's report, as `sotsim run` would: the point's
// resolved config (computed here with the real loader) and the model's hash.
inline void expect_points(const TempDir& dir, const sotsim::sweep::SweepSpec& spec) {
    ::mkdir((dir / "configs").c_str(), 0755);
    for (const auto& p : sotsim::sweep::expand(spec))
        write_file(dir / ("configs/" + p.id + ".json"),
                   sotsim::report::json_from_yaml(sotsim::sweep::point_config_yaml(spec, p)).dump(-1));
    ::setenv("SWEEP_FAKE_CONFIGS", (dir / "configs").c_str(), 1);
    ::setenv("SWEEP_FAKE_MODEL_SHA", sotsim::report::sha256_file(spec.workload.model).c_str(), 1);
}

// A process that still runs (a zombie waiting for its reaper does not).
inline bool alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

}  // namespace sweep_test
