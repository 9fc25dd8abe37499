// Sweep file parsing and validation: YAML node -> checked SweepSpec. Every problem becomes a
// config::ConfigError pointing at the offending node, and nothing runs until the whole file,
// the base config and every parameter value have been checked.
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "platform/config/ConfigLoader.h"
#include "platform/config/Units.h"
#include "platform/config/YamlLimits.h"
#include "models/common/UserFile.h"
#include "platform/sweep/Sweep.h"
#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {
namespace {

using config::ConfigError;

class Parser {
public:
    Parser(std::string file, std::uint64_t max_points)
        : file_(std::move(file)), dir_(parent_dir(file_)), max_points_(max_points) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        const YAML::Mark m = at.Mark();
        if (m.is_null()) throw ConfigError(file_, 0, 0, message);
        throw ConfigError(file_, m.line + 1, m.column + 1, message);
    }

    SweepSpec parse(const YAML::Node& root) {
        if (!root.IsMap()) fail(root, "a sweep file must be a mapping with base, workload, parameters, metrics");
        static const std::vector<std::string> kTop = {"base", "workload", "ideal", "mode",
                                                      "parameters", "seeds", "metrics", "set", "slurm"};
        check_keys(root, kTop, "sweep key");

        SweepSpec spec;
        spec.file = file_;
        spec.max_points = max_points_;
        spec.base = existing_file(required(root, "base", "the base chip config path"), "base config");
        // A broken base config reports its own FILE:LINE:COL; after this, any load error
        // comes from an override and is reported at that override.
        (void)config::load_config(spec.base);
        parse_workload(required(root, "workload", "the workload"), spec.workload);
        if (root["ideal"]) spec.ideal = as_bool(root["ideal"], "ideal");
        if (root["mode"]) {
            const std::string mode = scalar(root["mode"], "mode");
            if (mode == "grid") spec.mode = SweepMode::Grid;
            else if (mode == "zip") spec.mode = SweepMode::Zip;
            else fail(root["mode"], "mode must be 'grid' or 'zip', not '" + mode + "'");
        }
        if (root["seeds"]) {
            const long seeds = as_int(root["seeds"], "seeds");
            if (seeds < 1 || seeds > 1000000) fail(root["seeds"], "seeds must be >= 1, got " + std::to_string(seeds));
            spec.seeds = static_cast<int>(seeds);
        }
        if (root["set"]) parse_set(root["set"], spec);
        parse_metrics(required(root, "metrics", "the metrics to collect"), spec.metrics);
        // The base config with the fixed overrides must load: it gives the base seed and
        // catches a broken base before any point runs.
        const Config base = config::load_config(spec.base, spec.set);
        spec.base_seed = base.sim.seed;
        // Counted from the list lengths before any value is checked (each check loads the
        // base config), so an oversized grid is refused at once.
        check_point_count(root, spec);
        if (root["parameters"]) parse_parameters(root["parameters"], spec);
        check_zip(root, spec);
        if (root["slurm"]) parse_slurm(root["slurm"], spec.slurm);
        warn_fixed_converter_energy(spec, base);
        return spec;
    }

private:
    std::string file_, dir_;
    std::uint64_t max_points_;
    std::vector<std::pair<std::string, YAML::Node>> set_nodes_;

    YAML::Node required(const YAML::Node& map, const std::string& key, const std::string& what) const {
        const YAML::Node n = map[key];
        if (!n) fail(map, "missing '" + key + "' (" + what + ")");
        return n;
    }

