#include "platform/app/Inference.h"

#include <algorithm>
#include <cmath>

#include "workloads/import/FloatEvaluator.h"

namespace sotsim::app {

namespace {

double accuracy(const std::vector<int>& pred, const std::vector<int>& labels) {
    if (labels.empty()) return std::nan("");
    std::size_t ok = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) ok += pred[i] == labels[i];
    return static_cast<double>(ok) / static_cast<double>(labels.size());
}

// Float reference of `net` and of the quantized network `cm.quantized`, in chunks of
// `chunk` samples (memory bounded like the chip run) and in one pass over the data; when
// the compiler left the network unchanged the quantized reference is the float one.
void evaluate_references(const workloads::Network& net, const workloads::CompiledModel& cm, const workloads::Batch& images,
                         int chunk, std::vector<int>& float_pred, std::vector<int>& quant_pred) {
    const workloads::FloatEvaluator fe(net), qe(cm.quantized);
    const Eigen::Index n = images.rows();
    float_pred.clear();
    quant_pred.clear();
    float_pred.reserve(static_cast<std::size_t>(n));
    quant_pred.reserve(static_cast<std::size_t>(n));
    for (Eigen::Index at = 0; at < n; at += chunk) {
        const Eigen::Index len = std::min<Eigen::Index>(chunk, n - at);
        const workloads::Batch part = images.middleRows(at, len);
        const std::vector<int> f = fe.predict(part);
        float_pred.insert(float_pred.end(), f.begin(), f.end());
        if (cm.quantized_is_imported) continue;
        const std::vector<int> q = qe.predict(part);
        quant_pred.insert(quant_pred.end(), q.begin(), q.end());
    }
    if (cm.quantized_is_imported) quant_pred = float_pred;
}

}  // namespace

RunOutcome run_on_chip(const Config& cfg, const workloads::Network& net, const workloads::CompiledModel& cm,
                       const workloads::Dataset& ds, const RunOptions& opt) {
    const int n = static_cast<int>(ds.size());
    host::HostOutcome h = host::run_program(cfg, cm.program, ds.images, opt);

    RunOutcome out;
    out.predictions = workloads::argmax_rows(h.outputs);
    report::RunInfo& info = out.info;
    info.samples = n;
    info.batch = h.batch;
    evaluate_references(net, cm, ds.images, std::max(1, h.batch), out.float_predictions, out.quantized_predictions);
    out.labels = ds.labels;
    info.accuracy_hardware = accuracy(out.predictions, ds.labels);
    info.accuracy_float_reference = accuracy(out.float_predictions, ds.labels);
    info.accuracy_quantized_reference = accuracy(out.quantized_predictions, ds.labels);
    info.inference_time_s = h.inference_time_s;
    info.latency_s = h.latency_s;
    info.programming_time_s = h.programming_time_s;
    info.after_programming = h.after_programming;

    // MVM transactions per layer: Mvm instructions per run x runs.
    std::vector<double> mvms(cm.program.layers.size(), 0.0);
    for (const auto& code : cm.program.tile_code) {
        int layer = -1;
        for (const Instr& in : code) {
            if (in.op == OpCode::Layer) layer = in.layer;
            if (in.op == OpCode::Mvm && layer >= 0) mvms[static_cast<std::size_t>(layer)] += h.runs;
        }
    }
    int wb = 1, ib = 1;
    for (std::size_t l = 0; l < cm.program.layers.size(); ++l) {
        const LayerInfo& li = cm.program.layers[l];
        report::LayerInfo r;
        r.name = li.name;
        r.kind = li.kind;
        r.macs_per_sample = static_cast<double>(li.macs_per_sample);
        r.blocks = li.blocks;
        r.rewrites = li.rewrites;
        r.mvms = mvms[l];
        r.weight_bits = li.weight_bits;
        r.input_bits = li.input_bits;
        if (l < cm.layers.size()) {
            r.weight_precision = cm.layers[l].weight_precision;
            r.input_precision = cm.layers[l].input_origin;
        }
        info.macs_per_inference += r.macs_per_sample;
        wb = std::max(wb, li.weight_bits);
        ib = std::max(ib, li.input_bits);
        info.layers.push_back(r);
    }
    info.weight_bits = wb;
    info.input_bits = ib;
    info.macro_peak = host::macro_peak_spec(cfg, h.macro_area_items);
    info.seed = cfg.sim.seed;
    info.version = SOTSIM_VERSION;

    out.end_of_run = std::move(h.end_of_run);
    out.trace = h.trace;
    out.trace_end_ps = h.trace_end_ps;
    out.trace_view = h.trace_view;
    return out;
}

}  // namespace sotsim::app
