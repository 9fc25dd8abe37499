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
    long long samples = -1;
    bool ideal = false;
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

Loaded load_all(const CommonOptions& o, const WorkloadOptions& w, bool need_dataset);

}  // namespace sotsim::app
