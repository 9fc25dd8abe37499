#include "platform/report/AtomicFile.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sotsim::report {

namespace {

// Unique per process and call, in the target's directory (rename is atomic only within
// one filesystem).
std::string temp_name(const std::string& path) {
    static unsigned counter = 0;
    fs::path p(path);
    std::string leaf = "." + p.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                       std::to_string(counter++);
    return (p.parent_path() / leaf).string();
}

std::string write_temp(const std::string& path, const std::function<void(std::ostream&)>& fill) {
    std::string tmp = temp_name(path);
    {
        std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
        if (!os) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
        try {
            fill(os);
            os.flush();
        } catch (...) {
            os.close();
            std::remove(tmp.c_str());
            throw;
        }
        if (!os) {
            os.close();
            std::remove(tmp.c_str());
            throw std::runtime_error("cannot write '" + path + "': write failed");
        }
    }
    return tmp;
}

void commit(const std::string& tmp, const std::string& path) {
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err));
    }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill) {
    commit(write_temp(path, fill), path);
}

void write_file_atomic(const std::string& path, const std::string& content) {
    write_file_atomic(path, [&](std::ostream& os) { os << content; });
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<std::string> temps;
    try {
        for (const auto& [path, content] : files)
            temps.push_back(write_temp(path, [&](std::ostream& os) { os << content; }));
    } catch (...) {
        for (const auto& t : temps) std::remove(t.c_str());
        throw;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        try {
            commit(temps[i], files[i].first);
        } catch (...) {
            for (std::size_t j = i + 1; j < temps.size(); ++j) std::remove(temps[j].c_str());
            throw;
        }
    }
}

}  // namespace sotsim::report
