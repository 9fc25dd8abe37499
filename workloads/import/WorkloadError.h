#pragma once
// The one exception type of the workloads layer (import, datasets, array files).
// what() is a single line "FILE: error: MESSAGE" (FILE omitted when there is none; control
// characters escaped); the CLI prints it as-is and exits with status 2.
#include <stdexcept>

#include "models/common/Printable.h"
#include <string>

namespace sotsim::workloads {

class WorkloadError : public std::runtime_error {
public:
    WorkloadError(const std::string& file, const std::string& message)
        : std::runtime_error(io::printable(file.empty() ? "error: " + message : file + ": error: " + message)),
          file_(file), message_(message) {}
    const std::string& file() const { return file_; }
    const std::string& message() const { return message_; }

private:
    std::string file_;
    std::string message_;
};

}  // namespace sotsim::workloads
