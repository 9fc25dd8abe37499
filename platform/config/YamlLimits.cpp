#include "platform/config/YamlLimits.h"

#include "platform/config/ConfigLoader.h"

namespace sotsim::config {
namespace {

// Counts nodes as a copying walk would visit them (aliases expanded). Returns false as soon
// as the count passes the limit, so the walk itself costs at most kMaxYamlNodes steps.
bool count_nodes(const YAML::Node& n, std::size_t& count) {
    if (++count > kMaxYamlNodes) return false;
    if (n.IsSequence()) {
        for (const auto& item : n)
            if (!count_nodes(item, count)) return false;
    } else if (n.IsMap()) {
        for (const auto& kv : n)
            if (!count_nodes(kv.first, count) || !count_nodes(kv.second, count)) return false;
    }
    return true;
}

}  // namespace

YAML::Node load_yaml_limited(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        const int col = e.mark.is_null() ? 0 : e.mark.column + 1;
        throw ConfigError(file, line, col, "YAML syntax error: " + e.msg);
    }
    std::size_t count = 0;
    if (!count_nodes(root, count))
        throw ConfigError(file, 0, 0,
                          "the document expands to more than " + std::to_string(kMaxYamlNodes) +
                              " nodes (nested aliases?); refusing it");
    return root;
}

}  // namespace sotsim::config
