#include "platform/sweep/SlurmBackend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "platform/sweep/ChildProcess.h"
#include "platform/sweep/SweepFs.h"
#include "platform/sweep/SweepManifest.h"
#include "platform/sweep/SweepResults.h"
#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {
namespace {

// Slurm's default MaxArraySize is 1001: array indices 0..1000.
constexpr std::size_t kMaxTasks = 1000;

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    return s.substr(i);
}

// The last non-empty line of a command's stderr (or stdout): its error message.
std::string message_of(const CommandResult& r) {
    std::string text = trim(r.errors).empty() ? r.output : r.errors;
    text = trim(text);
    const auto nl = text.find_last_of('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}


struct Submission {
    int number = 0;
    std::string array_job, collect_job;
};

std::vector<Submission> read_jobs(const std::string& slurm_dir) {
    std::vector<Submission> subs;
    std::stringstream ss(read_text(slurm_dir + "/jobs"));
    for (std::string line; std::getline(ss, line);) {
        std::stringstream ls(line);
        Submission s;
        ls >> s.number >> s.array_job >> s.collect_job;
        if (s.number > 0 && !s.array_job.empty()) subs.push_back(s);
    }
    return subs;
}

void write_jobs(const std::string& slurm_dir, const std::vector<Submission>& subs) {
    std::string text;
    for (const auto& s : subs)
        text += std::to_string(s.number) + " " + s.array_job + " " + (s.collect_job.empty() ? "-" : s.collect_job) + "\n";
    write_file_atomic(slurm_dir + "/jobs", text);
}

struct QueueRow {
    std::string job;     // array job id (%F), or the job id of a plain job
    long task = -1;      // array task index (%K), -1 for a plain job
    std::string state;   // PENDING, RUNNING, ...
    std::string reason;
};

// squeue rows of these jobs (array tasks expanded). A job that already left the queue is
// simply absent; squeue failing for another reason is a SweepError.
std::vector<QueueRow> queue_rows(const std::vector<std::string>& job_ids) {
    std::vector<QueueRow> rows;
    std::string ids;
    for (const auto& j : job_ids)
        if (!j.empty() && j != "-") ids += (ids.empty() ? "" : ",") + j;
    if (ids.empty()) return rows;
    const CommandResult r = run_command("squeue", {"-h", "-r", "-j", ids, "-o", "%F|%K|%T|%r"});
    if (!r.started) throw SweepError("squeue not found on PATH (the Slurm backend needs Slurm's client commands)");
    if (r.exit_code != 0) {
        // Every listed job has left the queue (and was purged from the controller).
        if ((r.errors + r.output).find("Invalid job id") != std::string::npos) return rows;
        throw SweepError("squeue failed: " + message_of(r));
    }
    std::stringstream ss(r.output);
    for (std::string line; std::getline(ss, line);) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
        if (f.size() < 3) continue;
        QueueRow q;
        q.job = f[0];
        q.task = f[1] == "N/A" || f[1].empty() ? -1 : std::atol(f[1].c_str());
        q.state = f[2];
        q.reason = f.size() > 3 ? f[3] : "";
        rows.push_back(q);
    }
    return rows;
}

std::vector<std::string> all_job_ids(const std::vector<Submission>& subs) {
    std::vector<std::string> ids;
    for (const auto& s : subs) {
        ids.push_back(s.array_job);
        if (!s.collect_job.empty() && s.collect_job != "-") ids.push_back(s.collect_job);
    }
    return ids;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::stringstream ss(read_text(path));
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
    return lines;
}

std::string sbatch_job_id(const CommandResult& r, const std::string& what) {
    if (!r.started) throw SweepError("sbatch not found on PATH");
    if (r.exit_code != 0) throw SweepError("sbatch refused the " + what + ": " + message_of(r));
    // --parsable prints "ID" or "ID;CLUSTER".
    std::string id = trim(r.output);
    id = id.substr(0, id.find(';'));
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
        throw SweepError("sbatch printed no job id for the " + what + ": '" + trim(r.output) + "'");
    return id;
}

std::string sbatch_lines(const SlurmSettings& s, int cpus) {
    std::string t;
    t += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
    if (!s.partition.empty()) t += "#SBATCH --partition=" + s.partition + "\n";
    if (!s.time.empty()) t += "#SBATCH --time=" + s.time + "\n";
    if (!s.mem.empty()) t += "#SBATCH --mem=" + s.mem + "\n";
    return t;
}

// Whether a sweep or a collect holds DIR's lock right now (shared by Slurm workers,
// exclusive by a local sweep).
bool directory_busy(const std::string& dir) {
    const int fd = ::open((dir + "/.sweep.lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    return busy;
}

}  // namespace

std::size_t choose_chunk(std::size_t points, int requested) {
    if (requested > 0) return static_cast<std::size_t>(requested);
    return std::max<std::size_t>(1, (points + kMaxTasks - 1) / kMaxTasks);
}

// The tasks and the collect job load the sweep file again: with the limit it was submitted with.
std::string max_points_flag(const SweepSpec& spec) {
    return spec.max_points == kDefaultMaxSweepPoints ? "" : " --max-points " + std::to_string(spec.max_points);
}

std::string array_script(const SweepSpec& spec, const SlurmSettings& settings, const std::string& exe,
                         const std::string& dir, const std::string& tasks_file, const std::string& job_name) {
    std::string t = "#!/bin/bash\n";
    t += "# " + job_name + ": job array written by `sotsim sweep --backend slurm` (see docs/sweeps.md).\n";
    t += "# Array task T runs the points on line T+1 of " + tasks_file + "\n";
    t += "# and writes them into " + dir + "/points/ exactly as a local sweep does.\n";
    t += sbatch_lines(settings, settings.cpus_per_task);
    t += "set -euo pipefail\n";
    t += "points=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" " + shell_quote(tasks_file) + ")\n";
    t += "[ -n \"$points\" ] || { echo \"sotsim sweep: no points for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 2; }\n";
    t += "exec " + shell_quote(exe) + " sweep " + shell_quote(absolute_path(spec.file, ".")) + " --points \"$points\"" +
         max_points_flag(spec) + " -o " + shell_quote(dir) + " -j \"${SLURM_CPUS_PER_TASK:-1}\" -q\n";
    return t;
}

SlurmSubmission submit_slurm(const SweepSpec& spec, const SweepOptions& options, const SlurmSettings& settings,
                             const std::string& exe) {
    if (find_on_path("sbatch").empty())
        throw SweepError("sbatch not found on PATH: the Slurm backend needs Slurm's client commands on this machine "
                         "(Debian package slurm-client)");
    const std::string dir = absolute_path(options.out_dir, ".");
    const std::string slurm_dir = dir + "/slurm";
    if (path_exists(dir) && !is_directory(dir))
        throw SweepError(dir + ": exists and is not a directory (-o names the sweep's output directory)");
    std::vector<Submission> subs = read_jobs(slurm_dir);
    if (!subs.empty() && !options.resume)
        throw SweepError(dir + ": already holds a submitted sweep; use --resume to continue it or choose another output directory");
    // A task of an earlier submission still queued would run its points a second time.
    for (const QueueRow& q : queue_rows(all_job_ids(subs)))
        throw SweepError(dir + ": Slurm job " + q.job + " of this sweep is still " + q.state +
                         "; wait for it (sotsim sweep --status " + dir + ") or scancel it before resubmitting");

    SweepOptions opt = options;
    opt.out_dir = dir;
    SlurmSubmission sub;
    plan_sweep(spec, opt, [&](const std::vector<std::size_t>& todo) {
        sub.points = todo.size();
        if (todo.empty()) return;
        make_dirs(slurm_dir);
        sub.number = subs.empty() ? 1 : subs.back().number + 1;
        sub.chunk = choose_chunk(todo.size(), settings.chunk);
        std::string tasks;
        for (std::size_t first = 0; first < todo.size(); first += sub.chunk) {
            const std::size_t last = std::min(todo.size(), first + sub.chunk);
            tasks += format_point_list(std::vector<std::size_t>(todo.begin() + static_cast<std::ptrdiff_t>(first),
                                                                todo.begin() + static_cast<std::ptrdiff_t>(last))) + "\n";
            ++sub.tasks;
        }
        const std::string k = std::to_string(sub.number);
        const std::string tasks_file = slurm_dir + "/submit-" + k + ".tasks";
        const std::string name = "sotsim-" + file_stem(spec.file);
        sub.script = slurm_dir + "/submit-" + k + ".sh";
        const std::string collect_script = slurm_dir + "/collect-" + k + ".sh";
        write_file_atomic(tasks_file, tasks);
        write_file_atomic(sub.script, array_script(spec, settings, exe, dir, tasks_file, name));
        write_file_atomic(collect_script,
                          "#!/bin/bash\n# Builds " + dir + "/results.csv once the array of submission " + k + " ended.\n" +
                              sbatch_lines(settings, 1) + "exec " + shell_quote(exe) + " sweep " +
                              shell_quote(absolute_path(spec.file, ".")) + max_points_flag(spec) + " --collect " +
                              shell_quote(dir) + " -q\n");

        std::string array = "--array=0-" + std::to_string(sub.tasks - 1);
        if (settings.throttle > 0) array += "%" + std::to_string(settings.throttle);
        std::vector<std::string> args = {"--parsable", array, "--job-name=" + name, "--chdir=" + dir,
                                         "--output=" + slurm_dir + "/task-%A_%a.log"};
        args.insert(args.end(), settings.sbatch_args.begin(), settings.sbatch_args.end());
        args.push_back(sub.script);
        sub.array_job = sbatch_job_id(run_command("sbatch", args), "job array");
        subs.push_back({sub.number, sub.array_job, ""});
        write_jobs(slurm_dir, subs);   // recorded before anything else can fail

        args = {"--parsable", "--dependency=afterany:" + sub.array_job, "--job-name=" + name + "-collect",
                "--chdir=" + dir, "--output=" + slurm_dir + "/collect-%j.log"};
        args.insert(args.end(), settings.sbatch_args.begin(), settings.sbatch_args.end());
        args.push_back(collect_script);
        try {
            sub.collect_job = sbatch_job_id(run_command("sbatch", args), "collect job");
        } catch (const SweepError& e) {
            throw SweepError(std::string(e.what()) + " (job array " + sub.array_job +
                             " is queued; run `sotsim sweep --collect " + dir + "` when it has ended)");
        }
        subs.back().collect_job = sub.collect_job;
        write_jobs(slurm_dir, subs);
    });
    if (sub.points == 0) sub.collected = collect_sweep(spec, opt);
    return sub;
}

std::string sweep_status(const SweepSpec& spec, const std::string& dir) {
    const std::vector<SweepPoint> points = expand(spec);
    const std::string points_dir = dir + "/points";
    const std::vector<std::string> names_list = list_dir(points_dir);
    const std::set<std::string> names(names_list.begin(), names_list.end());
    std::set<std::string> attempts;   // ids with a .tmp attempt directory
    for (const auto& n : names_list)
        if (const auto t = n.find(".tmp"); t != std::string::npos) attempts.insert(n.substr(0, t));
    const bool busy = directory_busy(dir);

    // Points of array tasks still in the queue (pending, or running but not yet at them).
    const std::string slurm_dir = dir + "/slurm";
    const std::vector<Submission> subs = read_jobs(slurm_dir);
    std::vector<QueueRow> rows;
    std::string queue_note;
    try {
        rows = queue_rows(all_job_ids(subs));
    } catch (const SweepError& e) {
        queue_note = std::string("queue unknown: ") + e.what();
    }
    std::set<std::size_t> queued;
    std::map<std::string, std::map<std::string, int>> states;   // job -> state -> tasks
    for (const QueueRow& q : rows) {
        ++states[q.job][q.state];
        for (const Submission& s : subs) {
            if (s.array_job != q.job || q.task < 0) continue;
            const auto lines = read_lines(slurm_dir + "/submit-" + std::to_string(s.number) + ".tasks");
            if (static_cast<std::size_t>(q.task) >= lines.size()) continue;
            try {
                for (std::size_t i : parse_point_list(lines[static_cast<std::size_t>(q.task)], points.size())) queued.insert(i);
            } catch (const SweepError&) {
            }
        }
    }

    std::size_t done = 0, running = 0, pending = 0, failed = 0, missing = 0;
    std::vector<std::string> failures;
    for (const SweepPoint& p : points) {
        if (names.count(p.id) && path_exists(points_dir + "/" + p.id + "/report.json")) ++done;
        else if (busy && attempts.count(p.id)) ++running;
        else if (queued.count(p.index)) ++pending;
        else if (names.count(p.id + ".failed")) {
            ++failed;
            if (failures.size() < 10) failures.push_back(p.id + ": " + first_line(points_dir + "/" + p.id + ".failed"));
        } else ++missing;
    }
    std::ostringstream out;
    out << dir << ": " << points.size() << " points: " << done << " done, " << running << " running, " << pending
        << " pending, " << failed << " failed, " << missing << " missing\n";
    for (const Submission& s : subs) {
        out << "slurm submission " << s.number << ": job array " << s.array_job;
        auto describe = [&](const std::string& job) {
            const auto it = states.find(job);
            if (it == states.end()) return std::string("no longer queued");
            std::string d;
            for (const auto& [state, n] : it->second) d += (d.empty() ? "" : ", ") + std::to_string(n) + " " + state;
            return d;
        };
        out << " (" << describe(s.array_job) << ")";
        if (!s.collect_job.empty() && s.collect_job != "-") out << ", collect job " << s.collect_job << " (" << describe(s.collect_job) << ")";
        out << "\n";
    }
    if (!queue_note.empty()) out << queue_note << "\n";
    if (!subs.empty()) {
        const CommandResult acct = run_command("sacct", {"-n", "-P", "-X", "-j", subs.back().array_job, "-o", "JobID,State"});
        if (acct.started && acct.exit_code == 0 && !trim(acct.output).empty()) {
            std::map<std::string, int> by_state;
            std::stringstream ss(acct.output);
            for (std::string line; std::getline(ss, line);)
                if (const auto bar = line.find('|'); bar != std::string::npos) ++by_state[line.substr(bar + 1)];
            out << "sacct, job " << subs.back().array_job << ":";
            for (const auto& [state, n] : by_state) out << " " << n << " " << state;
            out << "\n";
        } else {
            const std::string why = acct.started ? message_of(acct) : "sacct not found";
            out << "sacct: unavailable (" << (why.empty() ? "no records" : why)
                << "); finished tasks are judged from the point files\n";
        }
    }
    for (const auto& f : failures) out << "failed " << f << "\n";
    if (failed > 10) out << "... and " << failed - 10 << " more failed points\n";
    if (missing + failed > 0 && running + pending == 0)
        out << "to run the missing and failed points: sotsim sweep " << spec.file << " --backend slurm --resume -o " << dir << "\n";
    return out.str();
}

void wait_for_slurm(const SweepSpec& spec, const std::string& dir, bool quiet) {
    const std::vector<Submission> subs = read_jobs(dir + "/slurm");
    if (subs.empty()) return;
    const std::vector<std::string> ids = {subs.back().array_job, subs.back().collect_job};
    const bool progress = !quiet && ::isatty(STDERR_FILENO);
    const std::size_t total = expand(spec).size();
    int failures = 0;
    std::string last;
    while (true) {
        std::vector<QueueRow> rows;
        try {
            rows = queue_rows(ids);
            failures = 0;
        } catch (const SweepError&) {
            // A controller restart or a slow RPC is not the end of the sweep; a minute is.
            if (++failures >= 30) throw;
        }
        if (failures == 0 && rows.empty()) break;
        if (progress) {
            std::size_t done = 0;
            for (const auto& n : list_dir(dir + "/points")) done += n.find('.') == std::string::npos;
            std::size_t running = 0, pending = 0;
            for (const auto& q : rows) (q.state == "RUNNING" ? running : pending) += q.task >= 0;
            char line[200];
            std::snprintf(line, sizeof line, "\r[%zu/%zu] %zu tasks running, %zu pending\033[K", done, total, running, pending);
            if (line != last) std::fputs(line, stderr), std::fflush(stderr), last = line;
        }
        std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    if (progress) std::fputc('\n', stderr);
}

}  // namespace sotsim::sweep
