// Network IR -> LayerPlans: quantization, input encoding, readout folding and the digital
// ops around every MVM. No placement yet.
#pragma once

#include <string>
#include <vector>

#include "models/config/Config.h"
#include "workloads/compiler/LayerPlan.h"
#include "workloads/import/Network.h"

namespace sotsim::workloads {

// Throws WorkloadError naming the node for graphs the chip cannot run (non-linear graphs,
// unbounded MVM inputs, unsupported broadcasts).
std::vector<LayerPlan> analyse_layers(const Network& net, const Config& cfg,
                                      std::vector<std::string>& notes);

int bits_for_levels(int levels);

}  // namespace sotsim::workloads
