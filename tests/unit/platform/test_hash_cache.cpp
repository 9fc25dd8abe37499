// The dataset-hash cache (platform/report/HashCache.h): reused only for an unchanged file.
#include "platform/report/HashCache.h"
#include "platform/report/Hash.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path p;
    TempDir() {
        char tmpl[] = "/tmp/sotsim-hashcache-XXXXXX";
        p = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(p, ec);
    }
};

void write(const fs::path& f, const std::string& s) {
    std::ofstream o(f, std::ios::binary | std::ios::trunc);
    o << s;
}

// Sets the file's mtime `age_s` seconds into the past (its ctime becomes now).
void age(const fs::path& f, double age_s) {
    const auto t = std::chrono::system_clock::now().time_since_epoch() - std::chrono::duration<double>(age_s);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(ns / 1000000000);
    ts[0].tv_nsec = ts[1].tv_nsec = static_cast<long>(ns % 1000000000);
    REQUIRE(::utimensat(AT_FDCWD, f.c_str(), ts, 0) == 0);
}

fs::path only_entry(const fs::path& cache) {
    fs::path found;
    int n = 0;
    if (fs::exists(cache / "sha256"))
        for (const auto& e : fs::directory_iterator(cache / "sha256")) {
            found = e.path();
            ++n;
        }
    return n == 1 ? found : fs::path();
}

}  // namespace

TEST_CASE("hash cache: an unchanged file's digest is reused, a changed one is hashed again", "[report][hash]") {
    TempDir t;
    const fs::path f = t.p / "data.bin", cache = t.p / "cache";
    write(f, std::string(100000, 'a') + "tail");
    age(f, 100.0);
    const std::string d = sotsim::report::sha256_file(f.string());
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == d);
    const fs::path entry = only_entry(cache);
    REQUIRE(!entry.empty());
    // A second call reads the entry: tamper with its digest to see that it is the entry
    // that answers, not a new hash.
    std::string id, digest;
    {
        std::ifstream in(entry);
        std::getline(in, id);
        std::getline(in, digest);
    }
    CHECK(digest == d);
    const std::string fake(64, 'f');
    write(entry, id + "\n" + fake + "\n");
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == fake);
    // Same size, old mtime put back: the ctime moved, so it is hashed again (and stored again).
    write(f, std::string(100000, 'b') + "tail");
    age(f, 100.0);
    const std::string d2 = sotsim::report::sha256_file(f.string());
    REQUIRE(d2 != d);
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == d2);
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == d2);
    // A damaged entry is ignored.
    write(entry, "garbage\n");
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == d2);
}

TEST_CASE("hash cache: a file written just now is hashed but not stored; no cache dir, no entry", "[report][hash]") {
    TempDir t;
    const fs::path f = t.p / "fresh.bin", cache = t.p / "cache";
    write(f, "fresh content");
    const std::string d = sotsim::report::sha256_file(f.string());
    CHECK(sotsim::report::sha256_file_cached(f.string(), cache.string()) == d);
    CHECK(only_entry(cache).empty());
    age(f, 100.0);
    CHECK(sotsim::report::sha256_file_cached(f.string(), "") == d);
    CHECK(only_entry(cache).empty());
    CHECK_THROWS(sotsim::report::sha256_file_cached((t.p / "missing").string(), cache.string()));
}
