// Child processes of a sweep: point runs that cannot outlive the sweep, and short commands
// (sbatch, squeue, sacct, scancel) whose output the Slurm backend reads.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sotsim::sweep {

// Starts `exe args...` with stdin from /dev/null and stdout+stderr into `log_path`, in its
// own process group (a terminal ^C reaches only the sweep, which forwards it), with SIGINT,
// SIGTERM and SIGPIPE at their defaults. The child gets PR_SET_PDEATHSIG = SIGKILL, so it
// dies with the sweep even when the sweep is killed with SIGKILL; a child whose parent was
// already gone before that took effect exits at once. Returns the pid, or -1 with
// `error` set when the child could not be started.
pid_t spawn_point_process(const std::string& exe, const std::vector<std::string>& args,
                          const std::string& log_path, std::string& error);

struct CommandResult {
    bool started = false;   // false: not found / not executable (`output` says why)
    int exit_code = -1;     // exit status, or 128 + signal
    std::string output;     // stdout
    std::string errors;     // stderr
};

// Runs a command found on PATH to completion and captures its output (stdin /dev/null).
CommandResult run_command(const std::string& name, const std::vector<std::string>& args);

// Absolute path of `name` on $PATH, or "" if there is none.
std::string find_on_path(const std::string& name);

}  // namespace sotsim::sweep
