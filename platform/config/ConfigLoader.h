// YAML -> raw structs -> validated sotsim::Config. The only place that knows YAML.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "models/config/Config.h"

namespace sotsim::config {

// Every user-facing configuration problem. what() is the full one-line message
// "FILE:LINE:COL: error: MESSAGE" (LINE:COL omitted when unknown, e.g. --set overrides).
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::string& file, int line, int col, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int col() const { return col_; }
    const std::string& message() const { return message_; }
private:
    std::string file_, message_;
    int line_, col_;
};

// Loads `path` (resolving `include:` relative to the including file; later keys override
// earlier ones), applies `overrides` ("a.b=value", typed by the schema, units allowed),
// validates everything and returns checked SI values. Throws ConfigError.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The fully resolved config as YAML with SI values (what `sotsim validate` prints and
// what every report embeds).
std::string to_yaml(const Config& cfg);

// Schema queries (used by sweeps to check parameter keys before running anything).
bool is_known_key(const std::string& key_path);
std::string suggest_key(const std::string& key_path);   // closest known key or ""

// Parse a quantity with unit ("3.1 MOhm", "200MHz", "150 %") into SI, checking that its
// dimension matches `unit` (e.g. "Ohm", "s", "Hz", "J", "V", "A", "F", "B", "m", "Ohm*m^2", "1").
// Throws std::invalid_argument with a message naming the problem.
double parse_quantity(const std::string& text, const std::string& unit);

}  // namespace sotsim::config
