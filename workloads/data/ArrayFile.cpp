#include "workloads/data/ArrayFile.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sotsim::workloads {
namespace {

const char kMagic[] = "\x93NUMPY";

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw WorkloadError(path, "cannot open file");
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) throw WorkloadError(path, "read failed");
    return ss.str();
}

// Value of `key` in the header dict: the text after "'key':" up to the next top-level comma.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
    const std::string k1 = "'" + key + "'", k2 = "\"" + key + "\"";
    size_t pos = header.find(k1);
    if (pos == std::string::npos) pos = header.find(k2);
    if (pos == std::string::npos) throw WorkloadError(path, "npy header has no '" + key + "'");
    pos = header.find(':', pos);
    if (pos == std::string::npos) throw WorkloadError(path, "npy header is malformed");
    ++pos;
    while (pos < header.size() && header[pos] == ' ') ++pos;
    if (pos < header.size() && header[pos] == '(') {
        const size_t end = header.find(')', pos);
        if (end == std::string::npos) throw WorkloadError(path, "npy header is malformed");
        return header.substr(pos, end - pos + 1);
    }
    size_t end = pos;
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
    std::string v = header.substr(pos, end - pos);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    if (v.size() >= 2 && (v[0] == '\'' || v[0] == '"')) v = v.substr(1, v.size() - 2);
    return v;
}

Shape parse_shape(const std::string& tuple, const std::string& path) {
    Shape shape;
    std::string inner = tuple.substr(1, tuple.size() - 2);
    std::stringstream ss(inner);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        if (item.empty()) continue;
        char* end = nullptr;
        const long long d = std::strtoll(item.c_str(), &end, 10);
        if (*end != '\0' && *end != 'L') throw WorkloadError(path, "npy shape '" + tuple + "' is malformed");
        if (d < 0) throw WorkloadError(path, "npy shape has a negative dimension");
        shape.push_back(d);
    }
    return shape;
}

template <typename T>
void convert(const char* src, size_t n, std::vector<double>& out) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, src + i * sizeof(T), sizeof(T));
        out[i] = static_cast<double>(v);
    }
}

std::string lower_ext(const std::string& path) {
    const size_t dot = path.find_last_of('.');
    const size_t slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string e = path.substr(dot + 1);
    for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

template <typename T>
void write_npy_impl(const std::string& path, const Shape& shape, const std::vector<T>& data,
                    const char* descr) {
    if (static_cast<int64_t>(data.size()) != shape_numel(shape))
        throw WorkloadError(path, "write_npy: " + std::to_string(data.size()) + " values for shape " +
                                      shape_to_string(shape));
    std::string dims;
    for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    // Pad so that magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64.
    const size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw WorkloadError(path, "cannot write file");
        f.write(kMagic, 6);
        const char version[2] = {1, 0};
        f.write(version, 2);
        const uint16_t len = static_cast<uint16_t>(header.size());
        const char lenb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
        f.write(lenb, 2);
        f.write(header.data(), static_cast<std::streamsize>(header.size()));
        f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(T)));
        if (!f) {
            std::remove(tmp.c_str());
            throw WorkloadError(path, "write failed");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw WorkloadError(path, "cannot rename the temporary file into place");
    }
}

}  // namespace

NpyArray read_npy(const std::string& path, bool allow_non_finite) {
    const std::string bytes = read_all(path);
    if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0)
        throw WorkloadError(path, "not a .npy file (bad magic)");
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw WorkloadError(path, "truncated .npy header");
        header_len = 0;
        for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
        offset = 12;
    } else {
        throw WorkloadError(path, "unsupported .npy format version " + std::to_string(major));
    }
    if (bytes.size() < offset + header_len) throw WorkloadError(path, "truncated .npy header");
    const std::string header = bytes.substr(offset, header_len);
    NpyArray a;
    a.dtype = dict_value(header, "descr", path);
    const std::string fortran = dict_value(header, "fortran_order", path);
    if (fortran == "True") throw WorkloadError(path, "fortran_order arrays are not supported (save in C order)");
    if (fortran != "False") throw WorkloadError(path, "npy header has a malformed fortran_order");
    const std::string shape = dict_value(header, "shape", path);
    if (shape.empty() || shape.front() != '(') throw WorkloadError(path, "npy header has a malformed shape");
    a.shape = parse_shape(shape, path);

    size_t item = 0;
    const std::string& d = a.dtype;
    if (d == "<f4") item = 4;
    else if (d == "<f8") item = 8;
    else if (d == "<i4") item = 4;
    else if (d == "<i8") item = 8;
    else if (d == "|u1" || d == "<u1" || d == "|i1" || d == "<i1") item = 1;
    else
        throw WorkloadError(path, "unsupported dtype '" + d +
                                      "' (supported: <f4, <f8, <i4, <i8, |u1, |i1, little-endian)");
    const size_t n = static_cast<size_t>(shape_numel(a.shape));
    const size_t data_off = offset + header_len;
    const size_t have = bytes.size() - data_off;
    if (have < n * item)
        throw WorkloadError(path, "truncated data: shape " + shape_to_string(a.shape) + " needs " +
                                      std::to_string(n * item) + " bytes, the file has " + std::to_string(have));
    if (have > n * item)
        throw WorkloadError(path, std::to_string(have - n * item) + " unexpected bytes after the data");
    const char* src = bytes.data() + data_off;
    if (d == "<f4") convert<float>(src, n, a.data);
    else if (d == "<f8") convert<double>(src, n, a.data);
    else if (d == "<i4") convert<int32_t>(src, n, a.data);
    else if (d == "<i8") convert<int64_t>(src, n, a.data);
    else if (d[1] == 'u') convert<uint8_t>(src, n, a.data);
    else convert<int8_t>(src, n, a.data);
    if (!allow_non_finite)
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(a.data[i]))
                throw WorkloadError(path, "element " + std::to_string(i) + " is NaN or Inf");
    return a;
}

