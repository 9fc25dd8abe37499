// On-disk IR-drop transfer-matrix cache: round trip, damaged files are misses, the size
// bound evicts the least recently used entries, and a cached chip build gives bitwise the
// same transfer matrix as a fresh solve.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "models/physics/CrossbarArray.h"
#include "models/physics/TransferSolve.h"
#include "models/physics/Rng.h"
#include "models/physics/TransferStore.h"
#include "platform/accelerator/TransferCache.h"

using namespace sotsim;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path p;
    TempDir() {
        p = fs::temp_directory_path() / ("sotsim_tc_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(p);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(p, ec);
    }
};

Eigen::MatrixXd random_matrix(int r, int c, std::uint64_t seed) {
    phys::Rng rng(seed);
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = rng.normal();
    return m;
}

}  // namespace

TEST_CASE("Transfer cache returns exactly what was saved, per key and shape", "[platform][cache]") {
    TempDir d;
    TransferCache c(d.p.string(), 1e9);
    const Eigen::MatrixXd g = random_matrix(6, 5, 1).cwiseAbs();
    const phys::TransferKey k = phys::transfer_key(g, 2.5, 7.6);
    Eigen::MatrixXd m;
    REQUIRE_FALSE(c.load(k, 6, 5, m));
    const Eigen::MatrixXd saved = random_matrix(5, 6, 2);
    c.save(k, saved);
    REQUIRE(c.load(k, 6, 5, m));
    REQUIRE(m == saved);
    REQUIRE_FALSE(c.load(k, 5, 6, m));   // other shape: a miss
    // The key follows every input of the solve.
    Eigen::MatrixXd g2 = g;
    g2(3, 2) = std::nextafter(g2(3, 2), 1.0);
    CHECK_FALSE(phys::transfer_key(g2, 2.5, 7.6) == k);
    CHECK_FALSE(phys::transfer_key(g, 2.5000001, 7.6) == k);
    CHECK_FALSE(phys::transfer_key(g, 2.5, 7.7) == k);
    CHECK(phys::transfer_key(g, 2.5, 7.6) == k);
}

TEST_CASE("Transfer cache treats damaged files as misses and removes them", "[platform][cache]") {
    TempDir d;
    TransferCache c(d.p.string(), 1e9);
    const Eigen::MatrixXd g = random_matrix(4, 4, 3).cwiseAbs();
    const phys::TransferKey k = phys::transfer_key(g, 1.0, 1.0);
    c.save(k, random_matrix(4, 4, 4));
    const fs::path file = d.p / "ir-drop" / (k.hex() + ".tm");
    REQUIRE(fs::exists(file));
    SECTION("flipped payload byte") {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(40);
        f.put('\x5a');
    }
    SECTION("truncated") { fs::resize_file(file, fs::file_size(file) - 3); }
    SECTION("trailing bytes") { std::ofstream(file, std::ios::app | std::ios::binary) << "x"; }
    Eigen::MatrixXd m;
    CHECK_FALSE(c.load(k, 4, 4, m));
    CHECK_FALSE(fs::exists(file));
}

TEST_CASE("Transfer cache stays under its size bound, evicting the least recently used", "[platform][cache]") {
    TempDir d;
    const Eigen::MatrixXd m = random_matrix(32, 32, 5);   // ~8 kB per entry
    const double entry = 32 * 32 * 8 + 40;
    TransferCache c(d.p.string(), 3.5 * entry);
    std::vector<phys::TransferKey> keys;
    for (int i = 0; i < 3; ++i) {
        keys.push_back(phys::transfer_key(random_matrix(2, 2, 10 + i), 1.0, 1.0));
        c.save(keys.back(), m);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));   // distinct file times
    }
    Eigen::MatrixXd out;
    REQUIRE(c.load(keys[0], 32, 32, out));   // key 0 is now the most recent
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    keys.push_back(phys::transfer_key(random_matrix(2, 2, 20), 1.0, 1.0));
    c.save(keys.back(), m);                  // 4 entries > 3.5: trim to <= 2.6 entries
    CHECK(c.load(keys[0], 32, 32, out));
    CHECK(c.load(keys[3], 32, 32, out));
    CHECK_FALSE(c.load(keys[1], 32, 32, out));
    CHECK_FALSE(c.load(keys[2], 32, 32, out));
}

TEST_CASE("A cached crossbar build has bitwise the solver's transfer matrix", "[platform][cache][irdrop]") {
    TempDir d;
    Config cfg;
    cfg.array.rows = 48;
    cfg.array.cols = 40;
    cfg.array.ir_drop = IrDropMode::Exact;
    cfg.device.sigma_p = 0.05;
    cfg.device.stack = 1;
    Eigen::MatrixXi levels(48, 40);
    phys::Rng rng(9);
    for (Eigen::Index k = 0; k < levels.size(); ++k) levels.data()[k] = rng.uniform() < 0.5 ? 0 : 1;
    phys::CrossbarArray fresh(cfg, 2);
    fresh.build(levels, 77, 1.0);
    auto cache = std::make_shared<TransferCache>(d.p.string(), 1e9);
    {
        phys::ScopedTransferStore use(cache);
        phys::CrossbarArray first(cfg, 2), second(cfg, 2);
        // The process keeps solved matrices in memory ahead of the store: forgotten here so
        // that the store itself is read and written.
        phys::forget_kept_transfers();
        first.build(levels, 77, 1.0);    // solves and saves
        phys::forget_kept_transfers();
        second.build(levels, 77, 1.0);   // loads
        REQUIRE(cache->misses() == 1);
        REQUIRE(cache->hits() == 1);
        REQUIRE(first.transfer_t() == fresh.transfer_t());
        REQUIRE(second.transfer_t() == fresh.transfer_t());
    }
    REQUIRE(phys::transfer_store() == nullptr);   // the scope restored "no store"
}

TEST_CASE("Transfer cache directory follows sim.cache_dir, XDG_CACHE_HOME, HOME", "[platform][cache]") {
    SimConfig s;
    s.cache_dir = "/some/where";
    CHECK(default_cache_dir(s) == "/some/where");
    s.cache_dir.clear();
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const std::string keep = xdg ? xdg : "";
    ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
    CHECK(default_cache_dir(s) == "/x/cache/sotsim");
    ::setenv("XDG_CACHE_HOME", "relative/ignored", 1);   // the XDG spec: relative paths are invalid
    if (const char* h = std::getenv("HOME"); h && *h) CHECK(default_cache_dir(s) == std::string(h) + "/.cache/sotsim");
    if (xdg) ::setenv("XDG_CACHE_HOME", keep.c_str(), 1); else ::unsetenv("XDG_CACHE_HOME");
    s.cache = false;
    CHECK(make_transfer_cache(s) == nullptr);
}
