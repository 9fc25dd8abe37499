// The configuration schema: one table of keys (path, type, unit, range, meaning, accessor
// into sotsim::Config). It drives parsing, validation, --set typing, to_yaml, did-you-mean
// suggestions and the key reference in docs/config.md. Defaults are read from a
// default-constructed sotsim::Config, so they cannot drift from Config.h.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "models/config/Config.h"

namespace sotsim::config {

enum class KeyKind {
    Real,         // double, with a unit ("Ohm", "s", "1", ...)
    Int,          // int
    UInt64,       // std::uint64_t (seed)
    Bool,
    Choice,       // enum or string from a fixed list of names
    String,       // free text
    RealList,     // list of doubles with a unit
    QuantityMap,  // name -> double with a unit (tech tables)
};

struct Range {
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    bool lo_open = false;   // true: value must be > lo (else >= lo)
    bool hi_open = false;
    bool contains(double v) const;
    std::string describe() const;   // "> 0", "1 .. 16", "any"
};

struct KeyInfo {
    std::string path;
    KeyKind kind = KeyKind::Real;
    std::string unit = "1";          // expected dimension (Real, RealList, QuantityMap)
    Range range;
    std::vector<std::string> choices;
    std::string doc;

    // Accessors (exactly one group is set, by kind).
    std::function<double&(Config&)> real;
    std::function<int&(Config&)> integer;
    std::function<std::uint64_t&(Config&)> u64;
    std::function<bool&(Config&)> boolean;
    std::function<std::string&(Config&)> str;
    std::function<std::vector<double>&(Config&)> list;
    std::function<std::map<std::string, double>&(Config&)> map;
    std::function<std::string(const Config&)> choice_get;
    std::function<void(Config&, const std::string&)> choice_set;

    std::string type_name() const;   // "real [Ohm]", "int", "one of off|exact", ...
};

// All keys in documentation order (sections device, array, periphery, macro, tile, chip,
// tech, sim).
const std::vector<KeyInfo>& schema();
const KeyInfo* find_key(const std::string& path);
// True for section paths that hold keys ("device", "periphery.adc", ...).
bool is_section(const std::string& path);
const std::vector<std::string>& section_names();

// Current value of a key as text: SI plain number, enum name, "[a, b]", "true".
std::string format_value(const KeyInfo& key, const Config& cfg);
// Shortest decimal text of a double that reads back to the same value.
std::string format_real(double v);

// Closest known key path for a misspelling, or "" if nothing is close.
std::string suggest(const std::string& path);
std::size_t edit_distance(const std::string& a, const std::string& b);

// Known tech-table names (from models/common/Actions.h and Stats.h).
const std::vector<std::string>& known_actions();
const std::vector<std::string>& known_components();

// The Markdown key reference (one table per section) embedded in docs/config.md between
// "<!-- schema:begin -->" and "<!-- schema:end -->".
std::string render_schema_markdown();

}  // namespace sotsim::config
