#include "platform/sweep/SweepText.h"

#include "platform/config/Schema.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace sotsim::sweep {

std::string parent_dir(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string absolute_path(const std::string& path, const std::string& dir) {
    if (!path.empty() && path.front() == '/') return path;
    std::string joined = (dir.empty() || dir == ".") ? path : dir + "/" + path;
    if (!joined.empty() && joined.front() == '/') return joined;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return joined;
    return std::string(cwd) + "/" + joined;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

namespace {
using config::edit_distance;  // one implementation: the config schema's did-you-mean
}  // namespace

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) best_d = d, best = c;
    }
    // Suggest only when at most about a third of the word differs.
    return best_d <= std::max<std::size_t>(2, word.size() / 3) ? best : std::string();
}

bool valid_dotted_path(const std::string& path) {
    if (path.empty() || path.front() == '.' || path.back() == '.') return false;
    char prev = 0;
    for (char c : path) {
        const bool name = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        if (!name && c != '.') return false;
        if (c == '.' && prev == '.') return false;
        prev = c;
    }
    return true;
}

std::string format_number(double v) {
    char buf[64];
    for (int prec = 6; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::uint64_t fnv1a64(const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace sotsim::sweep