    // Rejects unknown and duplicate keys of a mapping, with a did-you-mean suggestion.
    void check_keys(const YAML::Node& map, const std::vector<std::string>& known, const std::string& what) const {
        std::set<std::string> seen;
        for (const auto& kv : map) {
            if (!kv.first.IsScalar()) fail(kv.first, what + " must be a plain name");
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) fail(kv.first, "duplicate " + what + " '" + key + "'");
            bool ok = false;
            for (const auto& k : known) ok = ok || k == key;
            if (ok) continue;
            std::string msg = "unknown " + what + " '" + key + "'";
            const std::string hint = closest(key, known);
            if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
            fail(kv.first, msg);
        }
    }

    static std::string node_kind(const YAML::Node& n) {
        if (n.IsMap()) return "mapping";
        if (n.IsSequence()) return "list";
        if (n.IsNull()) return "null";
        return "scalar";
    }

    std::string scalar(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar()) fail(n, what + " must be a single value, not a " + node_kind(n));
        return n.Scalar();
    }

    bool as_bool(const YAML::Node& n, const std::string& what) const {
        const std::string s = scalar(n, what);
        if (s == "true" || s == "True" || s == "yes") return true;
        if (s == "false" || s == "False" || s == "no") return false;
        fail(n, what + " must be true or false, not '" + s + "'");
    }

    long as_int(const YAML::Node& n, const std::string& what) const {
        const std::string s = scalar(n, what);
        errno = 0;
        char* end = nullptr;
        const long v = std::strtol(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE) fail(n, what + " must be an integer, not '" + s + "'");
        return v;
    }

    // Resolves a path relative to the sweep file's directory; the file must exist.
    std::string existing_file(const YAML::Node& n, const std::string& what) const {
        const std::string raw = scalar(n, what);
        if (raw.empty()) fail(n, what + " path is empty");
        const std::string path = absolute_path(raw, dir_);
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) fail(n, what + " '" + raw + "' not found (looked at " + path + ")");
        if (!S_ISREG(st.st_mode)) fail(n, what + " '" + raw + "' is not a regular file");
        return path;
    }

    void parse_workload(const YAML::Node& w, SweepWorkload& out) const {
        if (!w.IsMap()) fail(w, "workload must be a mapping {model, dataset, split, samples}");
        check_keys(w, {"model", "dataset", "labels", "split", "samples"}, "workload key");
        out.model = existing_file(required(w, "model", "the ONNX model"), "model");
        const YAML::Node ds = required(w, "dataset", "mnist, fashion-mnist or a .npy file");
        const std::string dataset = scalar(ds, "dataset");
        if (dataset == "mnist" || dataset == "fashion-mnist") out.dataset = dataset;
        else if (ends_with(dataset, ".npy")) out.dataset = existing_file(ds, "dataset");
        else fail(ds, "dataset must be 'mnist', 'fashion-mnist' or a .npy file, not '" + dataset + "'");
        if (w["labels"]) out.labels = existing_file(w["labels"], "labels");
        if (w["split"]) {
            out.split = scalar(w["split"], "split");
            if (out.split != "test" && out.split != "train" && out.split != "all")
                fail(w["split"], "split must be test, train or all, not '" + out.split + "'");
        }
        const YAML::Node s = required(w, "samples", "how many inputs to run");
        out.samples = as_int(s, "samples");
        if (out.samples <= 0) fail(s, "samples must be > 0, got " + std::to_string(out.samples));
    }

    void check_config_key(const YAML::Node& key_node, const std::string& tied) const {
        SweepParameter p;
        p.key = tied;
        for (const std::string& key : p.keys()) check_one_key(key_node, key);
    }
    void check_one_key(const YAML::Node& key_node, const std::string& key) const {
        if (config::is_known_key(key)) return;
        std::string msg = "unknown config key '" + key + "'";
        const std::string hint = config::suggest_key(key);
        if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
        fail(key_node, msg);
    }

    void parse_set(const YAML::Node& set, SweepSpec& spec) {
        if (!set.IsMap()) fail(set, "set must be a mapping of config key -> value");
        std::set<std::string> seen;
        for (const auto& kv : set) {
            const std::string key = scalar(kv.first, "set key");
            if (!seen.insert(key).second) fail(kv.first, "duplicate set key '" + key + "'");
            check_config_key(kv.first, key);
            const std::string value = scalar(kv.second, "set." + key);
            // Check each override alone so an error points at its own line.
            try {
                (void)config::load_config(spec.base, {key + "=" + value});
            } catch (const ConfigError& e) {
                fail(kv.second, "set " + key + " = " + value + ": " + e.message());
            }
            spec.set.push_back(key + "=" + value);
            set_nodes_.emplace_back(key, kv.first);
        }
    }

    void parse_metrics(const YAML::Node& m, std::vector<std::string>& out) const {
        if (!m.IsSequence()) fail(m, "metrics must be a list of report.json paths, e.g. [accuracy.hardware]");
        if (m.size() == 0) fail(m, "metrics list is empty");
        std::set<std::string> seen;
        for (const auto& item : m) {
            const std::string path = scalar(item, "metric");
            if (!valid_dotted_path(path))
                fail(item, "metric '" + path + "' must be a dotted path of names, e.g. energy_J.total");
            if (!seen.insert(path).second) fail(item, "duplicate metric '" + path + "'");
            out.push_back(path);
        }
    }

    void parse_parameters(const YAML::Node& params, SweepSpec& spec) const {
        if (!params.IsMap()) fail(params, "parameters must be a mapping of config key -> list of values");
        std::set<std::string> seen;
        for (const auto& kv : params) {
            SweepParameter p;
            p.key = scalar(kv.first, "parameter key");
            p.line = kv.first.Mark().line + 1;
            p.col = kv.first.Mark().column + 1;
            if (!seen.insert(p.key).second) fail(kv.first, "duplicate parameter '" + p.key + "'");
            check_config_key(kv.first, p.key);
            for (const auto& s : set_nodes_)
                if (s.first == p.key) fail(kv.first, "'" + p.key + "' is both swept and fixed in set");
            const YAML::Node list = kv.second;
            if (!list.IsSequence()) fail(list, "parameter '" + p.key + "' needs a list of values, e.g. [1, 2]");
            if (list.size() == 0) fail(list, "parameter '" + p.key + "' has an empty value list");
            std::set<std::string> values_seen;
            for (const auto& v : list) {
                ParamValue pv;
                pv.text = scalar(v, "value of '" + p.key + "'");
                pv.line = v.Mark().line + 1;
                pv.col = v.Mark().column + 1;
                if (!values_seen.insert(pv.text).second && spec.mode == SweepMode::Grid)
                    fail(v, "duplicate value '" + pv.text + "' of '" + p.key + "'");
                check_value(spec, p.key, v, pv.text);
                pv.csv = csv_number(pv.text);
                p.values.push_back(std::move(pv));
            }
            spec.parameters.push_back(std::move(p));
        }
    }

    // Loads the base config with this one value so a wrong unit, range or type is reported
    // at the value, not as a failed point after the sweep started.
    void check_value(const SweepSpec& spec, const std::string& key, const YAML::Node& at,
                     const std::string& value) const {
        std::vector<std::string> overrides = spec.set;
        SweepParameter p;
        p.key = key;
        for (const std::string& k : p.keys()) overrides.push_back(k + "=" + value);
        try {
            (void)config::load_config(spec.base, overrides);
        } catch (const ConfigError& e) {
            fail(at, key + " = " + value + ": " + e.message());
        }
    }

    // Options of the Slurm backend. Formats are checked here, so a typo fails before
    // anything is submitted rather than as an sbatch error.
    void parse_slurm(const YAML::Node& n, SlurmSettings& out) const {
        if (!n.IsMap()) fail(n, "slurm must be a mapping {partition, time, cpus_per_task, mem, throttle, chunk, sbatch_args}");
        check_keys(n, {"partition", "time", "cpus_per_task", "mem", "throttle", "chunk", "sbatch_args"}, "slurm key");
        std::string problem;
        if (n["partition"]) {
            out.partition = scalar(n["partition"], "slurm.partition");
            if (!(problem = check_slurm_partition(out.partition)).empty()) fail(n["partition"], problem);
        }
        if (n["time"]) {
            out.time = scalar(n["time"], "slurm.time");
            if (!(problem = check_slurm_time(out.time)).empty()) fail(n["time"], problem);
        }
        if (n["mem"]) {
            out.mem = scalar(n["mem"], "slurm.mem");
            if (!(problem = check_slurm_mem(out.mem)).empty()) fail(n["mem"], problem);
        }
        auto positive = [&](const char* key, int& v) {
            if (!n[key]) return;
            const long x = as_int(n[key], std::string("slurm.") + key);
            if (x < 1 || x > 1000000) fail(n[key], std::string("slurm.") + key + " must be >= 1, got " + std::to_string(x));
            v = static_cast<int>(x);
        };
        positive("cpus_per_task", out.cpus_per_task);
        positive("throttle", out.throttle);
        positive("chunk", out.chunk);
        if (n["sbatch_args"]) {
            const YAML::Node a = n["sbatch_args"];
            if (!a.IsSequence()) fail(a, "slurm.sbatch_args must be a list, e.g. [--account=myproj, --qos=short]");
            for (const auto& item : a) {
                const std::string arg = scalar(item, "sbatch argument");
                if (!(problem = check_sbatch_arg(arg)).empty()) fail(item, problem);
                out.sbatch_args.push_back(arg);
            }
        }
    }

    // A tech-table converter energy is one value at one resolution: a sweep over the bits
    // keeps it fixed unless the matching figure of merit scales it (energy model). Warn once
    // per key, at the parameter, without failing: the accuracy of such points is still right.
    void warn_fixed_converter_energy(const SweepSpec& spec, const Config& base) const {
        auto swept = [&](const std::string& key) -> const SweepParameter* {
            for (const auto& p : spec.parameters)
                for (const auto& k : p.keys())
                    if (k == key) return &p;
            return nullptr;
        };
        struct Pair { const char* bits; const char* fom; const char* entry; bool fixed; };
        const Pair pairs[] = {
            {"periphery.adc.bits", "periphery.adc.fom", "tech.energy.adc_conversion", !(base.periphery.adc.fom > 0.0)},
            {"periphery.input.bits", "periphery.input.dac_fom", "tech.energy.dac_conversion",
             !(base.periphery.input.dac_fom > 0.0)}};
        for (const Pair& q : pairs) {
            const SweepParameter* p = swept(q.bits);
            if (!p || !q.fixed || swept(q.fom)) continue;
            std::cerr << file_ << ":" << p->line << ":" << p->col << ": warning: " << q.bits
                      << " changes while the energy per conversion is the fixed table value " << q.entry
                      << "; set " << q.fom << " so that it scales with 2^bits\n";
        }
    }

    // Grid: product of the list lengths; zip: the first list's length; times the seeds.
    // Saturating, so 100 parameters of 100 values report "more than 2^64" instead of wrapping.
    void check_point_count(const YAML::Node& root, const SweepSpec& spec) const {
        const YAML::Node params = root["parameters"];
        std::uint64_t points = 1;
        bool saturated = false;
        std::string factors;
        auto times = [&](std::uint64_t n) {
            if (n != 0 && points > UINT64_MAX / n) saturated = true;
            else points *= n;
        };
        if (params && params.IsMap()) {
            for (const auto& kv : params) {
                if (!kv.second.IsSequence()) return;  // reported by parse_parameters
                const std::uint64_t n = kv.second.size();
                factors += (factors.empty() ? "" : " x ") + std::to_string(n);
                if (spec.mode == SweepMode::Zip) {
                    points = n;
                    factors = std::to_string(n) + " (zip)";
                    break;
                }
                times(n);
            }
        }
        times(static_cast<std::uint64_t>(spec.seeds));
        if (!saturated && points <= max_points_) return;
        const std::string count = saturated ? "more than 2^64" : std::to_string(points);
        fail(params ? params : root, "the sweep expands to " + count + " points (" +
                                         (factors.empty() ? std::string("1") : factors) + " values x " +
                                         std::to_string(spec.seeds) + " seeds), more than the limit of " +
                                         std::to_string(max_points_) + " (sotsim sweep --max-points N raises it)");
    }

    void check_zip(const YAML::Node& root, const SweepSpec& spec) const {
        if (spec.mode != SweepMode::Zip || spec.parameters.empty()) return;
        const SweepParameter& first = spec.parameters.front();
        for (const auto& p : spec.parameters) {
            if (p.values.size() == first.values.size()) continue;
            throw ConfigError(file_, p.line, p.col,
                              "zip mode needs equal-length value lists: '" + p.key + "' has " +
                                  std::to_string(p.values.size()) + " values, '" + first.key +
                                  "' has " + std::to_string(first.values.size()));
        }
        (void)root;
    }
};

}  // namespace

