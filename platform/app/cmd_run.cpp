#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "platform/app/Command.h"
#include "platform/app/ImageFile.h"
#include "platform/app/ModelLoading.h"
#include "platform/config/ConfigLoader.h"
#include "platform/report/AtomicFile.h"
#include "platform/accelerator/TransferCache.h"
#include "platform/report/Hash.h"
#include "platform/report/HashCache.h"
#include "platform/report/Report.h"
#include "platform/app/Inference.h"
#include "platform/report/TraceView.h"

namespace sotsim::app {

int cmd_run(const std::vector<std::string>& args) {
    CommonOptions o;
    WorkloadOptions w;
    std::string vcd;
    bool vcd_all = false;
    int batch = 0;
    std::string image;
    po::options_description desc = common_options(o);
    desc.add(workload_options(w));
    desc.add_options()
        ("vcd", po::value(&vcd)->value_name("FILE"),
         "write a VCD trace, plus FILE's .gtkw GTKWave view and .layers.txt layer names beside it "
         "(open with: gtkwave DIR/trace.gtkw)")
        ("vcd-all-macros", po::bool_switch(&vcd_all), "trace every macro, not only those holding weights")
        ("batch", po::value(&batch)->value_name("N"), "samples per run (default sim.batch, capped by memory)")
        ("image", po::value(&image)->value_name("FILE"),
         "run the chip from this program image (sotsim compile --image) instead of the program compiled now; "
         "the model still gives the float and quantized references");
    bool help = false;
    parse_command("run", args, desc, nullptr, help);
    if (help) {
        print_command_help("run", "-c CONFIG -w MODEL --dataset D [options]",
                           "Runs an ONNX model on the simulated chip: accuracy (hardware vs float reference), "
                           "latency, throughput, energy by component, area, TOPS/W, TOPS/mm^2.\n"
                           "Writes OUT/report.json, OUT/layers.csv and OUT/predictions.csv (default OUT: out/run).",
                           desc);
        return 0;
    }
    if (batch < 0) throw UsageError("run: --batch must be positive");
    const std::string out_dir = o.out.empty() ? "out/run" : o.out;
    if (std::filesystem::exists(out_dir) && !std::filesystem::is_directory(out_dir))
        throw UsageError("run: -o " + out_dir + ": is a file, not a directory (-o names the run's output directory)");
    Loaded l = load_all(o, w, /*need_dataset=*/true);
    std::string image_note;
    if (!image.empty()) {
        Program from_file = read_image_file(image, l.cfg, l.compiled.program);
        if (!same_image(from_file, l.compiled.program, l.cfg))
            image_note = image + " is not the program compiled from " + l.model_path +
                         " for this config and input domain; the chip runs the image";
        l.compiled.program = std::move(from_file);
    }

    RunOptions ro;
    ro.vcd_path = vcd;
    ro.vcd_all_macros = vcd_all;
    ro.max_batch = batch;
    const bool tty = ::isatty(2) && !o.quiet;
    if (tty)
        ro.progress = [](int done, int total) {
            std::cerr << "\rsotsim run: " << done << "/" << total << " samples" << (done == total ? "\n" : "")
                      << std::flush;
        };
    RunOutcome r = run_on_chip(l.cfg, l.net, l.compiled, l.data, ro);
    r.info.config_path = l.config_path;
    r.info.model_path = l.model_path;
    // The report's file digests, remembered by file identity in the cache directory
    // (report/HashCache.h): the dataset files are 7.8-55 MB, hashed again by every run.
    const std::string hash_cache = l.cfg.sim.cache ? default_cache_dir(l.cfg.sim) : std::string();
    r.info.model_hash = report::sha256_file_cached(l.model_path, hash_cache);
    r.info.dataset_name = l.data.name;
    r.info.dataset_split = l.data.split;
    for (const std::string& f : l.data.files) r.info.dataset_files.emplace_back(f, report::sha256_file_cached(f, hash_cache));
    r.info.config_yaml = config::to_yaml(l.cfg);
    report::Report rep(l.cfg, r.end_of_run, r.info);
    // Every output of the run is staged and committed as one batch: a failure to write any
    // of them (a full disk, a read-only VCD directory) leaves none behind, not even OUT.
    report::OutputBatch outputs;
    outputs.add(rep.outputs(out_dir));
    // Per-sample predictions: lets a user (and the --ideal test) compare the hardware with
    // the software models sample by sample, not only in aggregate.
    std::string csv = "sample,label,hardware,float_reference,quantized_reference\n";
    for (std::size_t i = 0; i < r.predictions.size(); ++i)
        csv += std::to_string(i) + "," + std::to_string(r.labels[i]) + "," + std::to_string(r.predictions[i]) + "," +
               std::to_string(r.float_predictions[i]) + "," + std::to_string(r.quantized_predictions[i]) + "\n";
    outputs.add((std::filesystem::path(out_dir) / "predictions.csv").string(), std::move(csv));
    std::string gtkw;
    if (r.trace) {
        // What the trace is of, in the VCD header and the save file.
        const std::vector<std::string> header = {
            "sotsim " + r.info.version + ", seed " + std::to_string(r.info.seed),
            "config " + l.config_path, "model " + l.model_path + " (" + r.info.model_hash + ")",
            "dataset " + l.data.name + " " + l.data.split + ", " + std::to_string(r.info.samples) + " samples",
            vcd_all ? "all macros traced" : "macros holding no weight block are not traced (--vcd-all-macros)"};
        for (const auto& h : header) r.trace->add_comment(h);
        std::string layers = "layer ids:";
        for (const auto& lv : r.trace_view.layers) layers += " " + std::to_string(lv.index) + "=" + lv.name;
        r.trace->add_comment(layers + " (x before the first layer)");
        r.trace_view.header = header;
        const auto trace_files = report::trace_outputs(*r.trace, r.trace_view, vcd, r.trace_end_ps);
        gtkw = trace_files[1].first;
        outputs.add(trace_files);
    }
    outputs.commit();
    if (!o.quiet) {
        std::cout << rep.summary();
        // The compiler's decisions about the model (inserted quantization, bit-serial inputs,
        // dropped Softmax): what the accuracy above means depends on them.
        for (const std::string& n : l.compiled.notes) std::cout << "note: " << n << "\n";
        if (!image_note.empty()) std::cout << "note: " << image_note << "\n";
        std::cout << "report: " << out_dir << "/report.json, " << out_dir << "/layers.csv";
        std::cout << ", " << out_dir << "/predictions.csv";
        if (!gtkw.empty()) std::cout << "\ntrace:  " << vcd << " (view: gtkwave " << gtkw << ")";
        std::cout << "\n";
    }
    return 0;
}

}  // namespace sotsim::app
