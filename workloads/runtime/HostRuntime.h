// The host side of a run: a SystemC initiator that drives the accelerator's `host` socket
// like a driver on a CPU would (program the weights, stream input batches, start, wait
// for done, read results), plus the accuracy bookkeeping around it.
//
// One call elaborates one chip, so it runs once per process (SystemC elaborates once).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/config/Config.h"
#include "platform/report/RunInfo.h"
#include "platform/report/VcdWriter.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/data/Dataset.h"

namespace sotsim::runtime {

struct RunOptions {
    std::string vcd_path;                          // empty: no trace
    int max_batch = 0;                             // 0: sim.batch, capped by the memory budget
    double memory_budget_bytes = 1.5e9;            // host memory for simulated tensors
    std::function<void(int done, int total)> progress;  // called after every batch
};

struct RunOutcome {
    // The trace is written by the caller after the report (so a failed run leaves no file).
    std::shared_ptr<report::VcdWriter> trace;      // null without RunOptions::vcd_path
    std::uint64_t trace_end_ps = 0;
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

// Samples per run: sim.batch, at most the samples, and small enough that all simulated
// tensors of a batch fit `memory_budget_bytes` of host memory.
int choose_batch(const Config& cfg, const Program& p, int samples, const RunOptions& opt);

// The macro-peak probe: one macro at full utilization with random data (report.macro_peak).
report::MacroPeakSpec macro_peak_spec(const Config& cfg, const std::map<std::string, double>& macro_area_items);

}  // namespace sotsim::runtime
