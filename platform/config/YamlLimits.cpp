#include "platform/config/YamlLimits.h"

#include <utility>
#include <vector>

#include "platform/config/ConfigLoader.h"

namespace sotsim::config {
namespace {

// Walks the document as a copying walk would visit it (aliases expanded), with an explicit
// stack: the walk must not itself recurse, since a recursive alias ("&x [*x]") makes the
// expanded tree infinitely deep and a chain of aliased deep sequences makes it deeper than
// any thread stack. Stops at the first node over either limit, so it costs at most
// kMaxYamlNodes steps.
void check_expansion(const YAML::Node& root, const std::string& file) {
    std::vector<std::pair<YAML::Node, std::size_t>> todo;
    todo.emplace_back(root, 1);
    std::size_t count = 0;
    while (!todo.empty()) {
        const YAML::Node n = std::move(todo.back().first);
        const std::size_t depth = todo.back().second;
        todo.pop_back();
        if (++count > kMaxYamlNodes)
            throw ConfigError(file, 0, 0,
                              "the document expands to more than " + std::to_string(kMaxYamlNodes) +
                                  " nodes (nested aliases?); refusing it");
        if (depth > kMaxYamlDepth) {
            const YAML::Mark m = n.Mark();
            throw ConfigError(file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1,
                              "the document nests deeper than " + std::to_string(kMaxYamlDepth) +
                                  " levels with aliases expanded (a recursive alias?); refusing it");
        }
        if (n.IsSequence()) {
            for (const auto& item : n) todo.emplace_back(item, depth + 1);
        } else if (n.IsMap()) {
            for (const auto& kv : n) {
                todo.emplace_back(kv.first, depth + 1);
                todo.emplace_back(kv.second, depth + 1);
            }
        }
    }
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
    check_expansion(root, file);
    return root;
}

}  // namespace sotsim::config
