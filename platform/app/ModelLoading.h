// Shared by `run` and `compile`: the workload options and the load-config / import /
// compile / dataset sequence, with --ideal applied once.
#pragma once

#include <string>

#include "platform/app/Command.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/data/Dataset.h"
#include "workloads/import/Network.h"

namespace sotsim::app {

struct WorkloadOptions {
    std::string model, dataset, labels, split = "test";
    std::string samples;  // empty: the whole split; else a positive count
    bool ideal = false;
    std::string input_range;        // LO:HI, the network input domain when the data does not say
    int calibration_samples = 256;  // samples that calibrate activations the model leaves float
    bool strict = false;            // refuse every approximation of the model
    std::string wide_inputs = "auto";  // auto | slice | bit_serial (inputs wider than a PWM DAC)
};

po::options_description workload_options(WorkloadOptions& w, bool with_dataset = true);

struct Loaded {
    std::string config_path;  // -c and -w as resolved (shipped presets and models may be
    std::string model_path;   // named without their path: platform/app/Resources.h)
    Config cfg;
    workloads::Network net;
    workloads::CompiledModel compiled;
    workloads::Dataset data;
};

// The dataset is loaded when `need_dataset` or when one is named; the input domain then
// comes from it (unless --input-range), and every sample is checked against the domain the
// model was compiled for.
Loaded load_all(const CommonOptions& o, const WorkloadOptions& w, bool need_dataset);

}  // namespace sotsim::app
