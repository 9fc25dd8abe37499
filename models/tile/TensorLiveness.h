// Which of a tile's tensors may share memory. In a layer-by-layer program the tile runs its
// stream once per batch, and most tensors live for one layer only: at batch 256 VGG-8's tile
// tensors hold ~150 MB, of which no more than ~50 MB are live at any instruction. Tensors
// whose live ranges (first to last instruction that touches them) do not overlap are given
// one memory slot; the kernel then faults in and clears a third of the pages per batch size.
// The simulated hardware is unchanged: every tensor keeps its own modelled size, address
// space and timing (by tensor id), only the host memory holding the values is shared.
#pragma once

#include <cstddef>
#include <vector>

#include "models/tile/Program.h"

namespace sotsim {

struct SharedMemoryPlan {
    std::vector<int> slot;                // per tensor id: its memory slot, -1 for memory of its own
    std::vector<std::size_t> slot_floats; // per slot: the largest of its tensors (floats)
};

// The slots of tile `tile`'s Local and PE tensors at `batch` samples per tensor row group.
// Shared are only tensors its run stream touches and its setup stream does not, that are
// not gathered (`gathered`: Im2col destinations read through views, with no memory) and not
// port streams; none of a streamed program (its steps re-enter the stream and messages
// arrive between instructions). A touch is the instruction's src, src2 or dst, and for an
// instruction reading a gathered tensor, the source of every Im2col into it (the view reads
// it). A live range that meets a round group covers the whole group (odd executions run the
// rounds in reverse). Slots go to tensors in order of their first instruction, each into a
// free slot (the smallest that holds it, else the largest, grown) or a new one.
SharedMemoryPlan plan_shared_memory(const Program& p, int tile, int batch, const std::vector<char>& gathered);

}  // namespace sotsim
