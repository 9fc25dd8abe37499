#pragma once
// IDX files (the MNIST / Fashion-MNIST container): big-endian magic 0x0000TTDD (TT = 0x08
// unsigned byte, DD = number of dimensions), DD big-endian uint32 sizes, then the data.
// Files ending in .gz are gunzipped first (zlib, through protobuf's GzipInputStream).
#include "workloads/import/WorkloadError.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sotsim::workloads {

struct IdxArray {
    std::vector<uint32_t> dims;
    std::vector<uint8_t> data;  // C order
};

// Only the unsigned-byte element type is accepted (all the MNIST-family files use it).
// Throws WorkloadError naming the file on bad magic, wrong type, or truncated data.
IdxArray read_idx(const std::string& path);
IdxArray parse_idx(const std::string& bytes, const std::string& source);

// The whole file, decompressed when it ends in ".gz".
std::string read_maybe_gzipped(const std::string& path);

}  // namespace sotsim::workloads
