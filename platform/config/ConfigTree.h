// Source-located YAML tree: every key and scalar keeps the file:line:col it came from, so
// errors found after includes and --set overrides are merged still point at the file
// (or the override) that supplied the value. Only platform/config uses this.
#pragma once

#include <string>
#include <vector>

namespace sotsim::config {

struct SourceMark {
    std::string file;   // path as given, or "--set key=value" for overrides
    int line = 0;       // 1-based; 0 = unknown
    int col = 0;        // 1-based; 0 = unknown
};

struct TreeEntry;

struct TreeNode {
    enum class Kind { Null, Scalar, Map, Seq };
    Kind kind = Kind::Null;
    std::string scalar;
    SourceMark mark;
    std::vector<TreeEntry> entries;   // Map, in file order
    std::vector<TreeNode> items;      // Seq

    const TreeEntry* find(const std::string& key) const;
    TreeEntry* find(const std::string& key);
};

struct TreeEntry {
    std::string key;
    SourceMark key_mark;
    TreeNode value;
};

// Reads one YAML file (no include processing) into a tree. Throws ConfigError for a missing,
// unreadable or directory path, a syntax error, an empty document, a non-map top level or a
// duplicate key. `opened_from` (optional) is where the file was named, for missing includes.
TreeNode read_yaml_file(const std::string& path, const SourceMark* opened_from = nullptr);

// Parses YAML text (used for --set list values such as "[1e3, 2e3]"); marks name `source`.
TreeNode parse_yaml_text(const std::string& text, const std::string& source);

// Reads `path` and resolves its top-level `include:` (a path or a list of paths, relative to
// the including file or absolute), recursively with cycle detection. Included files merge in
// list order; the including file's own keys merge last, so they win. Merging is deep per key.
TreeNode load_with_includes(const std::string& path);

// Deep merge: maps merge per key (recursively), anything else in `src` replaces `dst`.
void merge_into(TreeNode& dst, const TreeNode& src);

}  // namespace sotsim::config
