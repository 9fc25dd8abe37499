#include "platform/config/Units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sotsim::config {
namespace {

//                       m  kg   s   A  B
constexpr Dimension kNone{0, 0, 0, 0, 0};

struct Symbol {
    const char* name;
    int exp10;
    Dimension dim;
    bool prefixable;
};

// Longest names first is not needed: a factor is matched whole, then as prefix + symbol.
const std::vector<Symbol>& symbols() {
    static const std::vector<Symbol> s = {
        {"m", 0, {1, 0, 0, 0, 0}, true},    {"s", 0, {0, 0, 1, 0, 0}, true},
        {"Hz", 0, {0, 0, -1, 0, 0}, true},  {"J", 0, {2, 1, -2, 0, 0}, true},
        {"W", 0, {2, 1, -3, 0, 0}, true},   {"V", 0, {2, 1, -3, -1, 0}, true},
        {"A", 0, {0, 0, 0, 1, 0}, true},    {"Ohm", 0, {2, 1, -3, -2, 0}, true},
        {"ohm", 0, {2, 1, -3, -2, 0}, true}, {"S", 0, {-2, -1, 3, 2, 0}, true},
        {"F", 0, {-2, -1, 4, 2, 0}, true},  {"B", 0, {0, 0, 0, 0, 1}, true},
        {"%", -2, kNone, false},
    };
    return s;
}

int si_prefix(char c, bool& ok) {
    ok = true;
    switch (c) {
        case 'f': return -15;
        case 'p': return -12;
        case 'n': return -9;
        case 'u': return -6;
        case 'm': return -3;
        case 'k': return 3;
        case 'M': return 6;
        case 'G': return 9;
        case 'T': return 12;
        default: ok = false; return 0;
    }
}

// x * 10^e with one correctly rounded operation where 10^|e| is an exact double (|e| <= 22).
double times_pow10(double x, int e) {
    if (e == 0) return x;
    if (e > 0 && e <= 22) return x * std::pow(10.0, e);
    if (e < 0 && e >= -22) return x / std::pow(10.0, -e);
    return x * std::pow(10.0, e);
}

// Unicode spellings -> ASCII: micro sign and Greek mu -> u, Ohm sign and Omega -> Ohm.
std::string normalize(const std::string& in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto c = static_cast<unsigned char>(in[i]);
        auto next = [&](std::size_t k) {
            return i + k < in.size() ? static_cast<unsigned char>(in[i + k]) : 0;
        };
        if (c == 0xC2 && next(1) == 0xB5) { out += 'u'; i += 1; continue; }          // µ
        if (c == 0xCE && next(1) == 0xBC) { out += 'u'; i += 1; continue; }          // μ
        if (c == 0xCE && next(1) == 0xA9) { out += "Ohm"; i += 1; continue; }        // Ω
        if (c == 0xE2 && next(1) == 0x84 && next(2) == 0xA6) { out += "Ohm"; i += 2; continue; }  // Ω
        if (std::isspace(c)) continue;
        out += static_cast<char>(c);
    }
    return out;
}

Unit parse_factor(const std::string& f, const std::string& whole) {
    if (f.empty()) throw std::invalid_argument("malformed unit '" + whole + "'");
    std::string base = f;
    int exponent = 1;
    if (auto caret = f.find('^'); caret != std::string::npos) {
        base = f.substr(0, caret);
        std::string e = f.substr(caret + 1);
        std::size_t k = (!e.empty() && (e[0] == '-' || e[0] == '+')) ? 1 : 0;
        if (k == e.size()) throw std::invalid_argument("malformed exponent in unit '" + whole + "'");
        for (std::size_t j = k; j < e.size(); ++j)
            if (!std::isdigit(static_cast<unsigned char>(e[j])))
                throw std::invalid_argument("malformed exponent in unit '" + whole + "'");
        exponent = std::atoi(e.c_str());
    }
    Unit u;
    bool found = false;
    for (const auto& s : symbols()) {
        if (base == s.name) { u.exp10 = s.exp10; u.dim = s.dim; found = true; break; }
    }
    if (!found && base.size() == 3 && base[1] == 'i' && base[2] == 'B') {
        const std::string bin = "KMGT";
        auto p = bin.find(base[0]);
        if (p != std::string::npos) {
            u.factor = std::pow(1024.0, static_cast<double>(p + 1));
            u.dim = {0, 0, 0, 0, 1};
            found = true;
        }
    }
    if (!found && base.size() >= 2) {
        bool ok = false;
        int p = si_prefix(base[0], ok);
        if (ok) {
            for (const auto& s : symbols()) {
                if (s.prefixable && base.compare(1, std::string::npos, s.name) == 0) {
                    u.exp10 = p + s.exp10; u.dim = s.dim; found = true; break;
                }
            }
        }
    }
    if (!found) throw std::invalid_argument("unknown unit '" + base + "' in '" + whole + "'");
    Unit r;
    r.factor = std::pow(u.factor, exponent);
    r.exp10 = u.exp10 * exponent;
    for (std::size_t i = 0; i < r.dim.size(); ++i) r.dim[i] = u.dim[i] * exponent;
    return r;
}

