#include "platform/sweep/SweepManifest.h"

#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "platform/config/ConfigLoader.h"
#include "platform/config/YamlLimits.h"
#include "platform/report/Hash.h"
#include "platform/sweep/SweepFs.h"
#include "platform/sweep/SweepResults.h"
#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {
namespace {

constexpr const char* kFormat = "2";   // 1: base file hash only (before includes were hashed)

// The resolved YAML without its comments (the header names the source path, which is a
// field of its own).
std::string without_comments(const std::string& yaml) {
    std::string out;
    std::stringstream ss(yaml);
    for (std::string line; std::getline(ss, line);)
        if (line.empty() || line.front() != '#') out += line + "\n";
    return out;
}

void flatten(const YAML::Node& n, const std::string& prefix, std::map<std::string, std::string>& out) {
    if (n.IsMap()) {
        for (const auto& kv : n) flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(), out);
    } else if (n.IsSequence()) {
        std::string s = "[";
        for (std::size_t i = 0; i < n.size(); ++i) s += (i ? ", " : "") + (n[i].IsScalar() ? n[i].Scalar() : "...");
        out[prefix] = s + "]";
    } else {
        out[prefix] = n.IsScalar() ? n.Scalar() : "null";
    }
}

// The first few config keys whose values differ, as "key: old -> new".
std::string config_diff(const std::string& old_yaml, const std::string& new_yaml) {
    std::map<std::string, std::string> a, b;
    try {
        // The stored side comes from a manifest on disk a user may have edited: parse it
        // with the same limits as any user YAML before the recursive flatten walks it.
        flatten(config::load_yaml_limited(old_yaml, "manifest"), "", a);
        flatten(config::load_yaml_limited(new_yaml, "config"), "", b);
    } catch (const config::ConfigError&) {
        return "";
    }
    std::vector<std::string> diffs;
    for (const auto& [k, v] : b) {
        const auto it = a.find(k);
        if (it == a.end()) diffs.push_back(k + ": new key = " + v);
        else if (it->second != v) diffs.push_back(k + ": " + it->second + " -> " + v);
    }
    for (const auto& [k, v] : a)
        if (!b.count(k)) diffs.push_back(k + ": removed (was " + v + ")");
    std::string out;
    for (std::size_t i = 0; i < diffs.size() && i < 3; ++i) out += (i ? ", " : "") + diffs[i];
    if (diffs.size() > 3) out += ", and " + std::to_string(diffs.size() - 3) + " more";
    return out;
}

std::string short_hash(const std::string& h) { return h.size() > 12 ? h.substr(0, 12) : (h.empty() ? "none" : h); }

}  // namespace

std::string Manifest::text() const {
    std::string t;
    for (const auto& [k, v] : fields) t += k + ": " + v + "\n";
    return t;
}

std::string Manifest::field(const std::string& key) const {
    for (const auto& [k, v] : fields)
        if (k == key) return v;
    return "";
}

Manifest make_manifest(const SweepSpec& spec, const std::string& dataset_digest) {
    Manifest m;
    m.config_yaml = without_comments(config::to_yaml(config::load_config(spec.base, spec.set)));
    auto add = [&](const std::string& k, const std::string& v) { m.fields.emplace_back(k, v); };
    add("manifest_format", kFormat);
    add("sweep", absolute_path(spec.file, "."));
    add("sotsim_version", SOTSIM_VERSION);
    add("base", spec.base);
    add("base_config_sha256", report::sha256_hex(m.config_yaml));
    for (const auto& s : spec.set) add("set", s);
    add("model", spec.workload.model);
    add("model_sha256", report::sha256_file(spec.workload.model));
    add("dataset", spec.workload.dataset);
    add("dataset_sha256", dataset_digest);
    add("labels", spec.workload.labels);
    add("split", spec.workload.split);
    add("samples", std::to_string(spec.workload.samples));
    add("ideal", spec.ideal ? "true" : "false");
    return m;
}

bool has_manifest(const std::string& dir) { return path_exists(dir + "/sweep.manifest"); }

Manifest read_manifest(const std::string& dir) {
    Manifest m;
    std::stringstream ss(read_text(dir + "/sweep.manifest"));
    for (std::string line; std::getline(ss, line);) {
        const auto colon = line.find(": ");
        if (colon == std::string::npos) continue;
        m.fields.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
    m.config_yaml = read_text(dir + "/sweep.config.yaml");
    return m;
}

void write_manifest(const std::string& dir, const Manifest& m) {
    // The config first: a reader that sees the new manifest also sees its config.
    write_file_atomic(dir + "/sweep.config.yaml", m.config_yaml);
    write_file_atomic(dir + "/sweep.manifest", m.text());
}

std::string describe_changes(const Manifest& stored, const Manifest& current) {
    if (stored.field("manifest_format") != kFormat)
        return "it was started by an older sotsim whose manifest does not record the resolved config, "
               "model and dataset hashes";
    std::vector<std::string> changes;
    auto differs = [&](const std::string& k) { return stored.field(k) != current.field(k); };
    if (differs("base")) changes.push_back("the base config is another file (" + stored.field("base") + " -> " + current.field("base") + ")");
    if (differs("base_config_sha256")) {
        std::string what = "the resolved base config (includes expanded, set applied) changed";
        const std::string d = config_diff(stored.config_yaml, current.config_yaml);
        changes.push_back(what + (d.empty() ? "" : " (" + d + ")"));
    }
    std::string set_old, set_new;
    for (const auto& [k, v] : stored.fields) if (k == "set") set_old += (set_old.empty() ? "" : ", ") + v;
    for (const auto& [k, v] : current.fields) if (k == "set") set_new += (set_new.empty() ? "" : ", ") + v;
    if (set_old != set_new) changes.push_back("set changed ({" + set_old + "} -> {" + set_new + "})");
    if (differs("model")) changes.push_back("the model is another file (" + stored.field("model") + " -> " + current.field("model") + ")");
    else if (differs("model_sha256"))
        changes.push_back("the model file " + current.field("model") + " changed (sha256 " + short_hash(stored.field("model_sha256")) +
                          " -> " + short_hash(current.field("model_sha256")) + ")");
    if (differs("dataset")) changes.push_back("the dataset changed (" + stored.field("dataset") + " -> " + current.field("dataset") + ")");
    else if (differs("dataset_sha256") && !current.field("dataset_sha256").empty())
        changes.push_back("the dataset's samples changed (sha256 " + short_hash(stored.field("dataset_sha256")) + " -> " +
                          short_hash(current.field("dataset_sha256")) + ")");
    for (const char* k : {"labels", "split", "samples", "ideal"})
        if (differs(k)) changes.push_back(std::string(k) + " changed (" + stored.field(k) + " -> " + current.field(k) + ")");
    if (differs("sotsim_version"))
        changes.push_back("sotsim version changed (" + stored.field("sotsim_version") + " -> " + current.field("sotsim_version") + ")");
    std::string out;
    for (std::size_t i = 0; i < changes.size(); ++i) out += (i ? "; " : "") + changes[i];
    return out;
}

}  // namespace sotsim::sweep
