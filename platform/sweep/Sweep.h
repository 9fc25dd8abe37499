// Design-space sweeps: a sweep file names a base chip config, a workload, parameters with
// value lists and the report metrics to collect. Every point runs as its own `sotsim run`
// child process, so a crashing or hanging point cannot take the sweep down, points run in
// parallel on all cores, and each point's report.json appears atomically (rename of its
// directory) — the basis of `--resume` and of clean interruption. See docs/sweeps.md.
//
// Plain C++17 + POSIX + yaml-cpp; no SystemC here.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotsim::sweep {

enum class SweepMode { Grid, Zip };

// One value of a swept parameter, kept as written ("2.5 MOhm", "256", "true") because the
// child's `--set key=value` types it against the schema; `si` is its numeric SI value for
// the CSV when it is a number or a quantity with a unit (empty otherwise).
struct ParamValue {
    std::string text;
    std::string csv;      // what results.csv shows: SI number if numeric, else text
    int line = 0, col = 0;
};

struct SweepParameter {
    // Config key path, e.g. "device.sigma_p". Several keys joined by '+'
    // ("device.sigma_p+device.sigma_ap") take the same value together (tied parameters).
    std::string key;
    std::vector<std::string> keys() const;
    std::vector<ParamValue> values;   // non-empty
    int line = 0, col = 0;
};

struct SweepWorkload {
    std::string model;      // absolute path
    std::string dataset;    // "mnist", "fashion-mnist" or an absolute .npy path
    std::string labels;     // absolute path or "" (dataset's own labels)
    std::string split = "test";   // test | train | all
    long samples = 0;       // > 0
};

// Slurm job options (the sweep file's `slurm:` section; `sotsim sweep` flags override them).
struct SlurmSettings {
    std::string partition;      // "" = the cluster's default partition
    std::string time;           // per task, Slurm format ("30", "1:00:00", "2-00:00:00"); "" = default
    int cpus_per_task = 1;      // each task runs its points with -j cpus_per_task
    std::string mem;            // per task, Slurm format ("2G", "500M"); "" = default
    int throttle = 0;           // at most this many tasks at once (--array=...%N); 0 = no limit
    int chunk = 0;              // points per task; 0 = automatic (at most 1000 tasks)
    std::vector<std::string> sbatch_args;   // passed to sbatch as they are
};

// Largest sweep accepted by default: expand() holds every point in memory and results.csv
// has a row per point; at ~1 s a point 100,000 points are more than a day of CPU.
constexpr std::uint64_t kDefaultMaxSweepPoints = 100000;

struct SweepSpec {
    std::string file;                       // the sweep file as given
    std::string base;                       // absolute path of the base chip config
    SweepWorkload workload;
    bool ideal = false;
    SweepMode mode = SweepMode::Grid;
    std::vector<SweepParameter> parameters; // file order
    int seeds = 1;                          // repeats per parameter combination
    std::vector<std::string> metrics;       // dotted paths into report.json
    std::vector<std::string> set;           // fixed overrides "key=value", file order
    std::uint64_t base_seed = 1;            // sim.seed of base + set (repeat 0 keeps it)
    SlurmSettings slurm;
    std::uint64_t max_points = kDefaultMaxSweepPoints;  // the limit it was loaded with (Slurm tasks reuse it)
};

// One run of the simulator.
struct SweepPoint {
    std::size_t index = 0;                  // position in point order
    std::string id;                         // "0007-3fa2c1d9": index + hash of values and seed
    std::vector<std::string> values;        // one per SweepSpec::parameters (ParamValue::text)
    std::vector<std::string> csv_values;    // ParamValue::csv, same order
    int repeat = 0;                         // 0 .. seeds-1
    std::uint64_t seed = 0;                 // derive_seed(point base seed, repeat)
};

struct SweepOptions {
    std::string out_dir;        // results directory (created if missing)
    int jobs = 0;               // concurrent points; <= 0 = std::thread::hardware_concurrency
    bool resume = false;        // skip points whose points/<id>/report.json exists
    bool quiet = false;         // no progress line
    std::string runner_exe;     // the sotsim executable each point runs (`/proc/self/exe`)
    bool force = false;         // resume although the inputs changed (see SweepManifest.h)
    std::string dataset_digest; // SHA-256 of the workload's samples, for the manifest ("" = unknown)
    // Worker mode (a Slurm array task): run only these point indices, next to other
    // workers in the same directory. It needs the manifest written at submission and
    // refuses to run if the inputs changed since; it writes no results.csv.
    bool worker = false;
    std::vector<std::size_t> only_points;
};

