#include "platform/config/ConfigLoader.h"
#include "models/common/Printable.h"

namespace sotsim::config {
namespace {
std::string format(const std::string& file, int line, int col, const std::string& message) {
    std::string where = file;
    if (line > 0) {
        where += ":" + std::to_string(line);
        if (col > 0) where += ":" + std::to_string(col);
    }
    return where + ": error: " + message;
}
}  // namespace

ConfigError::ConfigError(const std::string& file, int line, int col, const std::string& message)
    : std::runtime_error(io::printable(format(file, line, col, message))),
      file_(file), message_(message), line_(line), col_(col) {}

}  // namespace sotsim::config
