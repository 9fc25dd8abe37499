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
#include <limits>
#include <sstream>

#include "models/common/UserFile.h"

namespace sotsim::workloads {
namespace {

const char kMagic[] = "\x93NUMPY";

std::string read_all(const std::string& path) {
    try {
        return io::read_user_file(path);
    } catch (const io::UserFileError& e) {
        throw WorkloadError(path, e.what());
    }
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

// "(2, 3)", "(5,)", "()"; numpy writes plain decimal integers (Python 2 wrote "3L").
Shape parse_shape(const std::string& tuple, const std::string& path) {
    auto bad = [&]() { return WorkloadError(path, "npy shape '" + tuple + "' is malformed"); };
    Shape shape;
    const std::string inner = tuple.substr(1, tuple.size() - 2);
    std::vector<std::string> items;
    std::stringstream ss(inner);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        items.push_back(item);
    }
    for (size_t i = 0; i < items.size(); ++i) {
        std::string t = items[i];
        if (t.empty()) {
            if (i + 1 == items.size() && i > 0) continue;  // the trailing comma of "(5,)"
            throw bad();
        }
        if (t.back() == 'L') t.pop_back();
        if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) throw bad();
        errno = 0;
        const long long d = std::strtoll(t.c_str(), nullptr, 10);
        if (errno == ERANGE) throw WorkloadError(path, "npy shape '" + tuple + "' has a dimension beyond 64 bits");
        shape.push_back(d);
    }
    return shape;
}

// Element types: kind 'f' (2, 4, 8 bytes), 'i' / 'u' (1, 2, 4, 8), 'b' (bool, 1); byte
// order '<' little, '>' big, '|' not applicable, '=' native (little on the supported hosts).
struct NpyType {
    char kind = 0;
    size_t size = 0;
    bool swap = false;
};

NpyType parse_descr(const std::string& d, const std::string& path) {
    auto unsupported = [&]() {
        return WorkloadError(path, "unsupported dtype '" + d +
                                       "' (supported: float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, "
                                       "either byte order)");
    };
    if (d.size() < 3 || std::string("<>|=").find(d[0]) == std::string::npos) throw unsupported();
    NpyType t;
    t.kind = d[1];
    const std::string size = d.substr(2);
    if (size == "1") t.size = 1;
    else if (size == "2") t.size = 2;
    else if (size == "4") t.size = 4;
    else if (size == "8") t.size = 8;
    else throw unsupported();
    const bool ok = (t.kind == 'f' && t.size >= 2) || t.kind == 'i' || t.kind == 'u' || (t.kind == 'b' && t.size == 1);
    if (!ok) throw unsupported();
    t.swap = d[0] == '>' && t.size > 1;
    return t;
}

// IEEE 754 binary16 -> double (exact).
double half_to_double(uint16_t h) {
    const int exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 0) return sign * std::ldexp(frac, -24);
    if (exp == 31) return frac ? std::numeric_limits<double>::quiet_NaN() : sign * HUGE_VAL;
    return sign * std::ldexp(frac + 1024, exp - 25);
}

template <typename T>
void convert(const char* src, size_t n, bool swap, std::vector<double>& out) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
        unsigned char b[sizeof(T)];
        std::memcpy(b, src + i * sizeof(T), sizeof(T));
        if (swap) std::reverse(b, b + sizeof(T));
        T v;
        std::memcpy(&v, b, sizeof(T));
        out[i] = static_cast<double>(v);
    }
}

void convert_elements(const NpyType& t, const char* src, size_t n, std::vector<double>& out) {
    switch (t.kind) {
        case 'f':
            if (t.size == 2) {
                convert<uint16_t>(src, n, t.swap, out);
                for (double& v : out) v = half_to_double(static_cast<uint16_t>(v));
            } else if (t.size == 4) {
                convert<float>(src, n, t.swap, out);
            } else {
                convert<double>(src, n, t.swap, out);
            }
            return;
        case 'b':
            convert<uint8_t>(src, n, false, out);
            for (double& v : out) v = v != 0.0 ? 1.0 : 0.0;
            return;
        case 'i':
            if (t.size == 1) convert<int8_t>(src, n, false, out);
            else if (t.size == 2) convert<int16_t>(src, n, t.swap, out);
            else if (t.size == 4) convert<int32_t>(src, n, t.swap, out);
            else convert<int64_t>(src, n, t.swap, out);
            return;
        default:
            if (t.size == 1) convert<uint8_t>(src, n, false, out);
            else if (t.size == 2) convert<uint16_t>(src, n, t.swap, out);
            else if (t.size == 4) convert<uint32_t>(src, n, t.swap, out);
            else convert<uint64_t>(src, n, t.swap, out);
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

    const NpyType type = parse_descr(a.dtype, path);
    // Checked products: a shape such as (1, 7, 2.6e18) must not wrap to a small count.
    int64_t count = 0, need_bytes = 0;
    try {
        count = shape_numel(a.shape);
        need_bytes = checked_mul(count, static_cast<int64_t>(type.size));
    } catch (const std::overflow_error&) {
        throw WorkloadError(path, "npy shape " + shape_to_string(a.shape) + " has more elements than fit 64 bits");
    }
    const size_t n = static_cast<size_t>(count);
    const size_t data_off = offset + header_len;
    const uint64_t have = bytes.size() - data_off;
    const uint64_t need = static_cast<uint64_t>(need_bytes);
    if (have < need)
        throw WorkloadError(path, "truncated data: shape " + shape_to_string(a.shape) + " needs " +
                                      std::to_string(need) + " bytes, the file has " + std::to_string(have));
    if (have > need) throw WorkloadError(path, std::to_string(have - need) + " unexpected bytes after the data");
    convert_elements(type, bytes.data() + data_off, n, a.data);
    if (!allow_non_finite)
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(a.data[i]))
                throw WorkloadError(path, "element " + std::to_string(i) + " is NaN or Inf");
    return a;
}

Eigen::MatrixXd read_csv(const std::string& path, const MatrixReadOptions& options) {
    try {
        io::require_regular_file(path);
    } catch (const io::UserFileError& e) {
        throw WorkloadError(path, e.what());
    }
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
