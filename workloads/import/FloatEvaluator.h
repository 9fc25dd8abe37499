#pragma once
// The float32 software reference: evaluates the network IR exactly as Network.h defines each
// operator (Dense as one GEMM per batch, Conv as im2col + GEMM per sample). Its predictions
// are reported as accuracy.float_reference.
#include "workloads/import/Network.h"

#include <vector>

namespace sotsim::workloads {

class FloatEvaluator {
public:
    // Keeps a reference: `net` must outlive the evaluator.
    explicit FloatEvaluator(const Network& net);

    // inputs: N x input_size (one sample per row, C order). Returns N x output_size logits.
    // Throws WorkloadError when the column count does not match the model input.
    Batch run(const Batch& inputs) const;
    // Every value of the network (indexed like Network::values), for layer-by-layer checks.
    std::vector<Batch> run_all(const Batch& inputs) const;
    // argmax of the logits per sample (first maximum on ties).
    std::vector<int> predict(const Batch& inputs) const;

    // Evaluates one node given the batches of its inputs (used by run_all; also lets the
    // compiler check a lowered layer against the reference).
    static Batch eval_node(const Network& net, const Node& node, const std::vector<const Batch*>& inputs);

private:
    const Network& net_;
};

// Row-wise argmax.
std::vector<int> argmax_rows(const Batch& logits);

}  // namespace sotsim::workloads
