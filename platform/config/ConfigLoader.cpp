#include "platform/config/ConfigLoader.h"

#include <stdexcept>

#include "platform/config/ConfigTree.h"
#include "platform/config/Schema.h"
#include "platform/config/Units.h"
#include "platform/config/Validator.h"

namespace sotsim::config {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '.') {
            parts.push_back(path.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

void set_marks(TreeNode& n, const SourceMark& m) {
    n.mark = m;
    for (auto& e : n.entries) { e.key_mark = m; set_marks(e.value, m); }
    for (auto& i : n.items) set_marks(i, m);
}

// "--set key.path=value": the key is checked against the schema here (so the error names
// the override); the value is typed later by the same validation as file values.
void apply_override(TreeNode& root, const std::string& text) {
    const std::string source = "--set " + text;
    auto eq = text.find('=');
    if (eq == std::string::npos)
        throw ConfigError(source, 0, 0, "expected key.path=value");
    std::string key = trim(text.substr(0, eq));
    std::string value = trim(text.substr(eq + 1));
    if (key.empty()) throw ConfigError(source, 0, 0, "missing key before '='");
    if (value.empty()) throw ConfigError(source, 0, 0, "missing value for '" + key + "'");
    if (!is_known_key(key)) {
        std::string msg = is_section(key) ? "'" + key + "' is a section, not a key"
                                          : "unknown key '" + key + "'";
        std::string s = is_section(key) ? "" : suggest_key(key);
        if (!s.empty()) msg += ", did you mean '" + s + "'?";
        throw ConfigError(source, 0, 0, msg);
    }
    SourceMark mark{source, 0, 0};
    TreeNode node;
    if (!value.empty() && (value.front() == '[' || value.front() == '{')) {
        try {
            node = parse_yaml_text(value, source);
        } catch (const ConfigError& e) {
            throw ConfigError(source, 0, 0, e.message());   // positions inside the value mean little
        }
        set_marks(node, mark);
    } else {
        node.kind = TreeNode::Kind::Scalar;
        node.scalar = value;
        node.mark = mark;
    }
    std::vector<std::string> parts = split_path(key);
    TreeNode* cur = &root;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (cur->kind != TreeNode::Kind::Map) {
            cur->kind = TreeNode::Kind::Map;
            cur->scalar.clear();
            cur->items.clear();
            cur->entries.clear();
        }
        TreeEntry* e = cur->find(parts[i]);
        if (!e) {
            cur->entries.push_back(TreeEntry{parts[i], mark, TreeNode{}});
            e = &cur->entries.back();
            e->value.mark = mark;
        }
        e->key_mark = mark;
        if (i + 1 == parts.size()) merge_into(e->value, node);   // maps merge per entry, like includes
        cur = &e->value;
    }
}

bool is_tech_entry(const std::string& key) {
    for (const char* m : {"tech.energy.", "tech.area.", "tech.leakage."}) {
        std::string p = m;
        if (key.size() > p.size() && key.compare(0, p.size(), p) == 0 &&
            key.find('.', p.size()) == std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
    TreeNode root = load_with_includes(path);
    for (const auto& o : overrides) apply_override(root, o);
    return validate_tree(root, path);
}

bool is_known_key(const std::string& key_path) {
    return find_key(key_path) != nullptr || is_tech_entry(key_path);
}

std::string suggest_key(const std::string& key_path) { return suggest(key_path); }

double parse_quantity(const std::string& text, const std::string& unit) {
    return parse_quantity_si(text, unit);
}

}  // namespace sotsim::config
