// Atomic file output: write to a temporary file in the target's directory, then rename.
// A failure at any point removes the temporary and leaves the target untouched, so a
// crashed or failed run never leaves a partial report behind.
//
// OutputBatch stages several outputs (a run's report.json, layers.csv, predictions.csv, VCD
// and its GTKWave files) and commits them together or not at all: every byte is written
// (to temporaries) before the first target is replaced, a failed rename puts back what the
// batch already replaced, and directories the batch created are removed again on failure.
// Error messages name the path and the system's reason ("No space left on device").
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sotsim::report {

// Writes `content` to `path` atomically. Throws std::runtime_error naming the path.
void write_file_atomic(const std::string& path, const std::string& content);

// Streams into `path` atomically through `fill`; if `fill` throws, nothing is left behind
// and the exception propagates.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill);

class OutputBatch {
public:
    // Nothing touches the disk until commit().
    void add(std::string path, std::string content);
    void add(const std::vector<std::pair<std::string, std::string>>& files);
    const std::vector<std::pair<std::string, std::string>>& files() const { return files_; }

    // All or nothing. With `create_directories`, missing parent directories are created
    // (and removed again if the commit fails). An existing target that is a device or FIFO
    // (/dev/null, /dev/stdout) cannot be renamed over: it is written in place after every
    // temporary succeeded and before any rename, so its failure (/dev/full) also leaves
    // nothing behind. Throws std::runtime_error "cannot write 'PATH': REASON".
    void commit(bool create_directories = true) const;

private:
    std::vector<std::pair<std::string, std::string>> files_;
};

// Several files as one step into existing directories: an OutputBatch committed without
// creating directories.
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& path_and_content);

}  // namespace sotsim::report
