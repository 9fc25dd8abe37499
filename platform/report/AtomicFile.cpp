#include "platform/report/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sotsim::report {

namespace {

[[noreturn]] void fail(const std::string& path, int err) {
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err));
}

// Unique per process and call, in the target's directory (rename is atomic only within
// one filesystem).
std::string sibling_name(const std::string& path, const char* kind) {
    static unsigned counter = 0;
    fs::path p(path);
    std::string leaf = "." + p.filename().string() + "." + kind + "." + std::to_string(::getpid()) + "." +
                       std::to_string(counter++);
    return (p.parent_path() / leaf).string();
}

// Writes every byte through POSIX calls, so the reason of a failure (ENOSPC, EDQUOT, EIO,
// also from close()) reaches the message; returns 0 or errno.
int write_all(int fd, const std::string& content) {
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return 0;
}

// Returns 0 or errno; on failure nothing named `tmp` is left.
int write_new_file(const std::string& tmp, const std::string& content) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return errno;
    int err = write_all(fd, content);
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) ::unlink(tmp.c_str());
    return err;
}

int write_in_place(const std::string& path, const std::string& content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = write_all(fd, content);
    if (::close(fd) != 0 && err == 0) err = errno;
    return err;
}

// What commit() has done so far, undone in reverse by rollback().
struct Commit {
    std::vector<std::string> created_dirs;                  // outermost first
    std::vector<std::pair<std::string, std::string>> temps; // (temporary, target)
    std::vector<std::pair<std::string, std::string>> replaced; // (target, backup or "")

    void rollback() {
        for (auto it = replaced.rbegin(); it != replaced.rend(); ++it) {
            if (it->second.empty()) ::unlink(it->first.c_str());
            else ::rename(it->second.c_str(), it->first.c_str());
        }
        for (const auto& t : temps) ::unlink(t.first.c_str());
        for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) ::rmdir(it->c_str());
    }

    void create_parents(const std::string& path) {
        const fs::path dir = fs::path(path).parent_path();
        if (dir.empty()) return;
        std::vector<fs::path> missing;
        for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
            struct stat st {};
            if (::stat(d.c_str(), &st) == 0) break;
            if (errno != ENOENT) fail(path, errno);
            missing.push_back(d);
            if (d == d.parent_path()) break;
        }
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
            if (::mkdir(it->c_str(), 0777) != 0) {
                const int err = errno;
                throw std::runtime_error("cannot create directory '" + it->string() + "': " + std::strerror(err));
            }
            created_dirs.push_back(it->string());
        }
    }
};

}  // namespace

void OutputBatch::add(std::string path, std::string content) { files_.emplace_back(std::move(path), std::move(content)); }

void OutputBatch::add(const std::vector<std::pair<std::string, std::string>>& files) {
    files_.insert(files_.end(), files.begin(), files.end());
}

void OutputBatch::commit(bool create_directories) const {
    Commit c;
    std::vector<std::size_t> in_place;  // devices and FIFOs
    try {
        for (std::size_t i = 0; i < files_.size(); ++i) {
            const auto& [path, content] = files_[i];
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0) {
                if (S_ISDIR(st.st_mode)) throw std::runtime_error("cannot write '" + path + "': is a directory");
                if (!S_ISREG(st.st_mode)) {
                    in_place.push_back(i);
                    continue;
                }
            }
            if (create_directories) c.create_parents(path);
            const std::string tmp = sibling_name(path, "tmp");
            if (const int err = write_new_file(tmp, content)) fail(path, err);
            c.temps.emplace_back(tmp, path);
        }
        for (std::size_t i : in_place)
            if (const int err = write_in_place(files_[i].first, files_[i].second)) fail(files_[i].first, err);
        while (!c.temps.empty()) {
            const auto [tmp, path] = c.temps.front();
            // Keep the previous version under a hard link until every rename succeeded, so a
            // failure restores it (best effort: a filesystem without hard links keeps none).
            std::string backup;
            if (::access(path.c_str(), F_OK) == 0) {
                backup = sibling_name(path, "old");
                if (::link(path.c_str(), backup.c_str()) != 0) backup.clear();
            }
            if (::rename(tmp.c_str(), path.c_str()) != 0) {
                const int err = errno;
                if (!backup.empty()) ::unlink(backup.c_str());
                fail(path, err);
            }
            c.temps.erase(c.temps.begin());
            c.replaced.emplace_back(path, backup);
        }
    } catch (...) {
        c.rollback();
        throw;
    }
    for (const auto& r : c.replaced)
        if (!r.second.empty()) ::unlink(r.second.c_str());
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill) {
    // The content is built in memory first: a throwing `fill` leaves nothing on disk.
    std::ostringstream os;
    fill(os);
    OutputBatch b;
    b.add(path, os.str());
    b.commit(/*create_directories=*/false);
}

void write_file_atomic(const std::string& path, const std::string& content) {
    OutputBatch b;
    b.add(path, content);
    b.commit(/*create_directories=*/false);
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
    OutputBatch b;
    b.add(files);
    b.commit(/*create_directories=*/false);
}

}  // namespace sotsim::report
