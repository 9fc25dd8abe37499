#include "platform/app/ModelLoading.h"

#include "workloads/import/OnnxImporter.h"

namespace sotsim::app {

po::options_description workload_options(WorkloadOptions& w, bool with_dataset) {
    po::options_description d("Workload options");
    d.add_options()("model,w", po::value(&w.model)->value_name("MODEL.onnx"), "ONNX model");
    if (with_dataset)
        d.add_options()
            ("dataset", po::value(&w.dataset)->value_name("D"), "mnist | fashion-mnist | PATH.npy")
            ("labels", po::value(&w.labels)->value_name("PATH.npy"), "labels for an .npy dataset")
            ("split", po::value(&w.split)->value_name("S"), "test | train | all (default test)")
            ("samples", po::value(&w.samples)->value_name("N"), "first N samples of the split");
    d.add_options()("ideal", po::bool_switch(&w.ideal),
                    "turn every analog non-ideality off (variation, noise, IR drop, readout error); "
                    "timing and energy stay");
    return d;
}

Loaded load_all(const CommonOptions& o, const WorkloadOptions& w, bool need_dataset) {
    if (w.model.empty()) throw UsageError("missing -w/--model MODEL.onnx");
    if (need_dataset && w.dataset.empty()) throw UsageError("missing --dataset (mnist | fashion-mnist | PATH.npy)");
    if (w.split != "test" && w.split != "train" && w.split != "all")
        throw UsageError("--split must be test, train or all (got '" + w.split + "')");
    if (w.samples == 0 || w.samples < -1) throw UsageError("--samples must be a positive number");
    Loaded l;
    l.config_path = find_config(o.config);
    l.cfg = load_common_config(o);
    if (w.ideal) l.cfg = make_ideal(l.cfg);
    l.model_path = find_model(w.model);
    l.net = workloads::import_onnx(l.model_path);
    if (need_dataset) {
        workloads::DatasetSpec spec;
        spec.name = w.dataset;
        spec.labels = w.labels;
        spec.split = w.split;
        spec.samples = w.samples;
        spec.data_root = data_root();
        l.data = workloads::load_dataset(spec);
        if (workloads::shape_numel(l.data.input_shape) != l.net.input_size())
            throw UsageError("dataset '" + w.dataset + "' has samples of shape " +
                             workloads::shape_to_string(l.data.input_shape) + " but model " + w.model + " expects " +
                             workloads::shape_to_string(l.net.input_shape()));
    }
    l.compiled = workloads::compile_network(l.net, l.cfg);
    return l;
}

}  // namespace sotsim::app
