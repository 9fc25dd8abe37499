// The report's JSON type: nlohmann::json (Debian nlohmann-json3-dev) with ordered objects,
// so a report built in a fixed order is byte-for-byte stable across runs. Integers are kept
// exactly as 64-bit integers (a seed of 9007199254740993 stays ...993), doubles are written
// in the shortest form that reads back to the same value, non-finite doubles as `null`.
// Text is written by dump_json(), which checks UTF-8 and replaces invalid bytes (a path
// that is not UTF-8) with U+FFFD, so every report is valid JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sotsim::report {

using Json = nlohmann::ordered_json;

// {"value": v, "unit": unit}: the report's convention for a quantity with its unit.
Json quantity(double v, const std::string& unit);

// indent < 0: compact single line; otherwise pretty-printed with that many spaces.
// Invalid UTF-8 in strings is replaced by U+FFFD instead of producing invalid JSON.
std::string dump_json(const Json& j, int indent = 2);

// Strict parse (duplicate keys are an error). Throws std::invalid_argument with the byte
// offset of the problem.
Json parse_json(const std::string& text);

// Shortest decimal text that reads back to exactly `v` ("72", "0.1", "1.5e-12"); used for
// CSV cells. `v` must be finite.
std::string format_number(double v);

// YAML text (e.g. the resolved config from config::to_yaml) to JSON: maps -> objects in
// document order, sequences -> arrays, plain integer scalars -> exact 64-bit integers, other
// plain scalars that read as numbers -> doubles, true/false -> bools, null/~ -> null,
// everything else (including quoted scalars) -> strings. Throws std::invalid_argument on
// malformed YAML.
Json json_from_yaml(const std::string& yaml_text);

}  // namespace sotsim::report
