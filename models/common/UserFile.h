#pragma once
// Reading a file a user names (config, model, array, dataset, sweep file) in one place, so
// every reader refuses the same things the same way: a missing path, a directory, and
// anything that is not a regular file (a FIFO or /dev/zero would block or never end).
// It lives in models/common, the one layer both platform and workloads depend on; no
// hardware model calls it (they read no files).
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sotsim::io {

// what() is the reason only ("is a directory", "no such file"); callers add the path in
// their own error type (ConfigError, WorkloadError).
struct UserFileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws UserFileError unless `path` names an existing regular file (symlinks followed).
void require_regular_file(const std::string& path);

// Opens `f` on the file (binary, positioned at its start) and returns its size. Throws
// UserFileError as read_user_file does.
std::uint64_t open_user_file(const std::string& path, std::uint64_t max_bytes, std::ifstream& f);

// The whole file. Throws UserFileError when it is not a regular file, cannot be opened or
// read, or is larger than `max_bytes`.
std::string read_user_file(const std::string& path, std::uint64_t max_bytes = UINT64_MAX);

}  // namespace sotsim::io
