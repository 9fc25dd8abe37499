// OutputBatch: a run's outputs are committed together or not at all (issue 15, item 8).
#include "platform/report/AtomicFile.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using sotsim::report::OutputBatch;

namespace {

struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("sotsim_batch_" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(dir); }
    ~Scratch() {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string error_of(const OutputBatch& b) {
    try {
        b.commit();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

std::size_t entries(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) (void)e, ++n;
    return n;
}

}  // namespace

TEST_CASE("an output batch creates its directories and writes every file", "[report][outputs]") {
    Scratch s;
    OutputBatch b;
    b.add((s.dir / "out/a/report.json").string(), "{}\n");
    b.add((s.dir / "out/b.csv").string(), "x\n");
    b.commit();
    CHECK(slurp(s.dir / "out/a/report.json") == "{}\n");
    CHECK(slurp(s.dir / "out/b.csv") == "x\n");
    CHECK(entries(s.dir / "out") == 2);  // no temporaries or backups left
    // Committing again replaces the files.
    OutputBatch again;
    again.add((s.dir / "out/b.csv").string(), "y\n");
    again.commit();
    CHECK(slurp(s.dir / "out/b.csv") == "y\n");
    CHECK(entries(s.dir / "out") == 2);
}

TEST_CASE("a failing output leaves no file, no temporary and no created directory", "[report][outputs]") {
    Scratch s;
    std::ofstream(s.dir / "plain") << "a file, not a directory";
    OutputBatch b;
    b.add((s.dir / "run/out/report.json").string(), "{}\n");
    b.add((s.dir / "run/out/layers.csv").string(), "l\n");
    b.add((s.dir / "plain/trace.vcd").string(), "$end\n");  // its parent is a file
    CHECK(error_of(b) == "cannot write '" + (s.dir / "plain/trace.vcd").string() + "': Not a directory");
    CHECK(!fs::exists(s.dir / "run"));
    CHECK(entries(s.dir) == 1);
}

TEST_CASE("a full device named as an output is reported as ENOSPC and nothing is committed", "[report][outputs]") {
    if (!fs::exists("/dev/full")) return;
    Scratch s;
    std::ofstream(s.dir / "report.json") << "previous";
    OutputBatch b;
    b.add((s.dir / "report.json").string(), "new");
    b.add("/dev/full", "a trace that does not fit");
    CHECK(error_of(b) == "cannot write '/dev/full': No space left on device");
    CHECK(slurp(s.dir / "report.json") == "previous");
    CHECK(entries(s.dir) == 1);
    // A device that accepts the bytes is written in place, not renamed over.
    OutputBatch ok;
    ok.add((s.dir / "report.json").string(), "new");
    ok.add("/dev/null", "discarded");
    ok.commit();
    CHECK(slurp(s.dir / "report.json") == "new");
    struct stat st {};
    REQUIRE(::stat("/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("a read-only output directory commits nothing", "[report][outputs]") {
    Scratch s;
    fs::create_directories(s.dir / "ro");
    fs::permissions(s.dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    // root ignores directory permissions: nothing to check there.
    if (::access((s.dir / "ro").c_str(), W_OK) == 0) return;
    OutputBatch b;
    b.add((s.dir / "out/report.json").string(), "{}\n");
    b.add((s.dir / "ro/trace.vcd").string(), "$end\n");
    CHECK(error_of(b) == "cannot write '" + (s.dir / "ro/trace.vcd").string() + "': Permission denied");
    CHECK(!fs::exists(s.dir / "out"));
}

TEST_CASE("a directory named as an output file is refused before anything is written", "[report][outputs]") {
    Scratch s;
    fs::create_directories(s.dir / "trace.vcd");
    OutputBatch b;
    b.add((s.dir / "new/report.json").string(), "{}\n");
    b.add((s.dir / "trace.vcd").string(), "$end\n");
    CHECK(error_of(b) == "cannot write '" + (s.dir / "trace.vcd").string() + "': is a directory");
    CHECK(!fs::exists(s.dir / "new"));
}