std::string check_slurm_time(const std::string& t) {
    // minutes | minutes:seconds | hours:minutes:seconds | days-hours[:minutes[:seconds]]
    auto digits = [](const std::string& x) { return !x.empty() && x.size() <= 6 && x.find_first_not_of("0123456789") == std::string::npos; };
    std::string rest = t;
    const auto dash = t.find('-');
    if (dash != std::string::npos) {
        if (!digits(t.substr(0, dash))) rest.clear();
        else rest = t.substr(dash + 1);
    }
    std::vector<std::string> parts;
    std::stringstream ss(rest);
    for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
    if (!rest.empty() && rest.back() == ':') parts.push_back("");
    bool ok = !rest.empty() && !parts.empty() && parts.size() <= 3;
    for (const auto& p : parts) ok = ok && digits(p);
    if (ok && t.find_first_not_of("0:-") != std::string::npos) return "";
    if (t == "UNLIMITED" || t == "INFINITE") return "";
    return "slurm time limit '" + t + "' is not in Slurm's format (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS) or is zero";
}

std::string check_slurm_mem(const std::string& m) {
    std::size_t i = 0;
    while (i < m.size() && std::isdigit(static_cast<unsigned char>(m[i]))) ++i;
    const std::string unit = m.substr(i);
    if (i > 0 && i <= 12 && (unit.empty() || unit == "K" || unit == "M" || unit == "G" || unit == "T") &&
        m.find_first_not_of('0') < i)
        return "";
    return "slurm memory '" + m + "' is not in Slurm's format (a positive integer with an optional K, M, G or T suffix, e.g. 4G)";
}

