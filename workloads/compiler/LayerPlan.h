// The analysed form of one MVM layer, before placement and code generation.
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "models/tile/Program.h"
#include "workloads/compiler/SymbolicValue.h"
#include "workloads/import/Network.h"

namespace sotsim::workloads {

// A digital op on a layer's tensor, with per-channel parameters over the FULL channel
// range; code generation slices it for each column block.
struct TemplateOp {
    // AddStored: += a[c] * S + b[c], S = the stored output of layer `layer` (residual Add;
    // both operands flat CHW, the column block's channel slice).
    enum class Kind { Affine, Act, Pool, ToFlat, PositionBias, AddStored };
    Kind kind = Kind::Act;
    std::vector<float> a, b;        // Affine, per channel
    ActKind act = ActKind::None;    // Act
    float lo = 0, hi = 0;
    int levels = 0;
    ConvGeom geom;                  // Pool (geom.c = full channels; sliced later)
    bool pool_max = true;
    Eigen::MatrixXf table;          // PositionBias: positions x channels (integer units)
    int layer = -1;                 // AddStored: the layer whose stored output is added
    // Layout after the op.
    bool pos_major = false;
    int positions = 1;
    int channels = 0;               // full channel count after the op (pre ops are not sliced)
    int bits = 32;
};

// A node the compiler inserts into the quantized reference network before an MVM.
struct InsertedNode {
    OpKind kind;
    float value = 0;                // Clip max / const operand
    float min = 0;                  // Clip min
};

struct LayerPlan {
    int node = -1;                  // IR node index of the Dense/Conv
    std::string name;
    bool conv = false;
    ConvGeom geom;                  // conv input geometry (im2col)
    int k = 0, n = 0, p = 1;        // rows, columns, output positions
    Eigen::MatrixXi q;              // n x k integer weights (columns possibly negated)
    float weight_scale = 1;         // largest per-column scale (report)
    std::vector<float> col_scale;   // per output column: w = col_scale[c] * q
    int weight_bits = 1;
    bool weights_on_grid = true;
    std::string weight_origin;      // where the weight precision came from (report)
    InputEncoding input = InputEncoding::Binary;
    int input_bits = 1;
    int input_slice_bits = 0;       // Pwm inputs wider than the DAC: bits per pulse (else 0)
    int in_bits = 32;               // modelled bits of the layer's input tensor
    std::vector<TemplateOp> pre;    // on the loaded input (full channels, flat)
    float pad_value = 0;            // im2col padding value
    bool position_bias = false;     // a PositionBias op follows the MVM (padding, offsets)
    // Offset encoding: the MVM drives D = code - base >= 0 and the layer input is
    // scale * (D + in_offset[channel]); the offsets come back per column through PositionBias.
    std::vector<double> in_offset;  // per input channel (empty: none)
    // Input channels whose scales are in no integer ratio (a per-channel normalisation,
    // per-axis activation scales): channel c's value is ratio[c] * (scale * (D + offset)).
    // The rows are grouped by runs of channels with one ratio; each group is its own row
    // block(s) and its partial sums are scaled by the ratio in the PE before they are added
    // (Mvm scale). Empty: every channel has the layer's one scale.
    std::vector<float> channel_ratio;
    struct RowGroup {
        int r0 = 0, rows = 0;
        float scale = 1.0f;
    };
    std::vector<RowGroup> row_groups;  // set with channel_ratio (empty: one group, scale 1)
    bool input_from_model = true;   // false: the compiler inserted the input quantization
    std::string input_origin;       // how the input precision was decided (report)
    ReadoutKind readout = ReadoutKind::Adc;
    std::vector<float> threshold;   // per output column (SenseAmp / SigmoidNeuron)
    float neuron_gain = 1;
    // Sense amp / neuron over several row blocks: the blocks' column charges are summed on
    // the PE's node before one decision (periphery.accumulation.mode analog).
    bool analog_sum = false;
    std::vector<TemplateOp> post;   // after the MVM (per column block)
    int out_width = 0;              // flat per-sample width of the layer output
    int out_positions = 1;          // positions of the output (CHW flatten factor)
    int out_bits = 32;
    std::vector<InsertedNode> inserted_before;  // quantization inserted before this MVM
};

}  // namespace sotsim::workloads
