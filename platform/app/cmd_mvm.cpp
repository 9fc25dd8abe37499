#include <cmath>
#include <filesystem>
#include <limits>
#include <iostream>

#include "models/physics/MvmCommand.h"
#include "platform/app/Command.h"
#include "platform/report/AtomicFile.h"
#include "platform/report/EnergyModel.h"
#include "platform/report/Json.h"
#include "workloads/data/ArrayFile.h"
#include "workloads/import/WorkloadError.h"

namespace sotsim::app {

namespace {

report::Json matrix_json(const Eigen::MatrixXd& m) {
    report::Json rows = report::Json::array();
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        report::Json r = report::Json::array();
        for (Eigen::Index j = 0; j < m.cols(); ++j) r.push_back(m(i, j));
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace

int cmd_mvm(const std::vector<std::string>& args) {
    CommonOptions o;
    std::string gfile, wfile, xfile, out_file;
    bool ideal = false, no_periphery = false, json = false;
    po::options_description desc = common_options(o, /*with_out=*/false, /*with_quiet=*/false);
    desc.add_options()
        ("conductance", po::value(&gfile)->value_name("G"), "raw cells: rows x cols conductances in S (.npy/.csv)")
        ("weights", po::value(&wfile)->value_name("W"), "logical weights rows x cols, mapped through the config")
        ("inputs", po::value(&xfile)->value_name("X"), "batch x rows: volts (with --conductance) or logical inputs")
        ("ideal", po::bool_switch(&ideal), "no variation, noise, IR drop or readout error")
        ("no-periphery", po::bool_switch(&no_periphery), "currents only, no ADC/TDC/sense amp")
        ("json", po::bool_switch(&json), "print JSON on stdout (default)")
        (",o", po::value(&out_file)->value_name("FILE"),
         "write the JSON to FILE instead of stdout (a file: run and sweep take -o DIR)");
    bool help = false;
    parse_command("mvm", args, desc, nullptr, help);
    if (help) {
        print_command_help("mvm", "-c CONFIG (--conductance G | --weights W) --inputs X [options]",
                           "One batched analog MVM through the physics core. Output JSON: currents_A (batch x "
                           "physical columns), codes (batch x logical outputs after the periphery), energy_J, "
                           "latency_s.",
                           desc);
        return 0;
    }
    if (gfile.empty() == wfile.empty()) throw UsageError("mvm: give exactly one of --conductance G or --weights W");
    if (xfile.empty()) throw UsageError("mvm: missing --inputs X");
    if (!out_file.empty() && std::filesystem::is_directory(out_file))
        throw UsageError("mvm: -o " + out_file + ": is a directory (mvm -o names the JSON file to write)");
    Config cfg = load_common_config(o);
    if (ideal) cfg = make_ideal(cfg);
    const Eigen::MatrixXd x = workloads::read_matrix(xfile, {/*one_d_as_column=*/false, false});
    const bool periphery = !no_periphery;

    report::Json j = report::Json::object();
    ActionCounter ac;
    double latency = 0.0;
    if (!gfile.empty()) {
        const Eigen::MatrixXd g = workloads::read_matrix(gfile);
        if (x.cols() != g.rows())
            throw UsageError(xfile + ": inputs have " + std::to_string(x.cols()) + " columns but " + gfile + " has " +
                             std::to_string(g.rows()) + " rows");
        if ((g.array() < 0).any()) throw UsageError(gfile + ": conductances must be non-negative");
        if (g.rows() > 4096 || g.cols() > 4096) throw UsageError(gfile + ": arrays larger than 4096 x 4096 are not supported");
        const phys::RawMvmResult r = phys::raw_conductance_mvm(cfg, g, x, periphery);
        ac = r.actions;
        latency = r.latency_s;
        j["currents_A"] = matrix_json(r.currents);
        j["codes"] = periphery ? matrix_json(r.codes) : report::Json::array();
    } else {
        const Eigen::MatrixXd wd = workloads::read_matrix(wfile);
        if (x.cols() != wd.rows())
            throw UsageError(xfile + ": inputs have " + std::to_string(x.cols()) + " columns but " + wfile + " has " +
                             std::to_string(wd.rows()) + " rows");
        if (((wd.array() - wd.array().round()).abs() > 0).any())
            throw UsageError(wfile + ": logical weights must be integers");
        // Checked before the cast to int, which is undefined beyond its range.
        for (Eigen::Index i = 0; i < wd.rows(); ++i)
            for (Eigen::Index c = 0; c < wd.cols(); ++c)
                if (std::fabs(wd(i, c)) > 1 << 30)
                    throw workloads::WorkloadError(wfile, "weight " + std::to_string(wd(i, c)) + " at (" +
                                                              std::to_string(i) + "," + std::to_string(c) +
                                                              ") is outside the " + std::to_string(cfg.macro.weight_bits) +
                                                              "-bit weight domain");
        if (wd.rows() > cfg.array.rows)
            throw UsageError(wfile + ": " + std::to_string(wd.rows()) + " weight rows exceed the array's " +
                             std::to_string(cfg.array.rows) + " rows");
        if ((x.array().abs() > std::numeric_limits<float>::max()).any())
            throw workloads::WorkloadError(xfile, "inputs beyond the float32 range");
        phys::WeightsMvmResult r;
        try {
            r = phys::weights_mvm(cfg, wd.cast<int>(), x.cast<float>(), periphery);
        } catch (const std::invalid_argument& e) {
            // The physics core checks the weight and input domains but knows no file names.
            const bool about_inputs = std::string(e.what()).rfind("macro mvm:", 0) == 0;
            throw workloads::WorkloadError(about_inputs ? xfile : wfile, e.what());
        }
        ac = r.actions;
        latency = r.latency_s;
        j["currents_A"] = matrix_json(r.currents);
        j["codes"] = periphery ? matrix_json(r.outputs) : report::Json::array();
    }
    j["energy_J"] = report::EnergyModel(cfg).energy_J(ac);
    j["latency_s"] = latency;
    const std::string text = report::dump_json(j, -1) + "\n";
    if (!out_file.empty()) report::write_file_atomic(out_file, text);
    else std::cout << text;
    return 0;
}

}  // namespace sotsim::app
