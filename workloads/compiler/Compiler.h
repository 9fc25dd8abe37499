// Network IR + chip config -> Program (weight blocks, placement, tile instruction streams).
//
// What the compiler decides, per MVM layer (Dense, or Conv through im2col):
//  * weights: the integer grid of the QAT weights (WeightQuantizer), precision -> cells
//    through the physics core's geometry (differential pairs, bit slices, multi-level);
//  * inputs: how the values reaching the row drivers are encoded. +-1 values (after Sign)
//    drive as signed inputs; integer levels (after Clip/Mul/Round) as bit-serial or PWM;
//    bounded real values (sigmoid outputs, raw pixels in [0,1]) are quantized to
//    `periphery.input.bits` levels, and the quantization is inserted into the `quantized`
//    network too, so the hardware and its software reference compute the same model;
//  * readout: ADC / TDC partial sums; or, where the layer fits one row block and ends in
//    Sign (sense amp) or Sigmoid (SOT neuron), the batch-norm/scale is folded into
//    per-column thresholds and no ADC is used;
//  * tiling: the K x N weight matrix is cut into row blocks of the array's logical rows
//    and column blocks of its logical columns; all row blocks of a column block go to one
//    tile (partial sums accumulate locally); column blocks spread across tiles;
//  * placement: every block resident on its own macro when the network fits the chip
//    (programmed once before inference); otherwise, pipelined, each layer on its own tile
//    group, resident if it fits the group, else a time-multiplexed stage reprogrammed round
//    by round for every step of chip.step_samples samples (lowered to what the tile buffer
//    holds); layer by layer, every layer time-multiplexes the macros of its tiles per batch.
//    Explicit Program instructions carry the write time and energy.
// Post-MVM ops (bias, batch-norm, constant scale/shift) fold into one per-column affine
// op; activations, pooling and layout changes run on the tile's digital unit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/config/Config.h"
#include "models/tile/Program.h"
#include "workloads/compiler/LayerAnalysis.h"
#include "workloads/import/Network.h"

namespace sotsim::workloads {

struct LayerMapping {
    std::string name;
    std::string kind;                 // dense | conv
    std::int64_t k = 0, n = 0, p = 1; // weight rows (inputs), columns (outputs), positions
    int weight_bits = 1;
    float weight_scale = 1.0f;
    bool weights_on_grid = true;      // weight precision from the model (else post-training quantized)
    bool per_channel_scales = false;  // one weight scale per output column
    bool input_from_model = true;     // input precision from the model (else inserted)
    std::string input_origin;         // how the input precision was decided ("model: ..." / "inserted: ...")
    std::string weight_precision;     // the same for the weights
    int input_bits = 1;
    InputEncoding input = InputEncoding::Binary;
    int input_cycles = 1;             // array reads per MVM (bit-serial bits, PWM slices)
    ReadoutKind readout = ReadoutKind::Adc;
    int row_blocks = 0, col_blocks = 0, blocks = 0;
    bool analog_sum = false;             // row blocks summed as charge before one decision
    int pe_bits = 0;                     // width of the PE partial-sum reduction (adder tree)
    int tiles = 0;                    // tiles with work in this layer
    std::string stage;                // pipelined: the layer's tile group ("t0-t3"), empty otherwise
    double stage_ops = 0;             // pipelined: work per sample on the stage's busiest tile
    double utilization = 0.0;         // used cells / cells of the macros the layer occupies
    int rewrites_per_batch = 0;       // Program instructions per batch (time-multiplexed stage: per step)
    // Time-multiplexed with rounds alternating their order (OpCode::Round): block writes of a
    // later step (or batch), the Programs of blocks the macros still hold being skipped;
    // rewrites_per_batch is the first one's.
    int rewrites_steady = 0;
    bool resident = true;             // the layer's blocks stay programmed during inference
    int step_samples = 0;             // time-multiplexed pipeline stage: samples per step (else 0)
    int rounds = 0;                   // time-multiplexed: rounds of reprogrammed macros per step
    std::int64_t macs_per_sample = 0;
};

struct CompiledModel {
    Program program;
    Network quantized;                // the model the hardware runs (software reference of it)
    bool quantized_is_imported = false;   // `quantized` is the imported network unchanged (one reference)
    std::vector<LayerMapping> layers;
    bool resident = true;             // all weights stay programmed during inference
    bool pipelined = false;           // layers stream tile to tile (Program::streamed)
    int macros_used = 0;
    int total_macros = 0;
    int rewrites_per_batch = 0;
    std::vector<std::string> notes;   // decisions a user should know about
    InputDomain input_domain;         // what the network input was compiled for (run-time check)
};

// Throws WorkloadError (file = the model's source) for graphs the chip cannot run,
// naming the node. `opt` carries the input domain (from the data or the user; a model
// without an input quantizer needs one), calibration samples and --strict.
CompiledModel compile_network(const Network& net, const Config& cfg, const AnalysisOptions& opt);

// The `sotsim compile` table: per layer blocks, macros, utilization, rewrites, MACs.
std::string format_mapping(const CompiledModel& m, const Config& cfg);

}  // namespace sotsim::workloads
