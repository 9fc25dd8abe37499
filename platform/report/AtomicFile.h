// Atomic file output: write to a temporary file in the target's directory, then rename.
// A failure at any point removes the temporary and leaves the target untouched, so a
// crashed or failed run never leaves a partial report behind.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace sotsim::report {

// Writes `content` to `path` atomically. Throws std::runtime_error naming the path.
void write_file_atomic(const std::string& path, const std::string& content);

// Streams into `path` atomically through `fill`; if `fill` throws, nothing is left behind
// and the exception propagates.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill);

// Several files as one step: all temporaries are written first, then renamed. If any
// write fails, no target is touched.
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& path_and_content);

}  // namespace sotsim::report
