#include "platform/app/ModelLoading.h"

#include "workloads/import/OnnxImporter.h"

#include <cstdint>

namespace sotsim::app {

po::options_description workload_options(WorkloadOptions& w, bool with_dataset) {
    po::options_description d("Workload options");
    d.add_options()("model,w", po::value(&w.model)->value_name("MODEL.onnx"), "ONNX model");
    if (with_dataset)
        d.add_options()
            ("dataset", po::value(&w.dataset)->value_name("D"), "mnist | fashion-mnist | PATH.npy")
            ("labels", po::value(&w.labels)->value_name("PATH.npy"), "labels for an .npy dataset")
            ("split", po::value(&w.split)->value_name("S"), "test | train | all (default test)")
            ("samples", nonempty_value(&w.samples, "--samples")->value_name("N"), "first N samples of the split");
    d.add_options()
        ("input-range", po::value(&w.input_range)->value_name("LO:HI"),
         "value range of the network input when the model has no input quantizer and no data is given "
         "(default: scanned from the data)")
        ("calibration-samples", po::value(&w.calibration_samples)->value_name("N"),
         "first N samples calibrate the range of activations the model leaves unquantized (default 256)")
        ("strict", po::bool_switch(&w.strict),
         "refuse to approximate the model: inserted quantization and post-training-quantized weights are errors")
        ("wide-inputs", po::value(&w.wide_inputs)->value_name("MODE"),
         "inputs with more bits than a pulse-width DAC: slice (DAC-wide pulses, shift-added), bit_serial "
         "(1-bit planes) or auto (default: the shorter estimated array time per input vector, per layer)");
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
    long long samples = -1;
    if (!w.samples.empty()) {
        samples = static_cast<long long>(parse_unsigned_flag("--samples", w.samples, INT64_MAX));
        if (samples == 0) throw UsageError("--samples: must be at least 1");
    }
    if (need_dataset) samples = cap_samples(samples, "this run");  // run, not compile
    Loaded l;
    l.config_path = find_config(o.config);
    l.cfg = load_common_config(o);
    if (w.ideal) l.cfg = make_ideal(l.cfg);
    l.model_path = find_model(w.model);
    l.net = workloads::import_onnx(l.model_path);
    if (w.calibration_samples < 0) throw UsageError("--calibration-samples must not be negative");
    workloads::AnalysisOptions ao;
    ao.strict = w.strict;
    if (w.wide_inputs == "auto") ao.wide_inputs = workloads::WideInputs::Auto;
    else if (w.wide_inputs == "slice") ao.wide_inputs = workloads::WideInputs::Slice;
    else if (w.wide_inputs == "bit_serial") ao.wide_inputs = workloads::WideInputs::BitSerial;
    else throw UsageError("--wide-inputs must be auto, slice or bit_serial (got '" + w.wide_inputs + "')");
    if (!w.input_range.empty()) {
        try {
            ao.input = workloads::parse_input_range(w.input_range);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    const bool with_data = need_dataset || !w.dataset.empty();
    workloads::Batch calibration;
    bool scanned = false;  // the domain is the scan of l.data.images
    if (with_data) {
        if (w.dataset.empty()) throw UsageError("missing --dataset (mnist | fashion-mnist | PATH.npy)");
        workloads::DatasetSpec spec;
        spec.name = w.dataset;
        spec.labels = w.labels;
        spec.split = w.split;
        spec.samples = samples;
        spec.data_root = data_root();
        l.data = workloads::load_dataset(spec);
        if (workloads::shape_numel(l.data.input_shape) != l.net.input_size())
            throw UsageError("dataset '" + w.dataset + "' has samples of shape " +
                             workloads::shape_to_string(l.data.input_shape) + " but model " + w.model + " expects " +
                             workloads::shape_to_string(l.net.input_shape()));
        if (!ao.input.known()) {
            ao.input = workloads::scan_input_domain(l.data.images, w.dataset);
            scanned = true;
        }
        const Eigen::Index n = std::min<Eigen::Index>(w.calibration_samples, l.data.images.rows());
        calibration = l.data.images.topRows(n);
        ao.calibration = &calibration;
    }
    l.compiled = workloads::compile_network(l.net, l.cfg, ao);
    // The compiled domain is the analysis input's. One the scan derived from this very data
    // holds every value of it by construction (the scan tests each distinct value with the same
    // grid / range test the check applies: test_input_domain), so only a domain from
    // elsewhere (--input-range) is checked against the data.
    if (with_data && !scanned) workloads::check_input_domain(l.compiled.input_domain, l.data.images, w.dataset);
    return l;
}

}  // namespace sotsim::app
