// What the host runtime knows about a run that the module tree does not: filled by
// platform/host and the application (platform/app/Inference), passed with the collected stats to the report builder.
// Times are simulated seconds.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/common/Actions.h"
#include "platform/report/Collect.h"

namespace sotsim::report {

// One network layer as compiled and run.
struct LayerInfo {
    std::string name;              // ONNX node name
    std::string kind;              // "dense", "conv", ...
    double macs_per_sample = 0.0;  // multiply-accumulates of one inference
    int blocks = 0;                // array blocks the layer's weights occupy
    int rewrites = 0;              // macro reprogrammings during inference (does not fit)
    double mvms = 0.0;             // MVM transactions executed for this layer over the run
    int weight_bits = 1;
    int input_bits = 1;
    // Where the precisions come from: "model: ..." (the model's own quantization) or
    // "inserted: ..." (the compiler approximated the model; see the compile notes).
    std::string weight_precision, input_precision;
};

// Cost of ONE full MVM on one macro: all rows active, average (random, 50 %) data, every
// logical column converted. Measured by the caller (e.g. through phys::AnalogMacro) so the
// report does not depend on physics internals.
struct MacroMvmCost {
    ActionCounter actions;        // counts and physics energies of the MVM(s)
    double latency_s = 0.0;       // time of the measured MVM(s) on the macro
    int vectors = 1;              // input vectors in the measurement (a batch)
};

// Geometry of the peak figure and the probe that measures one full MVM.
struct MacroPeakSpec {
    int rows = 0;                  // logical rows driven
    int cols_logical = 0;          // logical output columns
    int weight_bits = 1;
    int input_bits = 1;
    std::map<std::string, double> macro_area_items;   // one macro's instances (area, leakage)
    std::function<MacroMvmCost()> measure_full_mvm;
};

struct RunInfo {
    int samples = 0;                       // inferences run
    int batch = 0;                         // input vectors per MVM transaction
    std::optional<double> accuracy_hardware;        // fraction in [0,1]
    std::optional<double> accuracy_float_reference;
    std::optional<double> accuracy_quantized_reference;

    double inference_time_s = 0.0;         // simulated time of the inference phase (all samples)
    double latency_s = 0.0;                // one inference, input in to result out
    // Weight programming before inference, reported separately: its duration and the
    // collection taken right after it (collect() of the tree). The report subtracts this
    // snapshot per component to get inference-phase counts. Empty = no programming phase.
    double programming_time_s = 0.0;
    Collection after_programming;

    std::vector<LayerInfo> layers;         // in execution order; index = layer id
    double macs_per_inference = 0.0;
    int weight_bits = 1;                   // precision of the op convention (TOPS)
    int input_bits = 1;

    std::optional<MacroPeakSpec> macro_peak;

    std::string config_path;               // the -c file as resolved (a preset name -> its file)
    std::string model_path;
    std::string model_hash;                // SHA-256 of the ONNX file, 64 hex digits (report::sha256_file)
    // The data the samples came from, so a result can be traced to it.
    std::string dataset_name;              // "mnist", "fashion-mnist" or the .npy path
    std::string dataset_split;             // test | train | all
    std::vector<std::pair<std::string, std::string>> dataset_files;  // (path, SHA-256 hex)
    std::uint64_t seed = 0;
    std::string version;                   // sotsim version (SOTSIM_VERSION)
    std::string config_yaml;               // config::to_yaml(cfg): the resolved config
};

}  // namespace sotsim::report
