#include "workloads/data/IdxFile.h"

#include "models/common/UserFile.h"

#include <algorithm>
#include <fstream>

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace sotsim::workloads {

namespace {

uint32_t byte_at(const std::string& bytes, size_t i) { return static_cast<unsigned char>(bytes[i]); }

// The checks of a whole IDX file from its first bytes (at least the header, when the file
// has one) and its size: magic, element type, rank, dimension limits, and that exactly the
// declared data follows. Returns the dims.
std::vector<uint32_t> check_idx(const std::string& head, std::uint64_t size, const std::string& source,
                                std::uint64_t max_bytes) {
    if (size < 4) throw WorkloadError(source, "not an IDX file (bad magic)");
    const std::uint64_t declared = idx_declared_size(head, source, max_bytes);
    if (declared == 0) throw WorkloadError(source, "truncated IDX header");
    const uint32_t rank = byte_at(head, 3);
    const std::uint64_t header = 4 + 4 * static_cast<std::uint64_t>(rank);
    const std::uint64_t total = declared - header, have = size - header;
    if (have < total)
        throw WorkloadError(source, "truncated IDX data: " + std::to_string(total) + " bytes declared, " +
                                        std::to_string(have) + " present");
    if (have > total)
        throw WorkloadError(source, std::to_string(have - total) + " unexpected bytes after the IDX data");
    std::vector<uint32_t> dims;
    for (uint32_t d = 0; d < rank; ++d) {
        const size_t o = 4 + 4 * d;
        dims.push_back((byte_at(head, o) << 24) | (byte_at(head, o + 1) << 16) | (byte_at(head, o + 2) << 8) |
                       byte_at(head, o + 3));
    }
    return dims;
}

}  // namespace

std::string read_maybe_gzipped(const std::string& path, std::uint64_t max_bytes,
                               std::uint64_t (*limit)(const std::string&, const std::string&, std::uint64_t)) {
    const bool gzipped = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    std::string raw;
    try {
        // gzip compresses at most ~1032:1, but a .gz larger than the output limit is refused
        // before reading it whole.
        raw = io::read_user_file(path, max_bytes);
    } catch (const io::UserFileError& e) {
        throw WorkloadError(path, e.what());
    }
    if (!gzipped) return raw;
    if (raw.size() < 2 || byte_at(raw, 0) != 0x1f || byte_at(raw, 1) != 0x8b)
        throw WorkloadError(path, "not a gzip file (bad magic)");
    google::protobuf::io::ArrayInputStream in(raw.data(), static_cast<int>(raw.size()));
    google::protobuf::io::GzipInputStream gz(&in, google::protobuf::io::GzipInputStream::GZIP);
    std::string out;
    std::uint64_t allowed = 0;  // 0: the header is not complete yet
    const void* chunk = nullptr;
    int n = 0;
    while (gz.Next(&chunk, &n)) {
        out.append(static_cast<const char*>(chunk), static_cast<size_t>(n));
        if (allowed == 0 && limit) allowed = limit(out, path, max_bytes);
        if (allowed != 0 && out.size() > allowed)
            throw WorkloadError(path, "decompresses to more than the " + std::to_string(allowed) +
                                          " bytes its header declares");
        if (out.size() > max_bytes)
            throw WorkloadError(path, "decompresses to more than " + std::to_string(max_bytes) +
                                          " bytes (the reader's limit)");
    }
    if (gz.ZlibErrorMessage() != nullptr)
        throw WorkloadError(path, std::string("corrupt gzip data (") + gz.ZlibErrorMessage() + ")");
    return out;
}

std::uint64_t idx_declared_size(const std::string& bytes, const std::string& source, std::uint64_t max_bytes) {
    if (bytes.size() < 4) return 0;
    if (byte_at(bytes, 0) != 0 || byte_at(bytes, 1) != 0) throw WorkloadError(source, "not an IDX file (bad magic)");
    if (byte_at(bytes, 2) != 0x08)
        throw WorkloadError(source, "IDX element type 0x" + std::to_string(byte_at(bytes, 2)) +
                                        " is not supported (only unsigned byte)");
    const uint32_t rank = byte_at(bytes, 3);
    if (rank == 0 || rank > 4) throw WorkloadError(source, "IDX rank " + std::to_string(rank) + " is not supported");
    const uint64_t header = 4 + 4 * static_cast<uint64_t>(rank);
    if (header > max_bytes)
        throw WorkloadError(source, "IDX header is larger than " + std::to_string(max_bytes) + " bytes (the reader's limit)");
    if (bytes.size() < header) return 0;
    // Each partial product is compared with the limit before the next multiplication, so it
    // never exceeds 2^30 * 2^32 and cannot wrap.
    uint64_t total = 1;
    for (uint32_t d = 0; d < rank; ++d) {
        const size_t o = 4 + 4 * d;
        const uint64_t dim = (byte_at(bytes, o) << 24) | (byte_at(bytes, o + 1) << 16) | (byte_at(bytes, o + 2) << 8) |
                             byte_at(bytes, o + 3);
        total *= dim;
        if (total > max_bytes - header)
            throw WorkloadError(source, "IDX dimensions declare more than " + std::to_string(max_bytes) +
                                            " bytes (the reader's limit)");
    }
    return header + total;
}

IdxArray parse_idx(const std::string& bytes, const std::string& source, std::uint64_t max_bytes) {
    IdxArray a;
    a.dims = check_idx(bytes, bytes.size(), source, max_bytes);
    const size_t header = 4 + 4 * a.dims.size();
    a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return a;
}

IdxArray read_idx(const std::string& path, std::uint64_t max_bytes) {
    return parse_idx(read_maybe_gzipped(path, max_bytes, &idx_declared_size), path, max_bytes);
}

IdxArray read_idx_rows(const std::string& path, std::int64_t rows, std::uint64_t max_bytes) {
    const bool gzipped = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    if (rows < 0 || gzipped) {
        IdxArray a = read_idx(path, max_bytes);
        if (rows >= 0 && !a.dims.empty() && a.dims[0] > 0) {
            const std::uint64_t item = a.data.size() / a.dims[0];
            a.data.resize(static_cast<size_t>(std::min<std::uint64_t>(a.data.size(), item * static_cast<std::uint64_t>(rows))));
        }
        return a;
    }
    // A plain file: the header first (the same checks as parse_idx, in the same order), then
    // only the bytes of the rows asked for. Any byte is a valid element, so the unread rest
    // needs no check beyond its size.
    std::uint64_t size = 0;
    std::ifstream f;
    try {
        size = io::open_user_file(path, max_bytes, f);
    } catch (const io::UserFileError& e) {
        throw WorkloadError(path, e.what());
    }
    auto read_at = [&](std::uint64_t offset, char* dst, std::uint64_t n) {
        f.seekg(static_cast<std::streamoff>(offset), std::ios::beg);
        f.read(dst, static_cast<std::streamsize>(n));
        if (static_cast<std::uint64_t>(f.gcount()) != n)
            throw WorkloadError(path, "read failed (the file changed while it was read)");
    };
    // The largest header idx_declared_size accepts: rank 4.
    std::string head(static_cast<size_t>(std::min<std::uint64_t>(size, 4 + 4 * 4)), '\0');
    read_at(0, head.data(), head.size());
    IdxArray a;
    a.dims = check_idx(head, size, path, max_bytes);
    const std::uint64_t header = 4 + 4 * a.dims.size(), total = size - header;
    const std::uint64_t item = a.dims[0] > 0 ? total / a.dims[0] : 0;
    const std::uint64_t take = std::min<std::uint64_t>(a.dims[0], static_cast<std::uint64_t>(rows));
    a.data.resize(static_cast<size_t>(take * item));
    if (!a.data.empty()) read_at(header, reinterpret_cast<char*>(a.data.data()), a.data.size());
    return a;
}

}  // namespace sotsim::workloads
