// What a VCD trace is about, for a reader: the layers of the network with the tiles and
// macros each one uses (from the program placement), written as a GTKWave save file
// (`trace.gtkw`, the view GTKWave opens) and a translate filter file that shows layer
// names instead of layer ids. write_trace() writes the VCD and both files in one step.
//
// The save file shows, top to bottom: chip power (total, analog), then one group per
// layer (its tiles' signals, e.g. `layer`, then every signal of every macro the layer
// uses, then the tiles' power), then the shared components (interconnect, global buffer)
// and their power. Signals are picked by scope, so signals added to a tile or macro
// later appear without changing this file; only signals the VCD contains are listed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "platform/report/VcdWriter.h"

namespace sotsim::report {

struct TraceView {
    struct Layer {
        int index = -1;
        std::string name;
        std::vector<int> tiles;                 // power groups (tile indices) running the layer
        std::vector<std::string> tile_scopes;   // "chip.tile0", same order as tiles
        std::vector<std::string> macro_scopes;  // "chip.tile0.macro3", placement order
    };
    std::vector<Layer> layers;                  // execution order
    std::vector<std::string> shared_scopes;     // "chip.noc", "chip.gbuf", ...
    std::vector<std::string> header;            // "[*]" comment lines (version, seed, config, model)
};

// Translate filter: one "<decimal id> <name>" line per layer.
std::string layer_translate_text(const TraceView& view);

// GTKWave save file for `vcd` (as it will be written). `vcd_name` and `translate_name` are
// written as given (relative names resolve against the save file's directory when GTKWave
// is started there, see docs/outputs.md); `end_ps` sets the initial zoom to the whole run.
std::string gtkw_text(const VcdWriter& vcd, const TraceView& view, const std::string& vcd_name,
                      const std::string& translate_name, std::uint64_t end_ps);

// `vcd_path`, `<stem>.gtkw` and `<stem>.layers.txt` beside it, as (path, content) for an
// OutputBatch (the save file is the second entry).
std::vector<std::pair<std::string, std::string>> trace_outputs(const VcdWriter& vcd, const TraceView& view,
                                                               const std::string& vcd_path, std::uint64_t end_ps);

// Writes trace_outputs() as one OutputBatch (creating the directory). Returns the save
// file path.
std::string write_trace(const VcdWriter& vcd, const TraceView& view, const std::string& vcd_path,
                        std::uint64_t end_ps);

}  // namespace sotsim::report
