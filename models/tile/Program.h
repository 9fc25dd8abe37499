// The tile instruction set and the compiled Program (plain C++, no SystemC).
//
// The compiler (workloads/compiler) emits one instruction stream per tile; the
// TileController executes it. Instructions are tensor-level: each one operates on the
// whole current batch of B samples. A tensor is a B*rows_per_sample x width matrix of
// float values (integers where the data is quantized). Functional values live in the
// tensor store of the buffer that holds them; *traffic* (bytes through buffer ports and
// the interconnect) is counted at the modelled precision `bits` of the tensor, so energy
// and time reflect 1-bit or 4-bit data even though the simulator stores floats.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/physics/AnalogMacro.h"

namespace sotsim {

// Global: global buffer. Local: the tile's SRAM buffer. Pe: the output registers of the
// tile's processing element (partial sums an Mvm reduces in the PE adder tree; reading
// or writing them costs no buffer traffic, `bits` is the reduction width). Port: data a
// Load streams from the interconnect straight into the tile's digital unit, never stored
// (the one Affine / Activation that reads it runs on the data as it arrives: e.g. the
// network input's quantizer, so the raw input never takes tile SRAM); no buffer traffic,
// no capacity.
enum class Location { Global, Local, Pe, Port };

struct TensorDecl {
    std::string name;
    Location where = Location::Local;
    int tile = -1;                 // owning tile for Local and Pe tensors
    int rows_per_sample = 1;       // e.g. output positions of a convolution (im2col rows)
    int width = 0;                 // values per row
    int bits = 32;                 // modelled precision for traffic accounting
};

// Sign: +1, 0, -1 for x > 0, x == 0, x < 0 (ONNX; models/common/SignConvention.h).  Step: x >= 0 ? 1 : 0.  Round: nearest integer, ties to even
// (std::nearbyint, as ONNX Round).  Clip: min(max(x, lo), hi).
// Quantize: nearbyint((min(max(x, lo), hi) - lo) / (hi - lo) * levels), integer levels.
// SignBinary: x >= 0 ? +1 : -1, a two-output comparator: the compiler emits it for a Sign whose
// exact pre-activation can never be 0 (so it equals Sign on the model's arithmetic), where an
// analog estimate that lands exactly on the threshold must still give a +-1 input to the
// next layer (a third level 0 has no driver state on a +-1 row).
enum class ActKind { None, Sign, Relu, Sigmoid, Tanh, Clip, Quantize, Step, Round, SignBinary };

enum class OpCode {
    Load,        // global tensor (col slice) -> local tensor, over the interconnect
    Store,       // local tensor -> global tensor (col slice), over the interconnect
    Im2col,      // local (B x C*H*W) -> local (B*P x C*kh*kw), digital unit + buffer traffic
    Program,     // write a weight block into a macro (weights streamed from program memory)
    Mvm,         // dst[:, c0:c0+cols] (+)= scale * macro(src[:, r0:r0+rows])
    Affine,      // per-column y = x * scale[c] + bias[c] (batch-norm, layer scale, bias)  // if `act` != None the activation follows in the same pass (fused)
    Activation,  // element-wise activation
    Pool,        // max / average pooling over spatial windows
    Add,         // dst = a + b (element-wise, e.g. residual)
    Copy,        // dst = src (reshape/flatten between layouts of the same data)
    Barrier,     // all tiles synchronise
    Layer,       // marks the start of a network layer (for per-layer stats and VCD)
    End,
    // dst[s*rows + p, c0 + c] += vbias[p*cols + c] for every sample s: a per-position bias.
    // The compiler uses it to undo the contribution of zero-padding rows of a convolution
    // whose +-1 inputs are driven as -1 on padded positions (a +-1 driver has no 0 level).
    PositionBias,
    // Layer pipelining (Program::streamed): Send copies a local tensor's column slice
    // [src_c0, src_c0 + cols) over the interconnect into tile `peer`'s inbox for its local
    // tensor `dst` at column c0; Receive waits for that message of the current sample
    // from tile `peer` and writes it into local `dst` at column c0. Flow control: a channel
    // (sender, receiver, dst, c0) holds chip.pipeline_depth samples; a Send waits for a free slot.
    Send,
    Receive,
    // Round k of a group of `cols` rounds of a time-multiplexed layer (c0 = k; the round's
    // `rows` instructions follow: its Programs and Mvms). A streamed tile runs the group's
    // rounds in order on even steps and in reverse order on odd steps, so the round that
    // ended a step starts the next one with its blocks still programmed (a Program of the
    // block a macro already holds is skipped). Inside a group the first Mvm into a
    // destination column slice in executed order overwrites, the later ones accumulate.
    Round
};

struct ConvGeom {
    int c = 0, h = 0, w = 0;       // input channels, height, width (per sample, CHW layout)
    int kh = 1, kw = 1;
    int stride_h = 1, stride_w = 1;
    int pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
    float pad_value = 0.0f;        // value of padded positions (0 for {0,1}/unsigned inputs)
    int out_h() const { return (h + pad_t + pad_b - kh) / stride_h + 1; }
    int out_w() const { return (w + pad_l + pad_r - kw) / stride_w + 1; }
};

struct Instr {
    OpCode op = OpCode::End;
    int src = -1, src2 = -1, dst = -1;   // tensor ids
    int macro = -1;                      // tile-local macro index (Program, Mvm)
    int block = -1;                      // Program: index into Program::blocks
    int r0 = 0, rows = 0;                // Mvm: source column slice (logical rows of the block)
    int c0 = 0, cols = 0;                // Mvm / Load / Store: destination (or source) column slice
    int src_c0 = 0;                      // Load / Store: source column offset
    float scale = 1.0f;                  // Mvm: partial-sum weight (bit slices, layer scale)
    bool accumulate = false;             // Mvm: add into dst instead of overwrite
    ActKind act = ActKind::None;
    float lo = 0.0f, hi = 0.0f;          // Clip / Quantize range; Quantize levels in `levels`
    int levels = 0;                      // Quantize: number of steps (2^bits - 1)
    std::vector<float> vscale, vbias;    // Affine parameters (per column)
    ConvGeom geom;                       // Im2col / Pool geometry
    bool pool_max = true;                // Pool: max or average
    int layer = -1;                      // Layer: network layer index
    int peer = -1;                       // Send: receiving tile; Receive: sending tile; multicast Load: group
    bool multicast = false;              // Load: one global read delivered to `levels` tiles (group `peer`);
                                         // Send: one transfer to tiles peer .. peer+levels-1, into dst+k on the k-th
};

struct WeightBlock {
    Eigen::MatrixXi w;                   // logical weights, rows x cols
    phys::BlockSpec spec;
    int layer = -1;
    int tile = -1, macro = -1;           // placement (tile-local macro index)
};

struct LayerInfo {
    std::string name;
    std::string kind;                    // "dense", "conv"
    std::int64_t macs_per_sample = 0;    // logical MACs per inference
    int weight_bits = 1, input_bits = 1;
    int blocks = 0, rewrites = 0;        // weight blocks, reprogrammings per batch
};

struct Program {
    std::vector<TensorDecl> tensors;
    std::vector<WeightBlock> blocks;
    std::vector<std::vector<Instr>> tile_code;   // one stream per tile
    std::vector<LayerInfo> layers;
    int input_tensor = -1;               // global tensor the host writes (B x input width)
    int output_tensor = -1;              // global tensor the host reads (B x classes)
    int input_width = 0, output_width = 0;
    // Blocks that stay resident are programmed once before inference (`setup_code`);
    // time-multiplexed blocks appear as Program instructions inside tile_code.
    std::vector<std::vector<Instr>> setup_code;
    // Streamed (pipelined) program: every tile runs its tile_code once per sample of the
    // run, local tensors hold one sample, Load/Store move that sample's rows of a global
    // tensor, and tiles pass activations with Send/Receive; no Barrier. Otherwise every
    // instruction processes the whole batch at once.
    bool streamed = false;
    // Streamed program: samples each tile's stream processes per pass (a STEP), by tile; empty
    // or 1 = one sample per pass. A time-multiplexed stage (a layer whose blocks do not fit
    // its tile group) passes a step of chip.step_samples samples through each round of
    // reprogrammed macros, so each rewrite serves the whole step.
    std::vector<int> tile_step_samples;
    int step_samples(std::size_t tile) const {
        return tile < tile_step_samples.size() && tile_step_samples[tile] > 1 ? tile_step_samples[tile] : 1;
    }
};

// The rounds of the round group whose first marker is code[pc] (Round, c0 == 0, `cols`
// rounds): each round's marker and the end of its instructions, [marker, end), in program
// order. Empty when the markers that follow do not form the whole group inside `code`
// (the TileController refuses such a stream when it runs it). One walk of the markers for
// the compiler's rewrite count and the tile's shared-memory plan.
inline std::vector<std::pair<std::size_t, std::size_t>> round_group(const std::vector<Instr>& code, std::size_t pc) {
    std::vector<std::pair<std::size_t, std::size_t>> rounds;
    if (pc >= code.size() || code[pc].op != OpCode::Round || code[pc].c0 != 0) return rounds;
    const int n = code[pc].cols;
    std::size_t at = pc;
    for (int k = 0; k < n; ++k) {
        const Instr& m = at < code.size() ? code[at] : code[pc];
        if (at >= code.size() || m.op != OpCode::Round || m.c0 != k || m.cols != n || m.rows < 0 ||
            static_cast<std::size_t>(m.rows) >= code.size() - at)
            return {};
        rounds.emplace_back(at, at + 1 + static_cast<std::size_t>(m.rows));
        at = rounds.back().second;
    }
    return rounds;
}

// Execution semantics of the TileController (models/tile/TileController.h), for compilers:
//  * Load/Store: `cols == 0` means the whole width of the source (Load: the global tensor,
//    Store: the local one). Row counts (B*rows_per_sample) of both tensors must agree.
//  * Multicast Load (`multicast`): the `levels` tiles of group `peer` each issue a Load of
//    the same global slice (src, src_c0, cols) into their own local tensor; the chip reads
//    the global buffer once, when the last member is ready, the interconnect carries the
//    data once to all of them (bus: one transfer; mesh: a tree of the XY routes) and each
//    member writes its local buffer. Every member of a group has the same number of
//    multicast Loads of that group, in the same order.
//  * Mvm: `rows == 0` / `cols == 0` mean the block's rows / cols; inputs beyond `rows` are
//    driven as 0. The macro must hold a block (Program instruction or setup_code earlier
//    on this tile). dst slice (+)= scale * y, where y follows AnalogMacro's value domain.
//    Consecutive Mvms on different macros overlap in time; later instructions wait only
//    for the tensors they touch. A Pe destination is reduced in the PE adder tree (one
//    pe_add_bit per bit of `bits` per element, no buffer traffic); the input slice is
//    broadcast to the PE's macros, so Mvms reading the same slice of the same data read
//    the buffer once.
//  * Program: skipped (issue cycle only, tile stat programs_skipped) when the macro still
//    holds that block of the loaded program: the controller keeps one block tag per macro.
//  * Round groups (OpCode::Round): rounds hold only Programs and Mvms; the k-th execution
//    of a group on a tile (counted from the program's load, across runs) runs its rounds
//    in order when k is even and last to first when odd. Between two rounds, the partial
//    sums written so far beyond the PE's registers (macros x array columns) are written to
//    the tile buffer and read back at their `bits` (tile stat partial_sum_spill_bytes); a
//    time-multiplexed step must fit them beside its tensors.
//  * Port tensors: written only by a Load (no buffer write) and read by exactly one Affine
//    or Activation (no buffer read), which runs on the data as it arrives.
//  * Affine: empty vscale = 1, empty vbias = 0. dst may equal src.
//  * Im2col / Pool accept a flat CHW source (rows_per_sample 1, width C*H*W) or a
//    position-major one (rows_per_sample H*W, width C, as an im2col Mvm produces);
//    Im2col columns are ordered (c, kh, kw) as ONNX weights, rows (sample, oy, ox).
//    Pool writes the same layout it reads; padding is excluded from max and average.
//  * Copy: same shape = plain copy; position-major (P, C) <-> flat (1, C*P) converts to
//    CHW order (ONNX Flatten of a conv output).
//  * Barrier: all tiles running the stream; a tile that ends leaves the barrier.
//  * Streamed program, tile with step_samples S > 1: each pass of the stream processes the
//    next S samples of the run (the last pass the rest); local tensors hold the step's
//    samples, Load/Store move their rows, and Send/Receive move one message per sample.
//  * Send is dispatched (the controller goes on; the source slice is read when the slot is
//    free); Receive blocks until its message arrived. A multicast Send reads the slice once
//    per sample when every receiver's channel has a free slot, and one interconnect transfer
//    (bus: one occupancy; mesh: the tree of the XY routes) delivers it to all receivers. Each costs buffer traffic at the
//    tensor's bits (read at the sender, write at the receiver) and bus_byte on the way.
//  * Actions: Sign/Step/Relu 1 digital_compare per element, Clip 2, Quantize 2 + 1
//    digital_mult, Sigmoid/Tanh/Round 1 digital_act, Affine 1 mult + 1 add (when present),
//    Add and PositionBias 1 digital_add, Pool (k-1) compares (max) or (k-1) adds + 1 mult
//    (avg) per output over k valid positions, Mvm 1 mult if scale != 1 and 1 add if
//    accumulating per output element; Im2col/Copy only move data. Buffer traffic is
//    counted at each tensor's `bits`.

}  // namespace sotsim
