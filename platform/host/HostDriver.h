// The host side of a run: a SystemC initiator that drives the accelerator's `host` socket
// like a driver on a CPU would (program the weights, stream input batches, start, wait
// for done, read results). It knows the chip and a compiled Program, not the network or
// the dataset: joining those with accuracy bookkeeping is the application's job
// (platform/app/Inference), so this layer depends only on models/ and platform/.
//
// One call elaborates one chip, so it runs once per process (SystemC elaborates once).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "models/config/Config.h"
#include "models/tile/Program.h"
#include "platform/report/Collect.h"
#include "platform/report/RunInfo.h"
#include "platform/report/TraceView.h"
#include "platform/report/VcdWriter.h"

namespace sotsim::host {

// One sample per row, float32 (the same layout as workloads::Batch).
using SampleMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct HostOptions {
    std::string vcd_path;                          // empty: no trace
    bool vcd_all_macros = false;                   // trace macros holding no weight block too
    int max_batch = 0;                             // 0: sim.batch, capped by the memory budget
    double memory_budget_bytes = 0;                // host memory for one batch; 0: memory_budget(cfg)
    std::function<void(int done, int total)> progress;  // called after every batch
};

struct HostOutcome {
    SampleMatrix outputs;                          // one row per sample, Program::output_width
    int batch = 1;
    int runs = 0;                                  // start/wait rounds (the first carries one sample)
    double programming_time_s = 0, inference_time_s = 0, latency_s = 0;
    report::Collection after_programming;          // the module tree after the setup phase
    report::Collection end_of_run;                 // the module tree walked at the end
    // The trace is written by the caller after the report (so a failed run leaves no file).
    std::shared_ptr<report::VcdWriter> trace;      // null without HostOptions::vcd_path
    std::uint64_t trace_end_ps = 0;
    report::TraceView trace_view;                  // layers -> tiles/macros, for trace.gtkw
    std::map<std::string, double> macro_area_items;  // area items of one macro (peak probe)
};

// Runs every row of `inputs` through `program` on a chip built from `cfg`.
HostOutcome run_program(const Config& cfg, const Program& program, const SampleMatrix& inputs,
                        const HostOptions& opt);

// Host memory the tensors of one batch may use: sim.memory_budget if set, else half of the
// memory the kernel reports available (MemAvailable in /proc/meminfo) at most 4 GB, else
// 1 GB when that is unknown. Why half: the rest is for the weights, transfer matrices,
// dataset and the float references, and for the other processes of a sweep.
double memory_budget(const Config& cfg);

// Bytes one sample of a batch costs on the host: every global and local tensor of the
// program (float32). Macro work buffers are bounded per macro (MramMacro::kVectorsPerRead).
double bytes_per_sample(const Config& cfg, const Program& p);

// Samples per run: sim.batch, at most the samples, and small enough that one batch fits
// the memory budget (HostOptions::memory_budget_bytes, else memory_budget(cfg)).
int choose_batch(const Config& cfg, const Program& p, int samples, const HostOptions& opt);

// The macro-peak probe: one macro at full utilization with random data (report.macro_peak).
report::MacroPeakSpec macro_peak_spec(const Config& cfg, const std::map<std::string, double>& macro_area_items);

}  // namespace sotsim::host
