#include <iostream>

#include "platform/app/Command.h"
#include "platform/app/Resources.h"
#include "platform/report/Hash.h"
#include "platform/sweep/SlurmBackend.h"
#include "platform/sweep/Sweep.h"
#include "platform/sweep/SweepFs.h"
#include "platform/sweep/SweepManifest.h"
#include "platform/sweep/SweepText.h"
#include "workloads/data/Dataset.h"

namespace sotsim::app {
namespace {

// SHA-256 of the samples every point runs on (pixels, shape, labels), for the manifest:
// the data as the points see it, whatever files it was read from.
std::string dataset_digest(const sweep::SweepSpec& spec) {
    workloads::DatasetSpec ds;
    ds.name = spec.workload.dataset;
    ds.labels = spec.workload.labels;
    ds.split = spec.workload.split;
    ds.samples = spec.workload.samples;
    ds.data_root = data_root();
    const workloads::Dataset d = workloads::load_dataset(ds);
    std::string bytes = workloads::shape_to_string(d.input_shape) + "\n";
    bytes.append(reinterpret_cast<const char*>(d.images.data()), static_cast<std::size_t>(d.images.size()) * sizeof(float));
    bytes.append(reinterpret_cast<const char*>(d.labels.data()), d.labels.size() * sizeof(int));
    return report::sha256_hex(bytes);
}

// The sweep file of a directory given to --collect/--status without one.
std::string sweep_file_of(const std::string& dir) {
    if (!sweep::has_manifest(dir)) throw UsageError("sweep: " + dir + ": not a sweep directory (no sweep.manifest)");
    const std::string file = sweep::read_manifest(dir).field("sweep");
    if (file.empty()) throw UsageError("sweep: " + dir + "/sweep.manifest does not name its sweep file; give SWEEP.yaml");
    return file;
}

void print_summary(const sweep::SweepSummary& s) {
    std::cout << "sweep: " << s.ok << " ok, " << s.failed << " failed, " << s.skipped << " resumed, " << s.not_run
              << " not run" << (s.interrupted ? " (interrupted)" : "") << "; results: " << s.results_csv << "\n";
}

// 0 when every point has a result, 1 otherwise (failed, stale or never run).
int complete_status(const sweep::SweepSummary& s) { return s.failed + s.not_run > 0 ? 1 : 0; }

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
    std::string file, out, backend = "local", points, collect_dir, status_dir;
    int jobs = 0;
    std::string max_points_text;
    bool resume = false, force = false, quiet = false, wait = false;
    sweep::SlurmSettings flags;
    int cpus = 0;
    po::options_description desc("Options");
    desc.add_options()
        ("sweep", po::value(&file)->value_name("SWEEP.yaml"), "sweep file (also the first positional argument)")
        ("jobs,j", po::value(&jobs)->value_name("N"), "points run in parallel (default: number of cores)")
        ("out,o", po::value(&out)->value_name("DIR"), "results directory (default: out/sweep-<file name>)")
        ("resume", po::bool_switch(&resume), "skip finished points, run (or submit) the rest")
        ("force", po::bool_switch(&force),
         "with --resume: continue although the inputs changed (points whose report no longer matches run again)")
        ("quiet,q", po::bool_switch(&quiet), "no progress line")
        ("backend", po::value(&backend)->value_name("B"), "local (default) | slurm: one sbatch job array")
        ("wait", po::bool_switch(&wait), "slurm: block until every task and the collect job ended")
        ("chunk", po::value(&flags.chunk)->value_name("N"), "slurm: points per array task (default: <= 1000 tasks)")
        ("partition", po::value(&flags.partition)->value_name("P"), "slurm: partition")
        ("time", po::value(&flags.time)->value_name("T"), "slurm: time limit per task (e.g. 1:00:00)")
        ("cpus-per-task", po::value(&cpus)->value_name("N"), "slurm: CPUs per task = points a task runs at once")
        ("mem", po::value(&flags.mem)->value_name("M"), "slurm: memory per task (e.g. 4G)")
        ("throttle", po::value(&flags.throttle)->value_name("N"), "slurm: at most N tasks at once (--array=...%N)")
        ("sbatch-arg", po::value(&flags.sbatch_args)->value_name("ARG"), "slurm: extra sbatch argument (repeatable)")
        ("collect", po::value(&collect_dir)->value_name("DIR"), "rebuild DIR/results.csv from its point files")
        ("status", po::value(&status_dir)->value_name("DIR"), "show done/running/pending/failed/missing points of DIR")
        ("max-points", po::value(&max_points_text)->value_name("N"),
         ("refuse a sweep file that expands to more than N points (default " +
          std::to_string(sweep::kDefaultMaxSweepPoints) + ")").c_str())
        ("points", po::value(&points)->value_name("LIST"), "run only these points (\"0-4,9\"): a Slurm array task");
    po::positional_options_description pos;
    pos.add("sweep", 1);
    bool help = false;
    const po::variables_map vm = parse_command("sweep", args, desc, &pos, help);
    if (help) {
        print_command_help("sweep",
                           "SWEEP.yaml [-j N] [-o DIR] [--resume [--force]] [--backend slurm [--wait] [--chunk N] ...]\n"
                           "       sotsim sweep [SWEEP.yaml] --collect DIR | --status DIR",
                           "Runs every point of a parameter sweep as its own `sotsim run` process (locally, or as "
                           "one Slurm job array) and collects DIR/results.csv (one row per point; see "
                           "docs/sweeps.md). An interrupted sweep loses no finished point: rerun with --resume.",
                           desc);
        return 0;
    }
    if (jobs < 0) throw UsageError("sweep: -j must be positive");
    if (backend != "local" && backend != "slurm")
        throw UsageError("sweep: --backend must be local or slurm, not '" + backend + "'");
    if (force && !resume && collect_dir.empty()) throw UsageError("sweep: --force only applies with --resume");
    if (!collect_dir.empty() && !status_dir.empty()) throw UsageError("sweep: --collect and --status exclude each other");
    const bool slurm_flags = vm.count("chunk") || vm.count("partition") || vm.count("time") || vm.count("cpus-per-task") ||
                             vm.count("mem") || vm.count("throttle") || vm.count("sbatch-arg") || wait;
    if (slurm_flags && backend != "slurm") throw UsageError("sweep: Slurm options need --backend slurm");

