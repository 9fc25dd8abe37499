#include "workloads/data/IdxFile.h"

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fstream>

namespace sotsim::workloads {

std::string read_maybe_gzipped(const std::string& path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw WorkloadError(path, "cannot open file");
    const std::streamoff size = f.tellg();
    if (size < 0) throw WorkloadError(path, "cannot read file");
    std::string raw(static_cast<size_t>(size), '\0');
    f.seekg(0);
    if (!f.read(raw.data(), size)) throw WorkloadError(path, "cannot read file");
    if (path.size() < 3 || path.compare(path.size() - 3, 3, ".gz") != 0) return raw;
    if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f || static_cast<unsigned char>(raw[1]) != 0x8b)
        throw WorkloadError(path, "not a gzip file (bad magic)");
    google::protobuf::io::ArrayInputStream in(raw.data(), static_cast<int>(raw.size()));
    google::protobuf::io::GzipInputStream gz(&in, google::protobuf::io::GzipInputStream::GZIP);
    std::string out;
    const void* chunk = nullptr;
    int n = 0;
    while (gz.Next(&chunk, &n)) out.append(static_cast<const char*>(chunk), static_cast<size_t>(n));
    if (gz.ZlibErrorMessage() != nullptr)
        throw WorkloadError(path, std::string("corrupt gzip data (") + gz.ZlibErrorMessage() + ")");
    return out;
}

IdxArray parse_idx(const std::string& bytes, const std::string& source) {
    auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
    if (bytes.size() < 4 || u8(0) != 0 || u8(1) != 0)
        throw WorkloadError(source, "not an IDX file (bad magic)");
    if (u8(2) != 0x08)
        throw WorkloadError(source, "IDX element type 0x" + std::to_string(u8(2)) + " is not supported (only unsigned byte)");
    const uint32_t rank = u8(3);
    if (rank == 0 || rank > 4) throw WorkloadError(source, "IDX rank " + std::to_string(rank) + " is not supported");
    const size_t header = 4 + 4 * static_cast<size_t>(rank);
    if (bytes.size() < header) throw WorkloadError(source, "truncated IDX header");
    IdxArray a;
    uint64_t total = 1;
    for (uint32_t d = 0; d < rank; ++d) {
        const size_t o = 4 + 4 * d;
        const uint32_t dim = (u8(o) << 24) | (u8(o + 1) << 16) | (u8(o + 2) << 8) | u8(o + 3);
        a.dims.push_back(dim);
        total *= dim;
    }
    const uint64_t have = bytes.size() - header;
    if (have < total)
        throw WorkloadError(source, "truncated IDX data: " + std::to_string(total) + " bytes declared, " +
                                        std::to_string(have) + " present");
    if (have > total)
        throw WorkloadError(source, std::to_string(have - total) + " unexpected bytes after the IDX data");
    a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return a;
}

IdxArray read_idx(const std::string& path) { return parse_idx(read_maybe_gzipped(path), path); }

}  // namespace sotsim::workloads
