#include "platform/accelerator/TransferCache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <system_error>
#include <vector>

#include "models/physics/Rng.h"

namespace sotsim {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'S', 'O', 'T', 'S', 'I', 'M', 'T', 'M'};
constexpr std::uint32_t kFormat = 2;   // 2: the checksum in four interleaved chains
constexpr std::size_t kHeader = sizeof kMagic + 4 * sizeof(std::uint32_t);

// Word i into chain i mod 4, the chains folded at the end: independent splitmix64 chains
// overlap their latency (one serial chain over a 64 x 64 M was most of a cache hit's CPU).
std::uint64_t checksum(const double* p, std::size_t n) {
    std::uint64_t h[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
    auto word = [p](std::size_t i) {
        std::uint64_t w;
        std::memcpy(&w, p + i, sizeof w);
        return w;
    };
    const std::size_t n4 = n - n % 4;
    for (std::size_t i = 0; i < n4; i += 4)
        for (std::size_t l = 0; l < 4; ++l) {
            h[l] = phys::splitmix64_mix(h[l] ^ word(i + l));
            phys::keep_in_register(h[l]);   // scalar chains (Rng.h)
        }
    for (std::size_t i = n4; i < n; ++i) h[i % 4] = phys::splitmix64_mix(h[i % 4] ^ word(i));
    std::uint64_t out = static_cast<std::uint64_t>(n);
    for (const std::uint64_t x : h) out = phys::splitmix64_mix(out ^ x);
    return out;
}

// Reads exactly `n` bytes at `off` (false at end of file or on an error).
bool read_at(int fd, void* dst, std::size_t n, std::size_t off) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        off += static_cast<std::size_t>(r);
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

}  // namespace

TransferCache::TransferCache(std::string dir, double max_bytes)
    : dir_((fs::path(dir) / "ir-drop").string()), max_bytes_(max_bytes) {}

std::string TransferCache::path(const phys::TransferKey& key) const {
    return (fs::path(dir_) / (key.hex() + ".tm")).string();
}

void TransferCache::warn_once(const std::string& what) {
    if (warned_) return;
    warned_ = true;
    std::cerr << "sotsim: warning: IR-drop cache " << dir_ << ": " << what << " (continuing without it)\n";
}

bool TransferCache::load(const phys::TransferKey& key, int rows, int cols, Eigen::MatrixXd& m) {
    // POSIX reads straight into the matrix (a program of the 72-macro preset loads ~100 of
    // these 32 KiB files: an ifstream's buffer, copy and path look-ups were most of it).
    std::lock_guard<std::mutex> lock(mu_);
    const std::string p = path(key);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ++misses_;
        return false;
    }
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    const std::size_t bytes = n * sizeof(double);
    struct stat st {};
    // Exactly header + matrix + checksum: a longer or shorter file is damaged or foreign.
    bool ok = ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) == kHeader + bytes + sizeof(std::uint64_t);
    if (ok) {
        // Header, matrix and checksum in one vectored read (three preads before: two syscalls
        // more per hit, ~100 hits per demo run); a short read falls back to reading by parts.
        char head[kHeader] = {};
        std::uint64_t sum = 0;
        m.resize(cols, rows);
        struct iovec iov[3] = {{head, kHeader}, {m.data(), bytes}, {&sum, sizeof sum}};
        const std::size_t total = kHeader + bytes + sizeof sum;
        ssize_t got = ::preadv(fd, iov, 3, 0);
        while (got < 0 && errno == EINTR) got = ::preadv(fd, iov, 3, 0);
        if (got != static_cast<ssize_t>(total))
            ok = read_at(fd, head, kHeader, 0) && read_at(fd, m.data(), bytes, kHeader) &&
                 read_at(fd, &sum, sizeof sum, kHeader + bytes);
        std::uint32_t h[4];
        std::memcpy(h, head + sizeof kMagic, sizeof h);
        ok = ok && std::memcmp(head, kMagic, sizeof kMagic) == 0 && h[0] == kFormat &&
             h[1] == static_cast<std::uint32_t>(rows) && h[2] == static_cast<std::uint32_t>(cols) &&
             sum == checksum(m.data(), n);
    }
    if (ok) {
        const struct timespec t[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};   // mtime: recently used
        (void)::futimens(fd, t);
    }
    ::close(fd);
    if (!ok) {
        std::error_code ec;
        fs::remove(p, ec);   // damaged or foreign: solve again and rewrite
        ++misses_;
        return false;
    }
    ++hits_;
    return true;
}

void TransferCache::save(const phys::TransferKey& key, const Eigen::MatrixXd& m) {
    std::lock_guard<std::mutex> lock(mu_);
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return warn_once("cannot create the directory: " + ec.message());
    const std::string p = path(key);
    std::random_device rd;
    const std::string tmp = p + ".tmp" + std::to_string(rd());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        const std::uint32_t head[4] = {kFormat, static_cast<std::uint32_t>(m.cols()), static_cast<std::uint32_t>(m.rows()), 0};
        const std::size_t n = static_cast<std::size_t>(m.size());
        const std::uint64_t sum = checksum(m.data(), n);
        out.write(kMagic, sizeof kMagic);
        out.write(reinterpret_cast<const char*>(head), sizeof head);
        out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(n * sizeof(double)));
        out.write(reinterpret_cast<const char*>(&sum), sizeof sum);
        out.close();
        if (!out) {
            fs::remove(tmp, ec);
            return warn_once("cannot write " + tmp);
        }
    }
    fs::rename(tmp, p, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return warn_once("cannot rename into " + p);
    }
    trim();
}

void TransferCache::trim() {
    struct Entry {
        fs::file_time_type t;
        std::uintmax_t size;
        fs::path p;
    };
    std::vector<Entry> entries;
    double total = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".tm") continue;
        std::error_code e2;
        const std::uintmax_t sz = it->file_size(e2);
        const fs::file_time_type t = it->last_write_time(e2);
        if (e2) continue;
        entries.push_back({t, sz, it->path()});
        total += static_cast<double>(sz);
    }
    if (total <= max_bytes_) return;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.t < b.t; });
    for (const Entry& e : entries) {
        if (total <= 0.75 * max_bytes_) break;
        std::error_code e2;
        if (fs::remove(e.p, e2)) total -= static_cast<double>(e.size);
    }
}

std::string default_cache_dir(const SimConfig& sim) {
    if (!sim.cache_dir.empty()) return sim.cache_dir;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return (fs::path(x) / "sotsim").string();
    if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "sotsim").string();
    return "";
}

std::shared_ptr<TransferCache> make_transfer_cache(const SimConfig& sim) {
    if (!sim.cache || sim.ideal) return nullptr;
    const std::string dir = default_cache_dir(sim);
    if (dir.empty()) return nullptr;
    return std::make_shared<TransferCache>(dir, sim.cache_max_size);
}

}  // namespace sotsim
