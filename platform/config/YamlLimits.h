#pragma once
// Parsing user YAML (chip configs, includes, sweep files) with resource limits. yaml-cpp
// shares an aliased node instead of copying it, so a few hundred bytes of nested aliases
// ("billion laughs") parse instantly but expand to ~10^9 nodes in any walk that copies
// the tree. Every user document is therefore counted with aliases expanded, stopping at
// kMaxYamlNodes, before anything walks it. yaml-cpp's own guard bounds the nesting of the
// text (reported like any syntax error) but not of the expanded tree: an alias may name its
// own enclosing node ("&x [*x]", an infinitely deep tree) or a chain of anchors may stack
// deep sequences. The expanded depth is therefore limited too (kMaxYamlDepth), so the
// recursive walks that follow (ConfigTree, Json, sweep manifests) stay within the stack.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace sotsim::config {

// Nodes a document may expand to. The largest shipped preset has under 500; a sweep file
// with long value lists a few thousand.
constexpr std::size_t kMaxYamlNodes = 200000;

// Nesting levels a document may reach with aliases expanded. The shipped presets and
// sweep files nest at most 6; a recursion this deep costs well under 1 MiB of stack.
constexpr std::size_t kMaxYamlDepth = 256;

// YAML::Load + the expansion limit. Throws ConfigError "FILE:LINE:COL: error: ..." for a
// syntax error (message prefixed "YAML syntax error: ") or a document over either limit.
YAML::Node load_yaml_limited(const std::string& text, const std::string& file);

}  // namespace sotsim::config
