#include "platform/report/Json.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sotsim::report {

Json Json::quantity(double v, const std::string& unit) {
    Json q = object();
    q["value"] = v;
    q["unit"] = unit;
    return q;
}

bool Json::as_bool() const {
    if (type_ != Type::Bool) throw std::logic_error("json: value is not a bool");
    return bool_;
}
double Json::as_number() const {
    if (type_ != Type::Number) throw std::logic_error("json: value is not a number");
    return num_;
}
const std::string& Json::as_string() const {
    if (type_ != Type::String) throw std::logic_error("json: value is not a string");
    return str_;
}

Json& Json::operator[](const std::string& key) {
    if (type_ == Type::Null) type_ = Type::Object;
    if (type_ != Type::Object) throw std::logic_error("json: member access '" + key + "' on a non-object");
    for (auto& [k, v] : obj_)
        if (k == key) return v;
    obj_.emplace_back(key, Json());
    return obj_.back().second;
}

const Json& Json::at(const std::string& key) const {
    if (type_ == Type::Object)
        for (const auto& [k, v] : obj_)
            if (k == key) return v;
    throw std::out_of_range("json: no member '" + key + "'");
}

bool Json::contains(const std::string& key) const {
    if (type_ != Type::Object) return false;
    for (const auto& kv : obj_)
        if (kv.first == key) return true;
    return false;
}

const std::vector<std::pair<std::string, Json>>& Json::items() const {
    if (type_ != Type::Object) throw std::logic_error("json: value is not an object");
    return obj_;
}

void Json::push_back(Json v) {
    if (type_ == Type::Null) type_ = Type::Array;
    if (type_ != Type::Array) throw std::logic_error("json: push_back on a non-array");
    arr_.push_back(std::move(v));
}

const Json& Json::at(std::size_t i) const {
    if (type_ != Type::Array || i >= arr_.size()) throw std::out_of_range("json: array index out of range");
    return arr_[i];
}

const std::vector<Json>& Json::elements() const {
    if (type_ != Type::Array) throw std::logic_error("json: value is not an array");
    return arr_;
}

std::size_t Json::size() const {
    if (type_ == Type::Array) return arr_.size();
    if (type_ == Type::Object) return obj_.size();
    return 0;
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

std::string quote_json(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);   // UTF-8 passes through unchanged
                }
        }
    }
    out += '"';
    return out;
}

static void newline(std::string& out, int indent, int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * level), ' ');
}

void Json::write(std::string& out, int indent, int level) const {
    switch (type_) {
        case Type::Null: out += "null"; break;
        case Type::Bool: out += bool_ ? "true" : "false"; break;
        case Type::Number: out += std::isfinite(num_) ? format_number(num_) : "null"; break;
        case Type::String: out += quote_json(str_); break;
        case Type::Array:
            if (arr_.empty()) { out += "[]"; break; }
            out += '[';
            for (std::size_t i = 0; i < arr_.size(); ++i) {
                if (i) out += ',';
                newline(out, indent, level + 1);
                arr_[i].write(out, indent, level + 1);
            }
            newline(out, indent, level);
            out += ']';
            break;
        case Type::Object:
            if (obj_.empty()) { out += "{}"; break; }
            out += '{';
            for (std::size_t i = 0; i < obj_.size(); ++i) {
                if (i) out += ',';
                newline(out, indent, level + 1);
                out += quote_json(obj_[i].first);
                out += indent < 0 ? ":" : ": ";
                obj_[i].second.write(out, indent, level + 1);
            }
            newline(out, indent, level);
            out += '}';
            break;
    }
}

std::string Json::dump(int indent) const {
    std::string out;
    write(out, indent, 0);
    return out;
}

// ---------------------------------------------------------------------------- parser
namespace {

class Parser {
public:
    explicit Parser(const std::string& s) : s_(s) {}

    Json document() {
        Json v = value();
        ws();
        if (i_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::invalid_argument("json: " + what + " at offset " + std::to_string(i_));
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool take(const char* lit) {
        std::size_t n = std::char_traits<char>::length(lit);
        if (s_.compare(i_, n, lit) == 0) { i_ += n; return true; }
        return false;
    }
    Json value() {
        if (++depth_ > 512) fail("nesting too deep");
        ws();
        if (i_ >= s_.size()) fail("unexpected end of input");
        Json out;
        char c = s_[i_];
        if (c == '{') out = object();
        else if (c == '[') out = array();
        else if (c == '"') out = Json(string());
        else if (take("true")) out = Json(true);
        else if (take("false")) out = Json(false);
        else if (take("null")) out = Json();
        else out = Json(number());
        --depth_;
        return out;
    }
    Json object() {
        Json o = Json::object();
        ++i_;
        ws();
        if (i_ < s_.size() && s_[i_] == '}') { ++i_; return o; }
        for (;;) {
            ws();
            if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
            std::string k = string();
            ws();
            if (i_ >= s_.size() || s_[i_] != ':') fail("expected ':'");
            ++i_;
            if (o.contains(k)) fail("duplicate member '" + k + "'");
            o[k] = value();
            ws();
            if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
            if (i_ < s_.size() && s_[i_] == '}') { ++i_; return o; }
            fail("expected ',' or '}'");
        }
    }
    Json array() {
        Json a = Json::array();
        ++i_;
        ws();
        if (i_ < s_.size() && s_[i_] == ']') { ++i_; return a; }
        for (;;) {
            a.push_back(value());
            ws();
            if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
            if (i_ < s_.size() && s_[i_] == ']') { ++i_; return a; }
            fail("expected ',' or ']'");
        }
    }
    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    unsigned hex4() {
        if (i_ + 4 > s_.size()) fail("truncated \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
            else fail("bad hex digit in \\u escape");
        }
        return v;
    }
    std::string string() {
        ++i_;   // opening quote
        std::string out;
        for (;;) {
            if (i_ >= s_.size()) fail("unterminated string");
            unsigned char c = static_cast<unsigned char>(s_[i_++]);
            if (c == '"') return out;
            if (c < 0x20) fail("unescaped control character in string");
            if (c != '\\') { out += static_cast<char>(c); continue; }
            if (i_ >= s_.size()) fail("unterminated escape");
            char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00) {
                        if (!take("\\u")) fail("unpaired surrogate");
                        unsigned lo = hex4();
                        if (lo < 0xDC00 || lo >= 0xE000) fail("bad low surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    utf8(out, cp);
                    break;
                }
                default: fail("bad escape");
            }
        }
    }
    double number() {
        std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        auto digits = [&] {
            std::size_t d = i_;
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
            return i_ - d;
        };
        if (i_ < s_.size() && s_[i_] == '0') ++i_;
        else if (digits() == 0) fail("invalid value");
        if (i_ < s_.size() && s_[i_] == '.') { ++i_; if (digits() == 0) fail("digits expected after '.'"); }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (digits() == 0) fail("digits expected in exponent");
        }
        double v = std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
        if (!std::isfinite(v)) fail("number out of range");
        return v;
    }

    const std::string& s_;
    std::size_t i_ = 0;
    int depth_ = 0;
};

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
            double v;
            if (yaml_number(s, v)) return Json(v);
            return Json(s);
        }
    }
    return Json();
}

}  // namespace

Json Json::parse(const std::string& text) { return Parser(text).document(); }

Json json_from_yaml(const std::string& yaml_text) {
    try {
        return from_node(YAML::Load(yaml_text));
    } catch (const YAML::Exception& e) {
        throw std::invalid_argument(std::string("config YAML: ") + e.what());
    }
}

}  // namespace sotsim::report
