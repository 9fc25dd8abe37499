// The run report: derived figures, report.json, layers.csv and the stdout summary.
//
// Input: the collection walked at the end of the run (collect(), ScTreeWalk.h) and the
// host's RunInfo. All energies come from EnergyModel, all areas from AreaModel, both built
// from cfg.tech. Figures that are undefined for a run (no samples, zero time) are NaN and
// appear as null in JSON and "n/a" in the summary. Field meanings: docs/outputs.md.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/config/Config.h"
#include "platform/report/Collect.h"
#include "platform/report/EnergyModel.h"
#include "platform/report/Json.h"
#include "platform/report/RunInfo.h"

namespace sotsim::report {

struct LayerFigures {
    int index = 0;
    std::string name, kind;
    double latency_s = 0.0;        // simulated time the layer was active over the run
    double sample_latency_s = 0.0; // mean time one sample spends in the layer (start to end)
    double stage_time_s = 0.0;     // pipelined: mean interval between samples leaving the layer
    EnergyBreakdown energy;        // dynamic energy of the actions tagged with the layer
    double mvms = 0.0;             // over the run
    int rewrites = 0;
    double macs = 0.0;             // over the run (macs_per_sample x samples)
    double macs_per_sample = 0.0;
    int blocks = 0, weight_bits = 1, input_bits = 1;
    std::string weight_precision, input_precision;  // "model: ..." or "inserted: ..."
    // The resource the layer occupied longest (component name; a tile's own resource is its
    // digital unit), its busy time and that time over the layer's stage window: the span
    // when samples stream (pipelined), the time the layer was active when it runs layer by
    // layer (min of the two). Empty / NaN when no resource reported time for the layer.
    std::string busiest_resource;
    double busiest_busy_s = 0.0;
    double busiest_busy_fraction = std::numeric_limits<double>::quiet_NaN();
};

struct ComponentFigures {
    std::string name, kind;
    EnergyBreakdown energy;        // inference phase, leakage included
    double leakage_W = 0.0;
    double area_m2 = 0.0;
};

struct MacroPeakFigures {
    double ops_1b_per_mvm = 0.0;   // 2 x rows x cols x weight_bits x input_bits per vector
    double energy_per_mvm_J = 0.0; // per vector, leakage of the macro during it included
    double latency_per_mvm_s = 0.0;
    double area_m2 = 0.0;
    double tops_per_w_1b = 0.0;
    double tops_per_mm2_1b = 0.0;
};

struct ReportFigures {
    int macros = 0;
    double latency_s = 0.0;
    double throughput_inf_per_s = 0.0;
    EnergyBreakdown energy;            // inference phase, all samples, leakage included
    double energy_total_J = 0.0;
    double energy_per_inference_J = 0.0;
    double leakage_W = 0.0;
    double programming_time_s = 0.0;
    double programming_energy_J = 0.0; // dynamic + leakage over programming_time_s
    double area_m2 = 0.0;
    double ops = 0.0;                  // 2 x MACs over the run
    double tops = 0.0, tops_per_w = 0.0, tops_per_mm2 = 0.0;
    double utilization = 0.0;          // mean macro busy fraction during inference (NaN if unknown)
    double utilization_mapped = 0.0;   // the same over macros that held a block (NaN if none)
    int mapped_macros = 0;             // macros the program programmed
    std::optional<MacroPeakFigures> macro_peak;
    std::vector<LayerFigures> layers;
    // Inference dynamic energy no layer caused: the host writing inputs into and reading
    // results out of the global buffer, and that traffic on the interconnect (inference
    // dynamic energy minus the sum over layers, per category; leakage is not split).
    EnergyBreakdown outside_layers;
    std::vector<ComponentFigures> components;
};

// One full MVM cost -> peak figures of one macro at full utilization, ops normalised to
// 1-bit x 1-bit. Throws std::invalid_argument on an empty geometry or a non-positive
// measured latency.
MacroPeakFigures compute_macro_peak(const EnergyModel& em, const AreaModel& am, const MacroPeakSpec& spec);

class Report {
public:
    // Computes every figure; throws (naming the action / component) if the tech table
    // lacks an entry.
    Report(const Config& cfg, const Collection& end_of_run, const RunInfo& info);

    const ReportFigures& figures() const { return fig_; }
    const Collection& inference() const { return inference_; }   // per-component inference phase

    Json json() const;                  // report.json
    std::string layers_csv() const;     // layers.csv
    std::string summary() const;        // stdout table

    // OUT/report.json and OUT/layers.csv as (path, content), for an OutputBatch that commits
    // them with the run's other outputs.
    std::vector<std::pair<std::string, std::string>> outputs(const std::string& out_dir) const;
    // Writes outputs(out_dir) as one OutputBatch (creating OUT). Throws std::runtime_error
    // naming the path on failure; no partial files or created directories are left.
    void write(const std::string& out_dir) const;

private:
    void busiest_resource(LayerFigures& l) const;
    Config cfg_;
    RunInfo info_;
    Collection inference_;
    ReportFigures fig_;
};

// "1.23 us", "45.6 nJ": value with an SI prefix, 3 significant digits; "n/a" if non-finite.
std::string si_format(double value, const std::string& unit);

}  // namespace sotsim::report
