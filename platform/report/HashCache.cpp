#include "platform/report/HashCache.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "platform/report/AtomicFile.h"
#include "platform/report/Hash.h"

namespace sotsim::report {
namespace {
namespace fs = std::filesystem;

// What identifies one version of a file's content, as one text line.
bool identity(const std::string& path, std::string& out, std::int64_t& mtime_ns) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    const std::int64_t ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    std::ostringstream s;
    s << static_cast<unsigned long long>(st.st_dev) << ' ' << static_cast<unsigned long long>(st.st_ino) << ' '
      << static_cast<long long>(st.st_size) << ' ' << mtime_ns << ' ' << ctime_ns;
    out = s.str();
    return true;
}

std::string entry_path(const std::string& dir, const std::string& path) {
    std::error_code ec;
    const std::string abs = fs::absolute(path, ec).lexically_normal().string();
    return (fs::path(dir) / "sha256" / (sha256_hex(ec ? path : abs).substr(0, 32) + ".txt")).string();
}

}  // namespace

std::string sha256_file_cached(const std::string& path, const std::string& dir) {
    if (dir.empty()) return sha256_file(path);
    std::string id;
    std::int64_t mtime_ns = 0;
    if (!identity(path, id, mtime_ns)) return sha256_file(path);   // its own error message
    const std::string entry = entry_path(dir, path);
    {
        std::ifstream in(entry);
        std::string stored_id, digest;
        if (std::getline(in, stored_id) && std::getline(in, digest) && stored_id == id && digest.size() == 64 &&
            digest.find_first_not_of("0123456789abcdef") == std::string::npos)
            return digest;
    }
    const std::string digest = sha256_file(path);
    std::string after;
    std::int64_t m2 = 0;
    const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    if (!identity(path, after, m2) || after != id || now_ns - mtime_ns < 2'000'000'000) return digest;
    std::error_code ec;
    fs::create_directories(fs::path(entry).parent_path(), ec);
    if (ec) return digest;
    try {
        write_file_atomic(entry, id + '\n' + digest + '\n');
    } catch (const std::exception&) {
        // A cache that cannot be written only costs the next run the hash.
    }
    return digest;
}

}  // namespace sotsim::report