    // Directory commands: the sweep file defaults to the one the directory was made from.
    const std::string dir_arg = !collect_dir.empty() ? collect_dir : status_dir;
    if (!dir_arg.empty() && file.empty()) file = sweep_file_of(dir_arg);
    if (file.empty()) throw UsageError("sweep: missing SWEEP.yaml");
    // A shipped sweep may be named without a path (sotsim info lists them).
    file = find_sweep(file);
    sweep::SweepSpec spec = sweep::load_sweep(
        file, max_points_text.empty() ? sweep::kDefaultMaxSweepPoints : parse_unsigned_flag("--max-points", max_points_text));
    // Capped here, not in the points, so the manifest and every point agree on the count.
    spec.workload.samples = static_cast<long>(cap_samples(spec.workload.samples, "every point of this sweep"));

    sweep::SweepOptions so;
    if (!dir_arg.empty()) out = dir_arg;
    if (out.empty()) out = "out/sweep-" + sweep::file_stem(file);
    if (sweep::path_exists(out) && !sweep::is_directory(out))
        throw UsageError("sweep: -o " + out + ": is a file, not a directory (-o names the sweep's output directory)");
    so.out_dir = out;
    so.jobs = jobs;
    so.resume = resume;
    so.force = force;
    so.quiet = quiet;
    so.runner_exe = self_exe();
    try {
        if (!status_dir.empty()) {
            std::cout << sweep::sweep_status(spec, out);
            return 0;
        }
        so.dataset_digest = dataset_digest(spec);
        if (!collect_dir.empty()) {
            const sweep::SweepSummary s = sweep::collect_sweep(spec, so);
            if (!quiet) print_summary(s);
            return complete_status(s);
        }
        if (!points.empty()) {
            so.worker = true;
            so.only_points = sweep::parse_point_list(points, sweep::expand(spec).size());
            const sweep::SweepSummary s = sweep::run_sweep(spec, so);
            return sweep::exit_status(s);
        }
        if (backend == "slurm") {
            // Flags override the sweep file's slurm: section, one option at a time.
            sweep::SlurmSettings st = spec.slurm;
            if (vm.count("chunk")) st.chunk = flags.chunk;
            if (vm.count("partition")) st.partition = flags.partition;
            if (vm.count("time")) st.time = flags.time;
            if (vm.count("cpus-per-task")) st.cpus_per_task = cpus;
            if (vm.count("mem")) st.mem = flags.mem;
            if (vm.count("throttle")) st.throttle = flags.throttle;
            if (vm.count("sbatch-arg")) st.sbatch_args = flags.sbatch_args;
            auto positive = [](const char* name, int v) {
                if (v < 1) throw UsageError(std::string("sweep: --") + name + " must be >= 1");
            };
            if (vm.count("chunk")) positive("chunk", st.chunk);
            if (vm.count("cpus-per-task")) positive("cpus-per-task", st.cpus_per_task);
            if (vm.count("throttle")) positive("throttle", st.throttle);
            for (const std::string& problem :
                 {st.time.empty() ? "" : sweep::check_slurm_time(st.time), st.mem.empty() ? "" : sweep::check_slurm_mem(st.mem),
                  st.partition.empty() ? "" : sweep::check_slurm_partition(st.partition)})
                if (!problem.empty()) throw UsageError("sweep: " + problem);
            for (const auto& a : st.sbatch_args)
                if (const std::string problem = sweep::check_sbatch_arg(a); !problem.empty())
                    throw UsageError("sweep: " + problem);
            const sweep::SlurmSubmission sub = sweep::submit_slurm(spec, so, st, so.runner_exe);
            if (sub.number == 0) {
                if (!quiet) std::cout << "sweep: nothing to submit: every point is done\n";
                if (!quiet) print_summary(sub.collected);
                return complete_status(sub.collected);
            }
            std::cout << sub.array_job << "\n";
            if (!quiet)
                std::cerr << "sweep: submitted job array " << sub.array_job << " (" << sub.points << " points in "
                          << sub.tasks << " tasks of up to " << sub.chunk << ") and collect job " << sub.collect_job
                          << "; script " << sub.script << "; progress: sotsim sweep --status " << out << "\n";
            if (!wait) return 0;
            sweep::wait_for_slurm(spec, out, quiet);
            so.resume = true;
            so.force = false;
            const sweep::SweepSummary s = sweep::collect_sweep(spec, so);
            if (!quiet) print_summary(s);
            return complete_status(s);
        }
        const sweep::SweepSummary s = sweep::run_sweep(spec, so);
        if (!quiet) print_summary(s);
        return sweep::exit_status(s);
    } catch (const sweep::SweepError& e) {
        throw UsageError(std::string("sweep: ") + e.what());
    }
}

}  // namespace sotsim::app
