// Functional kernels of the tile's digital unit (plain C++, no timing) and the exact
// number of digital actions each performs, so time and energy follow the work done.
// Tensor layouts (per sample): "flat" CHW (rows_per_sample 1, width C*H*W) or
// "position-major" HWC (rows_per_sample H*W, width C), as produced by an im2col MVM.
#pragma once

#include <Eigen/Dense>
#include <vector>

#include "models/common/Actions.h"
#include "models/tile/Program.h"

namespace sotsim::digital {

// Tensors are passed as views: an Eigen::MatrixXf or the tile buffer's mapped storage.
using CRef = const Eigen::Ref<const Eigen::MatrixXf>&;
using Ref = Eigen::Ref<Eigen::MatrixXf>;

// Actions of one kernel call (digital_add / _mult / _compare / _act) plus the number of
// element moves the unit performs (for time: elements / lanes cycles).
struct Work {
    ActionCounter actions;
    double elements = 0;
    double ops() const;   // total digital ops (sum of counted actions, or moves if none)
};

float activate(const Instr& in, float x);
// dst = act(src); counts per element (see Program.h, ActKind).
Work activation(const Instr& in, CRef src, Ref dst);
// dst[s*rows + p, c0 + c] += vbias[p*cols + c] for every sample s (Program.h PositionBias).
Work position_bias(const Instr& in, int batch, Ref dst);
Work affine(const Instr& in, CRef src, Ref dst);
Work add(CRef a, CRef b, Ref dst);
// src_rps: rows per sample of src (1 = flat CHW, h*w = position-major).
Work im2col(const ConvGeom& g, int batch, int src_rps, CRef src, Ref dst);
// The checks and the Work of im2col() into a rows x cols destination, without moving data.
Work im2col_check(const ConvGeom& g, int batch, int src_rps, CRef src, Eigen::Index rows, Eigen::Index cols);
// The samples of a flat CHW source that im2col_rows staged (a group of them, sample-major),
// kept between calls: a macro's bursts ask for 256 vectors at a time, a third of one sample's
// positions in a 28 x 28 layer, and each call would stage the group again. The caller owns
// one per source and calls reset() whenever the source's values may have changed.
struct GatherStage {
    std::vector<float> values;
    const float* src = nullptr;  // what is staged: source, its stride, first sample, channels
    Eigen::Index ld = 0, b0 = -1;
    int c_lo = -1, nc = 0;
    void reset() { src = nullptr; }
};
// Rows [v0, v0 + nv) and columns [k0, k0 + nk) of the matrix im2col() writes, row-major into
// `out` (row stride `stride`): the same values, gathered straight from the convolution input
// (an Mvm's input burst without the im2col tensor in between). `stage`: kept between calls
// on the same source (nullptr: staged for this call only).
void im2col_rows(const ConvGeom& g, int batch, int src_rps, CRef src, Eigen::Index v0, Eigen::Index nv, int k0,
                 int nk, float* out, int stride, GatherStage* stage = nullptr);
Work pool(const ConvGeom& g, bool max, int batch, int src_rps, CRef src, Ref dst);
// Layout change between position-major (rps P, width C) and flat CHW (rps 1, width C*P),
// or a plain copy when both tensors have the same shape.
Work copy(int batch, int src_rps, int dst_rps, CRef src, Ref dst);

}  // namespace sotsim::digital
