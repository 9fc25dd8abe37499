#pragma once
// IDX files (the MNIST / Fashion-MNIST container): big-endian magic 0x0000TTDD (TT = 0x08
// unsigned byte, DD = number of dimensions), DD big-endian uint32 sizes, then the data.
// Files ending in .gz are gunzipped first (zlib, through protobuf's GzipInputStream).
//
// Limits (a user's file must not exhaust memory or time): only regular files are read; the
// product of the dimensions is checked for overflow and against the bytes present; a .gz is
// inflated only as far as its IDX header says the data goes (a gzip bomb stops after the
// header's size, not after gigabytes), and never beyond kMaxIdxBytes.
#include "workloads/import/WorkloadError.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sotsim::workloads {

// 1 GiB: the largest IDX file of the MNIST family (train images) is 47 MB; the whole array
// is held in memory, so a bound far above real data but below what a laptop can hold.
constexpr std::uint64_t kMaxIdxBytes = 1ull << 30;

struct IdxArray {
    std::vector<uint32_t> dims;
    std::vector<uint8_t> data;  // C order
};

// Only the unsigned-byte element type is accepted (all the MNIST-family files use it).
// Throws WorkloadError naming the file on bad magic, wrong type, or truncated data.
IdxArray read_idx(const std::string& path, std::uint64_t max_bytes = kMaxIdxBytes);
// The same checks and dims, but `data` holds only the first `rows` items along dimension 0
// (all of them if rows exceeds dims[0]): a plain file is read only as far as those rows
// (its size is still checked against the header, and the header fully parsed), a .gz is
// inflated whole. Errors are those of read_idx. `rows` < 0: the whole file, as read_idx.
IdxArray read_idx_rows(const std::string& path, std::int64_t rows, std::uint64_t max_bytes = kMaxIdxBytes);
IdxArray parse_idx(const std::string& bytes, const std::string& source, std::uint64_t max_bytes = kMaxIdxBytes);

// Total file size (header + data) an IDX header declares, or 0 while `bytes` does not yet
// hold the whole header. Throws WorkloadError on a bad header, a dimension product that
// overflows, or a declared size above `max_bytes`.
std::uint64_t idx_declared_size(const std::string& bytes, const std::string& source, std::uint64_t max_bytes);

// The whole file (a regular file), decompressed when it ends in ".gz". `limit` is called
// with the bytes inflated so far and returns the size they may reach (0: not known yet);
// inflation stops with an error past it or past `max_bytes`.
std::string read_maybe_gzipped(const std::string& path, std::uint64_t max_bytes,
                               std::uint64_t (*limit)(const std::string& so_far, const std::string& path,
                                                      std::uint64_t max_bytes) = nullptr);

}  // namespace sotsim::workloads
