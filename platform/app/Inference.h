// One inference run as the `sotsim` executable sees it: the compiled network and the
// dataset (workloads/) meet the simulated chip and its host driver (platform/host) here,
// the one place that joins the two layers. Adds the accuracy bookkeeping (hardware, float
// reference, quantized reference) and the per-layer description the report needs.
#pragma once

#include <string>
#include <vector>

#include "models/config/Config.h"
#include "platform/host/HostDriver.h"
#include "platform/report/RunInfo.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/data/Dataset.h"

namespace sotsim::app {

using RunOptions = host::HostOptions;

struct RunOutcome {
    // The trace is written by the caller after the report (so a failed run leaves no file).
    std::shared_ptr<report::VcdWriter> trace;      // null without RunOptions::vcd_path
    std::uint64_t trace_end_ps = 0;
    report::TraceView trace_view;                  // layers -> tiles/macros, for trace.gtkw
    std::vector<int> predictions;                  // hardware, one per sample
    std::vector<int> float_predictions;            // float reference of the imported model
    std::vector<int> quantized_predictions;        // software model of what the hardware runs
    std::vector<int> labels;
    report::RunInfo info;                          // everything the report needs
    report::Collection end_of_run;                 // the module tree walked at the end
};

// Runs `ds` through the compiled model on a chip built from `cfg`. Fills accuracy
// (hardware, float reference of `net`, and of the quantized network the hardware runs).
RunOutcome run_on_chip(const Config& cfg, const workloads::Network& net, const workloads::CompiledModel& cm,
                       const workloads::Dataset& ds, const RunOptions& opt);

}  // namespace sotsim::app
