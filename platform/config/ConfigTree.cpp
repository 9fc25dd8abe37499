#include "platform/config/ConfigTree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "platform/config/ConfigLoader.h"
#include "platform/config/YamlLimits.h"
#include "models/common/UserFile.h"

namespace fs = std::filesystem;

namespace sotsim::config {

const TreeEntry* TreeNode::find(const std::string& key) const {
    for (const auto& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}

TreeEntry* TreeNode::find(const std::string& key) {
    for (auto& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}

namespace {

// A chip config is a few kB; anything this large is not one (and would be slow to parse).
constexpr std::uint64_t kMaxConfigFileBytes = 16u << 20;

SourceMark mark_of(const YAML::Mark& m, const std::string& file) {
    SourceMark s;
    s.file = file;
    if (m.line >= 0) { s.line = m.line + 1; s.col = m.column + 1; }
    return s;
}

TreeNode convert(const YAML::Node& n, const std::string& file) {
    TreeNode t;
    t.mark = mark_of(n.Mark(), file);
    switch (n.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            t.kind = TreeNode::Kind::Null;
            break;
        case YAML::NodeType::Scalar:
            t.kind = TreeNode::Kind::Scalar;
            t.scalar = n.Scalar();
            break;
        case YAML::NodeType::Sequence:
            t.kind = TreeNode::Kind::Seq;
            for (const auto& item : n) t.items.push_back(convert(item, file));
            break;
        case YAML::NodeType::Map:
            t.kind = TreeNode::Kind::Map;
            for (const auto& kv : n) {
                SourceMark km = mark_of(kv.first.Mark(), file);
                if (!kv.first.IsScalar())
                    throw ConfigError(km.file, km.line, km.col, "map keys must be plain names");
                std::string key = kv.first.Scalar();
                if (const TreeEntry* prev = t.find(key))
                    throw ConfigError(km.file, km.line, km.col,
                                      "duplicate key '" + key + "' (first given at line " +
                                          std::to_string(prev->key_mark.line) + ")");
                t.entries.push_back(TreeEntry{key, km, convert(kv.second, file)});
            }
            break;
    }
    return t;
}

TreeNode parse_text(const std::string& text, const std::string& file) {
    return convert(load_yaml_limited(text, file), file);
}

}  // namespace

TreeNode parse_yaml_text(const std::string& text, const std::string& source) {
    return parse_text(text, source);
}

TreeNode read_yaml_file(const std::string& path, const SourceMark* opened_from) {
    auto fail = [&](const std::string& msg) -> ConfigError {
        if (opened_from)
            return ConfigError(opened_from->file, opened_from->line, opened_from->col,
                               "included file '" + path + "': " + msg);
        return ConfigError(path, 0, 0, msg);
    };
    std::string text;
    try {
        text = io::read_user_file(path, kMaxConfigFileBytes);
    } catch (const io::UserFileError& e) {
        throw fail(e.what());
    }
    TreeNode root = parse_text(text, path);
    if (root.kind == TreeNode::Kind::Null)
        throw ConfigError(path, 1, 1, "empty configuration file (expected a map of sections)");
    if (root.kind != TreeNode::Kind::Map)
        throw ConfigError(path, root.mark.line, root.mark.col,
                          "top level must be a map of sections (device, array, ...)");
    return root;
}

void merge_into(TreeNode& dst, const TreeNode& src) {
    if (dst.kind == TreeNode::Kind::Map && src.kind == TreeNode::Kind::Map) {
        for (const auto& e : src.entries) {
            if (TreeEntry* d = dst.find(e.key)) {
                merge_into(d->value, e.value);
                d->key_mark = e.key_mark;
            } else {
                dst.entries.push_back(e);
            }
        }
        dst.mark = src.mark;
        return;
    }
    dst = src;
}

namespace {

std::string key_of(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    return (ec ? fs::absolute(p) : c).string();
}

// Includes deeper than this are refused (a 20,000-deep chain overflowed the stack); real
// presets nest two or three levels.
constexpr std::size_t kMaxIncludeDepth = 32;

struct LoadState {
    std::vector<std::string> stack;            // canonical paths being loaded (cycle check)
    std::map<std::string, TreeNode> loaded;    // canonical path -> merged tree, loaded once
};

TreeNode load_recursive(const std::string& path, const SourceMark* opened_from, LoadState& state) {
    std::string self = key_of(path);
    // A file included from several places is read and resolved once: 25 files that each
    // include the next twice were re-loaded 2^25 times.
    if (auto it = state.loaded.find(self); it != state.loaded.end()) return it->second;
    if (state.stack.size() >= kMaxIncludeDepth) {
        const SourceMark m = opened_from ? *opened_from : SourceMark{path, 0, 0};
        throw ConfigError(m.file, m.line, m.col,
                          "includes nest deeper than " + std::to_string(kMaxIncludeDepth) + " files");
    }
    TreeNode own = read_yaml_file(path, opened_from);
    std::vector<std::string>& stack = state.stack;
    stack.push_back(self);

    TreeNode merged;
    merged.kind = TreeNode::Kind::Map;
    merged.mark = own.mark;
    if (const TreeEntry* inc = own.find("include")) {
        std::vector<const TreeNode*> names;
        if (inc->value.kind == TreeNode::Kind::Scalar) {
            names.push_back(&inc->value);
        } else if (inc->value.kind == TreeNode::Kind::Seq) {
            for (const auto& item : inc->value.items) names.push_back(&item);
        } else {
            const SourceMark& m = inc->value.kind == TreeNode::Kind::Null ? inc->key_mark : inc->value.mark;
            throw ConfigError(m.file, m.line, m.col, "'include' expects a path or a list of paths");
        }
        for (const TreeNode* n : names) {
            if (n->kind != TreeNode::Kind::Scalar || n->scalar.empty())
                throw ConfigError(n->mark.file, n->mark.line, n->mark.col,
                                  "'include' entries must be file paths");
            fs::path p(n->scalar);
            if (p.is_relative()) p = fs::path(path).parent_path() / p;
            std::string child = p.lexically_normal().string();
            std::string child_key = key_of(p);
            for (std::size_t i = 0; i < stack.size(); ++i) {
                if (stack[i] != child_key) continue;
                std::string chain;
                for (std::size_t j = i; j < stack.size(); ++j)
                    chain += fs::path(stack[j]).filename().string() + " -> ";
                chain += fs::path(child_key).filename().string();
                throw ConfigError(n->mark.file, n->mark.line, n->mark.col,
                                  "include cycle: " + chain);
            }
            merge_into(merged, load_recursive(child, &n->mark, state));
        }
    }
    TreeNode body = own;
    body.entries.erase(std::remove_if(body.entries.begin(), body.entries.end(),
                                      [](const TreeEntry& e) { return e.key == "include"; }),
                       body.entries.end());
    merge_into(merged, body);
    stack.pop_back();
    state.loaded.emplace(self, merged);
    return merged;
}

}  // namespace

TreeNode load_with_includes(const std::string& path) {
    LoadState state;
    return load_recursive(path, nullptr, state);
}

}  // namespace sotsim::config
