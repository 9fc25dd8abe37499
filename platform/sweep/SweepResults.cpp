#include "platform/sweep/SweepResults.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "platform/config/Schema.h"
#include "platform/report/FigureUnits.h"
#include "platform/report/Json.h"
#include "platform/sweep/SweepFs.h"

#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {

namespace {
std::vector<std::string> split_dots(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    return parts;
}

void add_note(std::string& notes, const std::string& note) {
    if (!notes.empty()) notes += "; ";
    notes += note;
}
}  // namespace

namespace {
std::string scalar_text(const nlohmann::json& j) {
    return j.is_string() ? j.get<std::string>() : j.dump();
}

// First path where two JSON values differ ("" if equal). Numbers compare by value, so a
// writer's formatting ("1e-15" vs "1.0000000000000001e-15") is not a difference.
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
    if (a.is_object() && b.is_object()) {
        for (auto it = b.begin(); it != b.end(); ++it) {
            const std::string sub = path.empty() ? it.key() : path + "." + it.key();
            if (!a.contains(it.key())) return sub + " (missing in report)";
            const std::string d = first_difference(a[it.key()], it.value(), sub);
            if (!d.empty()) return d;
        }
        for (auto it = a.begin(); it != a.end(); ++it)
            if (!b.contains(it.key())) return (path.empty() ? it.key() : path + "." + it.key()) + " (not in this sweep's config)";
        return "";
    }
    if (a == b) return "";
    return path + " (report " + a.dump() + ", sweep " + b.dump() + ")";
}
}  // namespace

PointResult read_report(const std::string& report_json, const std::vector<std::string>& metrics,
                        const PointExpectation* expect) {
    PointResult r;
    r.status = PointStatus::Ok;
    r.metrics.assign(metrics.size(), "");
    r.units.assign(metrics.size(), "");
    nlohmann::json root;
    try {
        // nlohmann rather than yaml-cpp: a full report (components of every macro) parses
        // about 10x faster, which decides the collect time of a large sweep.
        root = nlohmann::json::parse(read_text(report_json));
    } catch (const nlohmann::json::exception& e) {
        r.status = PointStatus::Failed;
        r.error = report_json + ": unreadable report: " + e.what();
        return r;
    }
    if (expect) {
        std::string why;
        const auto model = root.find("model");
        const bool has_hash = model != root.end() && model->is_object() && model->contains("hash") &&
                              (*model)["hash"].is_string();
        if (!has_hash) why = "it records no model hash";
        else if ((*model)["hash"].get<std::string>() != expect->model_sha256) why = "it ran another model file (sha256 differs)";
        else if (!root.contains("config")) why = "it embeds no resolved config";
        else {
            const nlohmann::json want = nlohmann::json::parse(report::json_from_yaml(expect->config_yaml).dump(-1));
            const std::string d = first_difference(root["config"], want, "");
            if (!d.empty()) why = "its resolved config differs at " + d;
        }
        if (!why.empty()) {
            r.status = PointStatus::Stale;
            r.error = "stale result: " + why;
            r.metrics.assign(metrics.size(), "");
            return r;
        }
    }
    for (std::size_t m = 0; m < metrics.size(); ++m) {
        const nlohmann::json* node = &root;
        bool found = true;
        for (const auto& part : split_dots(metrics[m])) {
            if (!node->is_object() || !node->contains(part)) {
                found = false;
                break;
            }
            node = &(*node)[part];
        }
        r.units[m] = report::figure_unit(metrics[m]);
        if (found && node->is_object() && node->contains("value")) {
            const auto u = node->find("unit");
            if (u != node->end() && u->is_string()) r.units[m] = u->get<std::string>();
            node = &(*node)["value"];
        }
        if (!found) add_note(r.error, "metric " + metrics[m] + " not in report");
        else if (node->is_null()) add_note(r.error, "metric " + metrics[m] + " is null in report");
        else if (node->is_structured()) add_note(r.error, "metric " + metrics[m] + " is not a single value");
        else r.metrics[m] = scalar_text(*node);
    }
    return r;
}

void write_results_csv(const std::string& path, const SweepSpec& spec,
                       const std::vector<SweepPoint>& points, const std::vector<PointResult>& results) {
    std::string csv;
    for (const auto& p : spec.parameters) csv += csv_field(column_header(p.key, parameter_unit(p))) + ",";
    csv += "seed,";
    for (std::size_t m = 0; m < spec.metrics.size(); ++m) {
        // Reports of one sweep agree on units; a metric no finished point had falls back
        // to the figure table.
        std::string unit = report::figure_unit(spec.metrics[m]);
        for (const auto& r : results)
            if (r.status == PointStatus::Ok && m < r.units.size() && !r.units[m].empty()) {
                unit = r.units[m];
                break;
            }
        csv += csv_field(column_header(spec.metrics[m], unit)) + ",";
    }
    csv += "status,error\n";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const PointResult& r = results[i];
        if (r.status == PointStatus::NotRun) continue;
        for (const auto& v : points[i].csv_values) csv += csv_field(v) + ",";
        csv += std::to_string(points[i].seed) + ",";
        for (std::size_t m = 0; m < spec.metrics.size(); ++m)
            csv += csv_field(m < r.metrics.size() ? r.metrics[m] : std::string()) + ",";
        const char* status = r.status == PointStatus::Ok ? "ok," : r.status == PointStatus::Stale ? "stale," : "failed,";
        csv += status + csv_field(r.error) + "\n";
    }
    write_file_atomic(path, csv);
}

std::string column_header(const std::string& key, const std::string& unit) {
    return unit.empty() || unit == "1" ? key : key + " [" + unit + "]";
}

std::string parameter_unit(const SweepParameter& p) {
    // Tied keys share one value, so they share the first key's unit.
    const config::KeyInfo* k = config::find_key(p.keys().front());
    if (!k || (k->kind != config::KeyKind::Real && k->kind != config::KeyKind::RealList)) return "";
    return k->unit == "1" ? "" : k->unit;
}

void write_file_atomic(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw SweepError(tmp + ": cannot write: " + std::strerror(errno));
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        throw SweepError(path + ": cannot replace: " + std::strerror(err));
    }
}

}  // namespace sotsim::sweep
