// Per-point outcomes and the results.csv they make.
#pragma once

#include <string>
#include <vector>

#include "platform/sweep/Sweep.h"

namespace sotsim::sweep {

// Stale: a report.json exists but was not computed with this point's inputs (its resolved
// config or model hash differ): never a result; --resume runs the point again.
enum class PointStatus { NotRun, Ok, Failed, Stale };

struct PointResult {
    PointStatus status = PointStatus::NotRun;
    std::vector<std::string> metrics;   // one cell per SweepSpec::metrics ("" when missing)
    std::vector<std::string> units;     // per metric: the report's unit of it ("" if none)
    std::string error;                  // failure message, or notes about missing metrics
};

// What a point's report.json must show to count as this point's result.
struct PointExpectation {
    std::string config_yaml;    // point_config_yaml(spec, point)
    std::string model_sha256;   // of the workload's model file
};

// Reads `metrics` (dotted paths) from a report.json. A metric whose value is an object with
// a "value" member uses that member (quantities are written as {value, unit}). A missing or
// non-scalar metric gives an empty cell and a note in `error`; the status stays Ok. With
// `expect`, a report whose embedded resolved config or model hash differ is Stale, with the
// first differing config key in `error`.
PointResult read_report(const std::string& report_json, const std::vector<std::string>& metrics,
                        const PointExpectation* expect = nullptr);

// results.csv: one column per parameter (its key path), seed, one per metric, status, error;
// one row per point that ran (ok, failed or stale), in point order. Written atomically.
// A column with a unit is headed "key [unit]" (parameters: the config schema's unit;
// metrics: report.json's own), in SI without prefix, like the values.
void write_results_csv(const std::string& path, const SweepSpec& spec,
                       const std::vector<SweepPoint>& points, const std::vector<PointResult>& results);

// Writes `content` to `path` through a temporary file and rename(2), so readers see the
// old or the new file, never a partial one. Throws SweepError.
// Header cell of a column: "device.r_p [Ohm]", "accuracy.hardware".
std::string column_header(const std::string& key, const std::string& unit);
std::string parameter_unit(const SweepParameter& p);

void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace sotsim::sweep