Eigen::MatrixXd read_csv(const std::string& path, const MatrixReadOptions& options) {
    std::ifstream f(path);
    if (!f) throw WorkloadError(path, "cannot open file");
    std::vector<std::vector<double>> rows;
    std::string line;
    int lineno = 0;
    size_t width = 0;
    int width_line = 0;
    while (std::getline(f, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        std::vector<double> row;
        size_t start = 0;
        while (true) {
            const size_t comma = line.find(',', start);
            const std::string raw = line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            const size_t b = raw.find_first_not_of(" \t");
            const size_t e = raw.find_last_not_of(" \t");
            const std::string cell = b == std::string::npos ? "" : raw.substr(b, e - b + 1);
            const std::string where = path + ":" + std::to_string(lineno) + ":" +
                                      std::to_string(start + (b == std::string::npos ? 0 : b) + 1);
            if (cell.empty()) throw WorkloadError(where, "empty cell");
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(cell.c_str(), &end);
            if (end != cell.c_str() + cell.size() || errno == ERANGE)
                throw WorkloadError(where, "non-numeric cell '" + cell + "'");
            if (!options.allow_non_finite && !std::isfinite(v))
                throw WorkloadError(where, "cell '" + cell + "' is NaN or Inf");
            row.push_back(v);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        if (rows.empty()) {
            width = row.size();
            width_line = lineno;
        } else if (row.size() != width) {
            throw WorkloadError(path + ":" + std::to_string(lineno),
                                "ragged rows: " + std::to_string(row.size()) + " cells, line " +
                                    std::to_string(width_line) + " has " + std::to_string(width));
        }
        rows.push_back(std::move(row));
    }
    if (rows.empty()) throw WorkloadError(path, "empty file (no numeric rows)");
    Eigen::MatrixXd m(rows.size(), width);
    for (size_t r = 0; r < rows.size(); ++r)
        for (size_t c = 0; c < width; ++c) m(r, c) = rows[r][c];
    if (width == 1 && !options.one_d_as_column) m.transposeInPlace();
    return m;
}

Eigen::MatrixXd read_matrix(const std::string& path, const MatrixReadOptions& options) {
    const std::string ext = lower_ext(path);
    if (ext == "csv") return read_csv(path, options);
    if (ext != "npy") throw WorkloadError(path, "unknown array file type (expected .npy or .csv)");
    const NpyArray a = read_npy(path, options.allow_non_finite);
    if (a.data.empty()) throw WorkloadError(path, "empty array " + shape_to_string(a.shape));
    Eigen::Index rows = 1, cols = 1;
    if (a.shape.size() == 1) {
        rows = options.one_d_as_column ? a.shape[0] : 1;
        cols = options.one_d_as_column ? 1 : a.shape[0];
    } else if (a.shape.size() >= 2) {
        rows = a.shape[0];
        cols = static_cast<Eigen::Index>(a.data.size()) / rows;
    }
    Eigen::MatrixXd m(rows, cols);
    for (Eigen::Index r = 0; r < rows; ++r)
        for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = a.data[r * cols + c];
    return m;
}

void write_npy(const std::string& path, const Shape& shape, const std::vector<float>& data) {
    write_npy_impl(path, shape, data, "<f4");
}
void write_npy(const std::string& path, const Shape& shape, const std::vector<double>& data) {
    write_npy_impl(path, shape, data, "<f8");
}
void write_npy(const std::string& path, const Shape& shape, const std::vector<int64_t>& data) {
    write_npy_impl(path, shape, data, "<i8");
}

}  // namespace sotsim::workloads
