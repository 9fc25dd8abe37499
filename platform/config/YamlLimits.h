#pragma once
// Parsing user YAML (chip configs, includes, sweep files) with resource limits. yaml-cpp
// shares an aliased node instead of copying it, so a few hundred bytes of nested aliases
// ("billion laughs") parse instantly but expand to ~10^9 nodes in any walk that copies
// the tree. Every user document is therefore counted with aliases expanded, stopping at
// kMaxYamlNodes, before anything walks it. Nesting depth is bounded by yaml-cpp's own
// guard (DeepRecursion at 2000 levels), reported like any syntax error.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace sotsim::config {

// Nodes a document may expand to. The largest shipped preset has under 500; a sweep file
// with long value lists a few thousand.
constexpr std::size_t kMaxYamlNodes = 200000;

// YAML::Load + the expansion limit. Throws ConfigError "FILE:LINE:COL: error: ..." for a
// syntax error (message prefixed "YAML syntax error: ") or a document over the limit.
YAML::Node load_yaml_limited(const std::string& text, const std::string& file);

}  // namespace sotsim::config