const char* quantity_name(const Dimension& d) {
    static const std::vector<std::pair<Dimension, const char*>> names = {
        {kNone, "dimensionless"}, {{1, 0, 0, 0, 0}, "length"}, {{2, 0, 0, 0, 0}, "area"},
        {{0, 0, 1, 0, 0}, "time"}, {{0, 0, -1, 0, 0}, "frequency"}, {{2, 1, -2, 0, 0}, "energy"},
        {{2, 1, -3, 0, 0}, "power"}, {{2, 1, -3, -1, 0}, "voltage"}, {{0, 0, 0, 1, 0}, "current"},
        {{2, 1, -3, -2, 0}, "resistance"}, {{-2, -1, 3, 2, 0}, "conductance"},
        {{-2, -1, 4, 2, 0}, "capacitance"}, {{0, 0, 0, 0, 1}, "bytes"},
        {{4, 1, -3, -2, 0}, "resistance-area product"},
    };
    for (const auto& [dim, n] : names)
        if (dim == d) return n;
    return nullptr;
}

}  // namespace

double Unit::scale() const { return times_pow10(factor, exp10); }

bool parse_plain_number(const std::string& text, double& out) {
    std::size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    if (b == e) return false;
    std::string s = text.substr(b, e - b);
    // Only decimal notation: strtod would also accept "inf", "nan" and hex floats.
    std::size_t i = 0;
    if (s[i] == '+' || s[i] == '-') ++i;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++digits; }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++digits; }
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t ed = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++ed; }
        if (ed == 0) return false;
    }
    if (i != s.size()) return false;
    double v = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(v)) return false;
    out = v;
    return true;
}

Unit parse_unit(const std::string& text) {
    std::string t = normalize(text);
    if (t.empty() || t == "1") return Unit{};
    Unit u;
    std::size_t start = 0;
    int sign = 1;
    for (std::size_t i = 0; i <= t.size(); ++i) {
        if (i == t.size() || t[i] == '*' || t[i] == '/') {
            Unit f = parse_factor(t.substr(start, i - start), text);
            u.factor = sign > 0 ? u.factor * f.factor : u.factor / f.factor;
            u.exp10 += sign * f.exp10;
            for (std::size_t k = 0; k < u.dim.size(); ++k) u.dim[k] += sign * f.dim[k];
            if (i < t.size()) sign = t[i] == '/' ? -1 : 1;
            start = i + 1;
        }
    }
    return u;
}

std::string dimension_name(const Dimension& d) {
    static const std::vector<std::pair<Dimension, const char*>> canon = {
        {kNone, "1"}, {{1, 0, 0, 0, 0}, "m"}, {{2, 0, 0, 0, 0}, "m^2"}, {{0, 0, 1, 0, 0}, "s"},
        {{0, 0, -1, 0, 0}, "Hz"}, {{2, 1, -2, 0, 0}, "J"}, {{2, 1, -3, 0, 0}, "W"},
        {{2, 1, -3, -1, 0}, "V"}, {{0, 0, 0, 1, 0}, "A"}, {{2, 1, -3, -2, 0}, "Ohm"},
        {{-2, -1, 3, 2, 0}, "S"}, {{-2, -1, 4, 2, 0}, "F"}, {{0, 0, 0, 0, 1}, "B"},
        {{4, 1, -3, -2, 0}, "Ohm*m^2"},
    };
    for (const auto& [dim, n] : canon)
        if (dim == d) return n;
    static const char* base[] = {"m", "kg", "s", "A", "B"};
    std::string out;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (d[i] == 0) continue;
        if (!out.empty()) out += '*';
        out += base[i];
        if (d[i] != 1) out += "^" + std::to_string(d[i]);
    }
    return out;
}

double parse_quantity_si(const std::string& text, const std::string& expected) {
    Unit want = parse_unit(expected);
    // Split the leading number from the unit.
    std::string s = text;
    std::size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    std::size_t i = b;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
            i = j;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        }
    }
    double value = 0.0;
    if (!parse_plain_number(s.substr(b, i - b), value))
        throw std::invalid_argument("'" + text + "' is not a number with an optional unit");
    std::string unit_text = s.substr(i);
    if (normalize(unit_text).empty()) return value / want.scale();  // plain number: SI
    Unit got;
    try {
        got = parse_unit(unit_text);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string(e.what()) + " (expected a value in " +
                                    dimension_name(want.dim) + ")");
    }
    if (got.dim != want.dim) {
        const char* wn = quantity_name(want.dim);
        const char* gn = quantity_name(got.dim);
        std::string msg = "wrong unit in '" + text + "': expected " + dimension_name(want.dim);
        if (wn) msg += std::string(" (") + wn + ")";
        msg += ", got " + normalize(unit_text) + " (" + dimension_name(got.dim);
        if (gn) msg += std::string(", ") + gn;
        msg += ")";
        throw std::invalid_argument(msg);
    }
    double factor = got.factor / want.factor;
    int e10 = got.exp10 - want.exp10;
    double v = times_pow10(value * factor, e10);
    if (factor == 1.0 && e10 != 0) {
        // Decimal prefixes: let strtod round once from the shifted decimal text, so "12.3 %"
        // is exactly the double nearest 0.123 (12.3 / 100 is not).
        std::string num = s.substr(b, i - b);
        int e = e10;
        if (auto ep = num.find_first_of("eE"); ep != std::string::npos) {
            e += std::atoi(num.c_str() + ep + 1);
            num.erase(ep);
        }
        double exact = std::strtod((num + "e" + std::to_string(e)).c_str(), nullptr);
        if (std::isfinite(exact)) v = exact;
    }
    if (!std::isfinite(v)) throw std::invalid_argument("'" + text + "' overflows");
    return v;
}

}  // namespace sotsim::config
