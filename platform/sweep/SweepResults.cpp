#include "platform/sweep/SweepResults.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

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

PointResult read_report(const std::string& report_json, const std::vector<std::string>& metrics) {
    PointResult r;
    r.status = PointStatus::Ok;
    r.metrics.assign(metrics.size(), "");
    YAML::Node root;
    try {
        root = YAML::LoadFile(report_json);   // JSON is YAML 1.2 flow syntax
    } catch (const YAML::Exception& e) {
        r.status = PointStatus::Failed;
        r.error = report_json + ": unreadable report: " + e.msg;
        return r;
    }
    for (std::size_t m = 0; m < metrics.size(); ++m) {
        YAML::Node node = root;
        bool found = true;
        for (const auto& part : split_dots(metrics[m])) {
            if (!node.IsMap() || !node[part]) {
                found = false;
                break;
            }
            node.reset(node[part]);   // reset: operator= would overwrite the content
        }
        if (found && node.IsMap() && node["value"]) node.reset(node["value"]);
        if (!found) add_note(r.error, "metric " + metrics[m] + " not in report");
        else if (node.IsNull()) add_note(r.error, "metric " + metrics[m] + " is null in report");
        else if (!node.IsScalar()) add_note(r.error, "metric " + metrics[m] + " is not a single value");
        else r.metrics[m] = node.Scalar();
    }
    return r;
}

void write_results_csv(const std::string& path, const SweepSpec& spec,
                       const std::vector<SweepPoint>& points, const std::vector<PointResult>& results) {
    std::string csv;
    for (const auto& p : spec.parameters) csv += csv_field(p.key) + ",";
    csv += "seed,";
    for (const auto& m : spec.metrics) csv += csv_field(m) + ",";
    csv += "status,error\n";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const PointResult& r = results[i];
        if (r.status == PointStatus::NotRun) continue;
        for (const auto& v : points[i].csv_values) csv += csv_field(v) + ",";
        csv += std::to_string(points[i].seed) + ",";
        for (std::size_t m = 0; m < spec.metrics.size(); ++m)
            csv += csv_field(m < r.metrics.size() ? r.metrics[m] : std::string()) + ",";
        csv += (r.status == PointStatus::Ok ? "ok," : "failed,") + csv_field(r.error) + "\n";
    }
    write_file_atomic(path, csv);
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
