// Network IR -> LayerPlans: quantization, input encoding, readout folding and the digital
// ops around every MVM. No placement yet.
#pragma once

#include <string>
#include <vector>

#include "models/config/Config.h"
#include "workloads/compiler/InputDomain.h"
#include "workloads/compiler/LayerPlan.h"
#include "workloads/import/Network.h"

namespace sotsim::workloads {

// What the compiler may know beyond the graph.
// Layers whose input levels exceed a pulse-width DAC: DAC-wide slices (shift-added), 1-bit
// planes (bit-serial), or the shorter estimated array time per vector (--wide-inputs).
enum class WideInputs { Auto, Slice, BitSerial };

struct AnalysisOptions {
    InputDomain input;                   // from the data or --input-range (Unknown: neither)
    const Batch* calibration = nullptr;  // samples for ranges of activations the model leaves float
    bool strict = false;                 // every approximation (inserted quantization) is an error
    WideInputs wide_inputs = WideInputs::Auto;
};

// Throws WorkloadError naming the node for graphs the chip cannot run (non-linear graphs,
// unbounded MVM inputs, unsupported broadcasts, approximations under `strict`).
std::vector<LayerPlan> analyse_layers(const Network& net, const Config& cfg, const AnalysisOptions& opt,
                                      std::vector<std::string>& notes);

int bits_for_levels(int levels);

}  // namespace sotsim::workloads
