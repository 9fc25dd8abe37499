// Content hashes for reproducibility records (model files in report.json).
#pragma once

#include <string>

namespace sotsim::report {

// SHA-256 (FIPS 180-4) of `data`, 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);
// SHA-256 of a file's bytes; throws std::runtime_error naming the file if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace sotsim::report
