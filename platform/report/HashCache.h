// SHA-256 of a file, remembered under a cache directory by the file's identity.
//
// A run's report names its dataset files by their SHA-256 (report.json "dataset.files"):
// every run hashed the whole MNIST test images (7.8 MB) or, with --split all, 55 MB, a few
// per cent of a short run. The digest is kept in <dir>/sha256/<hash of the path>, with the
// file's device, inode, size, mtime and ctime (nanoseconds), and reused only while all five
// are what stat() says now. ctime cannot be set from user space (every write, chmod or
// `touch -d` moves it to the present), so a changed file is hashed again. A digest is
// stored only for a file whose mtime was at least 2 s old when it was hashed and whose
// stat did not change while it was read: a write within the same timestamp tick as the
// hash could otherwise keep mtime and ctime (git's "racy" case on coarse file systems).
#pragma once

#include <string>

namespace sotsim::report {

// sha256_file(path), through the cache in `dir` (empty: no cache). Cache trouble (no
// directory, a damaged entry) only means the file is hashed; read errors of `path` throw
// as sha256_file's do.
std::string sha256_file_cached(const std::string& path, const std::string& dir);

}  // namespace sotsim::report