struct SweepSummary {
    std::size_t total = 0;      // points in the sweep
    std::size_t ok = 0;         // finished with a report (this run or an earlier one)
    std::size_t failed = 0;     // recorded as failed
    std::size_t skipped = 0;    // already finished before this run (--resume)
    std::size_t not_run = 0;    // left for a later --resume (interrupted)
    bool interrupted = false;   // SIGINT/SIGTERM stopped the sweep
    std::string results_csv;    // path of results.csv
};

// Usage problems found while running (output dir in use, runner missing, ...). Problems in
// the sweep file itself are sotsim::config::ConfigError ("FILE:LINE:COL: error: ...").
class SweepError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses and validates a sweep file: every key, type, path and parameter key is checked
// (the base config is loaded with the `set` overrides, and every parameter value is checked
// by loading the base with it) before anything runs. Throws config::ConfigError, also when
// the sweep expands to more than `max_points` points (counted before any value is checked).
// The default is kDefaultMaxSweepPoints; `sotsim sweep --max-points N`.
SweepSpec load_sweep(const std::string& path, std::uint64_t max_points = kDefaultMaxSweepPoints);

// All points in order: grid = cartesian product with the first parameter varying slowest,
// zip = element-wise; each combination repeated `seeds` times (repeat varies fastest).
std::vector<SweepPoint> expand(const SweepSpec& spec);

// Seed of repeat k: k = 0 keeps `base`; k >= 1 is splitmix64(base + k * 0x9E3779B97F4A7C15)
// truncated to 53 bits, so every seed survives a round trip through a JSON/double number.
std::uint64_t derive_seed(std::uint64_t base, int repeat);

// The child's config overrides for `point`: the sweep's `set`, then the point's values.
std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& point);

// The resolved config (config::to_yaml) the point's `sotsim run` runs with and embeds in
// its report.json: base + overrides + its seed, made ideal if the sweep is.
std::string point_config_yaml(const SweepSpec& spec, const SweepPoint& point);

// "3-5,9,12": point indices (0-based, inclusive ranges); each must be < total. Throws
// SweepError naming the problem.
std::vector<std::size_t> parse_point_list(const std::string& text, std::size_t total);
// The inverse: sorted indices as compact ranges.
std::string format_point_list(const std::vector<std::size_t>& sorted_indices);

// Arguments (after argv[0]) of the `sotsim run` child for `point`, writing into `out_dir`.
std::vector<std::string> runner_arguments(const SweepSpec& spec, const SweepPoint& point,
                                          const std::string& out_dir);

// Runs every point not yet finished, writes DIR/points/<id>/ (report.json, log.txt),
// DIR/points/<id>.failed for failures and DIR/results.csv. Returns after all points ran or
// after SIGINT/SIGTERM (then `interrupted` is set and finished points are kept).
// Throws SweepError for usage errors (e.g. DIR holds results and resume is false).
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& options);

// Rebuilds DIR/results.csv from the point files (what the collect job of a Slurm array
// runs): checks the manifest against the current inputs (a change is a SweepError naming
// it) and every finished report against its point's resolved config and model (a mismatch
// is a `stale` row). Points without a result have no row and count as not_run.
SweepSummary collect_sweep(const SweepSpec& spec, const SweepOptions& options);

// Prepares DIR as a resume would (exclusive lock, manifest check with options.force,
// leftovers and stale results removed) and calls `with_points` with the indices of the
// points that still need a run, while the directory is still locked. The Slurm backend
// submits them from there.
void plan_sweep(const SweepSpec& spec, const SweepOptions& options,
                const std::function<void(const std::vector<std::size_t>&)>& with_points);

// Process exit status for a finished sweep: 130 if interrupted, 1 if any point failed, else 0.
int exit_status(const SweepSummary& summary);

}  // namespace sotsim::sweep
