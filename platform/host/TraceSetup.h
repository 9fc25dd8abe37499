// The VCD side of a run, set up from the chip and the program placement: which macros
// each layer uses (the trace view and its GTKWave save file), which macros to leave out of
// the trace (those holding no weight block, unless every macro is asked for), and the
// static power of every power group (so an idle tile still shows its leakage).
#pragma once

#include "models/config/Config.h"
#include "models/tile/Program.h"
#include "platform/accelerator/Accelerator.h"
#include "platform/report/Collect.h"
#include "platform/report/TraceView.h"
#include "platform/report/VcdWriter.h"

namespace sotsim::host {

// Layers in order with the tiles whose stream runs them and the macros holding their
// blocks; shared scopes: the interconnect and the global buffer.
report::TraceView trace_view(Accelerator& acc, const Program& program);

// Hides every macro of `acc` that holds no block of `program`.
void hide_unmapped_macros(report::VcdWriter& vcd, Accelerator& acc, const Program& program);

// Leakage of every power group from the collected area items (the energy model's
// leakage table), added to the group's power signal for the whole trace.
void set_trace_leakage(report::VcdWriter& vcd, const Config& cfg, const report::Collection& tree);

}  // namespace sotsim::host