std::string check_slurm_partition(const std::string& p) {
    if (!p.empty() && p.find_first_of(" \t\n,'\"\\") == std::string::npos) return "";
    return "slurm partition '" + p + "' must be one partition name (no spaces, quotes or commas)";
}

std::string check_sbatch_arg(const std::string& a) {
    if (a.empty() || a.front() != '-')
        return "sbatch argument '" + a + "' must be an option starting with '-' (write --opt=value as one item)";
    for (const char* owned : {"--array", "-a", "--dependency", "-d", "--output", "-o", "--error", "-e", "--parsable", "--wrap"})
        if (a == owned || a.rfind(std::string(owned) + "=", 0) == 0)
            return "sbatch argument '" + a + "' is set by sotsim itself (array, dependency, output files)";
    if (a.find('\n') != std::string::npos) return "sbatch argument must be one line";
    return "";
}

std::string csv_number(const std::string& text) {
    double v = 0.0;
    if (config::parse_plain_number(text, v)) return text;
    // "2.5 MOhm", "200MHz", "15 %": number then unit expression -> SI.
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                               text[i] == '-' || text[i] == '+' || text[i] == 'e' || text[i] == 'E'))
        ++i;
    // 'e' may start a unit ("eV" is not one we support, so only back off over a trailing 'e').
    while (i > 0 && (text[i - 1] == 'e' || text[i - 1] == 'E')) --i;
    if (i == 0 || !config::parse_plain_number(text.substr(0, i), v)) return text;
    std::string unit = text.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
    try {
        // Through the loader's own conversion, so the CSV shows exactly the SI value the
        // point runs with ("90 ns" -> 9e-08, not 9.000000000000001e-08).
        const config::Unit u = config::parse_unit(unit);
        return format_number(config::parse_quantity_si(text, config::dimension_name(u.dim)));
    } catch (const std::exception&) {
        return text;
    }
}

SweepSpec load_sweep(const std::string& path, std::uint64_t max_points) {
    std::string text;
    try {
        text = io::read_user_file(path, 16u << 20);
    } catch (const io::UserFileError& e) {
        throw ConfigError(path, 0, 0, std::string("cannot read sweep file: ") + e.what());
    }
    const YAML::Node root = config::load_yaml_limited(text, path);
    if (!root || root.IsNull()) throw ConfigError(path, 0, 0, "sweep file is empty");
    return Parser(path, max_points).parse(root);
}

}  // namespace sotsim::sweep
