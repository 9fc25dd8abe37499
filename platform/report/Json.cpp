#include "platform/report/Json.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace sotsim::report {

Json quantity(double v, const std::string& unit) {
    Json q = Json::object();
    q["value"] = v;
    q["unit"] = unit;
    return q;
}

std::string dump_json(const Json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::detail::error_handler_t::replace);
}

Json parse_json(const std::string& text) {
    // The callback refuses a key already present in the object being built.
    std::vector<std::vector<std::string>> keys;
    bool duplicate = false;
    Json::parser_callback_t cb = [&](int depth, Json::parse_event_t ev, Json& parsed) {
        (void)depth;
        if (ev == Json::parse_event_t::object_start) keys.emplace_back();
        else if (ev == Json::parse_event_t::object_end) keys.pop_back();
        else if (ev == Json::parse_event_t::key) {
            const std::string k = parsed.get<std::string>();
            for (const auto& seen : keys.back())
                if (seen == k) duplicate = true;
            keys.back().push_back(k);
        }
        return true;
    };
    try {
        Json j = Json::parse(text, cb);
        if (duplicate) throw std::invalid_argument("json: duplicate object key");
        return j;
    } catch (const Json::parse_error& e) {
        throw std::invalid_argument(std::string("json: ") + e.what() + " (byte offset " + std::to_string(e.byte) + ")");
    }
}

std::string format_number(double v) {
    if (!std::isfinite(v)) throw std::invalid_argument("json: non-finite number");
    if (v == 0.0) return "0";   // also folds -0
    // Integers up to 2^53 print without exponent or fraction.
    if (std::fabs(v) < 9007199254740992.0 && v == std::floor(v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

namespace {

// A plain YAML scalar that is a decimal number (YAML 1.2 core schema, without hex/octal).
bool yaml_number(const std::string& s, double& out) {
    std::size_t i = 0, n = s.size();
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t d0 = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t int_digits = i - d0, frac_digits = 0;
    if (i < n && s[i] == '.') {
        ++i;
        std::size_t f0 = i;
        while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        frac_digits = i - f0;
    }
    if (int_digits + frac_digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t e0 = i;
        while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i == e0) return false;
    }
    if (i != n) return false;
    out = std::strtod(s.c_str(), nullptr);
    return std::isfinite(out);
}

// A plain scalar of decimal digits (optional sign) that fits 64 bits: kept exact.
bool yaml_integer(const std::string& s, Json& out) {
    if (s.empty()) return false;
    const std::size_t start = s[0] == '-' || s[0] == '+' ? 1 : 0;
    if (start == s.size()) return false;
    for (std::size_t i = start; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    errno = 0;
    if (s[0] == '-') {
        const long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == ERANGE) return false;
        out = static_cast<std::int64_t>(v);
    } else {
        const unsigned long long v = std::strtoull(s.c_str() + start, nullptr, 10);
        if (errno == ERANGE) return false;
        out = static_cast<std::uint64_t>(v);
    }
    return true;
}

Json from_node(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return Json();
        case YAML::NodeType::Sequence: {
            Json a = Json::array();
            for (const auto& e : n) a.push_back(from_node(e));
            return a;
        }
        case YAML::NodeType::Map: {
            Json o = Json::object();
            for (const auto& kv : n) o[kv.first.as<std::string>()] = from_node(kv.second);
            return o;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() == "!") return Json(s);   // quoted in the source: always a string
            if (s == "true" || s == "True" || s == "TRUE") return Json(true);
            if (s == "false" || s == "False" || s == "FALSE") return Json(false);
            if (s == "null" || s == "Null" || s == "NULL" || s == "~") return Json();
            Json i;
            if (yaml_integer(s, i)) return i;
            double v;
            if (yaml_number(s, v)) return Json(v);
            return Json(s);
        }
    }
    return Json();
}

}  // namespace

Json json_from_yaml(const std::string& yaml_text) {
    try {
        return from_node(YAML::Load(yaml_text));
    } catch (const YAML::Exception& e) {
        throw std::invalid_argument(std::string("config YAML: ") + e.what());
    }
}

}  // namespace sotsim::report
