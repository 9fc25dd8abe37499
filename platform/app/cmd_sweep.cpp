#include <iostream>

#include "platform/app/Command.h"
#include "platform/sweep/Sweep.h"

namespace sotsim::app {

int cmd_sweep(const std::vector<std::string>& args) {
    std::string file, out;
    int jobs = 0;
    bool resume = false, quiet = false;
    po::options_description desc("Options");
    desc.add_options()
        ("sweep", po::value(&file)->value_name("SWEEP.yaml"), "sweep file (also the first positional argument)")
        ("jobs,j", po::value(&jobs)->value_name("N"), "points run in parallel (default: number of cores)")
        ("out,o", po::value(&out)->value_name("DIR"), "results directory (default: out/sweep-<file name>)")
        ("resume", po::bool_switch(&resume), "skip finished points, run the rest")
        ("quiet,q", po::bool_switch(&quiet), "no progress line");
    po::positional_options_description pos;
    pos.add("sweep", 1);
    bool help = false;
    parse_command("sweep", args, desc, &pos, help);
    if (help) {
        print_command_help("sweep", "SWEEP.yaml [-j N] [-o DIR] [--resume]",
                           "Runs every point of a parameter sweep as its own `sotsim run` process and collects "
                           "DIR/results.csv (one row per point; see docs/sweeps.md). An interrupted sweep loses "
                           "no finished point: rerun with --resume.",
                           desc);
        return 0;
    }
    if (file.empty()) throw UsageError("sweep: missing SWEEP.yaml");
    if (jobs < 0) throw UsageError("sweep: -j must be positive");
    const sweep::SweepSpec spec = sweep::load_sweep(find_sweep(file));
    sweep::SweepOptions so;
    if (out.empty()) {
        std::string stem = file.substr(file.find_last_of('/') + 1);
        stem = stem.substr(0, stem.find_last_of('.'));
        out = "out/sweep-" + stem;
    }
    so.out_dir = out;
    so.jobs = jobs;
    so.resume = resume;
    so.quiet = quiet;
    so.runner_exe = self_exe();
    sweep::SweepSummary s;
    try {
        s = sweep::run_sweep(spec, so);
    } catch (const sweep::SweepError& e) {
        throw UsageError(std::string("sweep: ") + e.what());
    }
    if (!quiet)
        std::cout << "sweep: " << s.ok << " ok, " << s.failed << " failed, " << s.skipped << " resumed, " << s.not_run
                  << " not run" << (s.interrupted ? " (interrupted)" : "") << "; results: " << s.results_csv << "\n";
    return sweep::exit_status(s);
}

}  // namespace sotsim::app
