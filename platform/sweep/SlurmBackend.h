// The Slurm backend: a sweep as one job array on a cluster whose nodes share the output
// directory. Each array task runs `sotsim sweep SWEEP --points LIST -o DIR` (worker mode of
// the same runner, so points are written exactly as locally); a job that depends on the
// array (afterany) runs `sotsim sweep --collect DIR`, which builds results.csv.
//
// DIR/slurm/ holds, per submission k: submit-k.tasks (line t = the points of array task t),
// submit-k.sh (the array script), collect-k.sh, task logs, and `jobs` (one line per
// submission: "k ARRAY_JOB_ID COLLECT_JOB_ID"). Slurm is driven through its command-line
// tools (sbatch, squeue, sacct), so any reachable cluster works and nothing links libslurm.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "platform/sweep/Sweep.h"

namespace sotsim::sweep {

struct SlurmSubmission {
    int number = 0;                 // k of DIR/slurm/submit-k.*; 0 = nothing submitted
    std::string array_job, collect_job;
    std::size_t tasks = 0, points = 0, chunk = 0;
    std::string script;
    SweepSummary collected;         // when nothing was left to run: the collect result
};

// Submits every point of `spec` that has no valid result in options.out_dir (all of them
// for a new sweep; with options.resume the missing, failed and stale ones). `exe` is the
// sotsim binary the tasks run (it must be reachable from the nodes). Throws SweepError:
// sbatch missing, a job of this sweep still queued, sbatch refusing the job, ...
SlurmSubmission submit_slurm(const SweepSpec& spec, const SweepOptions& options, const SlurmSettings& settings,
                             const std::string& exe);

// Tasks per submission: settings.chunk, or the smallest chunk that keeps the array within
// Slurm's default MaxArraySize (1001: task indices 0..1000).
std::size_t choose_chunk(std::size_t points, int requested);

// The array job script (bash), as written to DIR/slurm/submit-k.sh.
std::string array_script(const SweepSpec& spec, const SlurmSettings& settings, const std::string& exe,
                         const std::string& dir, const std::string& tasks_file, const std::string& job_name);

// "done / running / pending / failed / missing" of every point of DIR from the point files,
// the directory lock and squeue; sacct's task states where accounting is enabled.
std::string sweep_status(const SweepSpec& spec, const std::string& dir);

// Blocks until no job of DIR's latest submission is queued or running, showing progress on
// stderr when it is a terminal (unless quiet). Throws SweepError if squeue keeps failing.
void wait_for_slurm(const SweepSpec& spec, const std::string& dir, bool quiet);

}  // namespace sotsim::sweep
