// Runs sweep points as child processes, N at a time, and turns their outcomes into
// points/<id>/ (atomic directory rename), points/<id>.failed and results.csv.
//
// Interruption: SIGINT/SIGTERM set a flag; the loop stops launching, forwards the signal to
// every running child's process group, waits for them (escalating to SIGKILL after a grace
// period or on a second signal), deletes their .tmp directories and writes results.csv.
// Because a point only becomes "finished" by one rename(2), a resumed sweep runs every
// unfinished point exactly once more and never a finished one.
//
// No orphans: children die with the sweep (PR_SET_PDEATHSIG, ChildProcess.cpp), even on
// SIGKILL. Each attempt writes into its own points/<id>.tmp.<host>.<pid>/, named after the
// process that owns it, so nothing a dead owner's child might still write can land in a
// later attempt's directory, and only the owner renames its attempt into place.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "platform/config/ConfigLoader.h"
#include "platform/sweep/ChildProcess.h"
#include "platform/sweep/Sweep.h"
#include "platform/sweep/SweepFs.h"
#include "platform/sweep/SweepManifest.h"
#include "platform/sweep/SweepResults.h"
#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;   // first SIGINT/SIGTERM received
volatile std::sig_atomic_t g_signal_count = 0;

extern "C" void on_stop_signal(int sig) {
    if (g_stop_signal == 0) g_stop_signal = sig;
    g_signal_count = g_signal_count + 1;
}

// Installs the stop handlers for the duration of a sweep and restores the caller's after.
class StopSignals {
public:
    StopSignals() {
        g_stop_signal = 0;
        g_signal_count = 0;
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;   // no SA_RESTART: a signal should cut a sleep short
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    struct sigaction old_int_ {}, old_term_ {};
};

bool exists(const std::string& path) { return path_exists(path); }

std::string last_nonempty_line(const std::string& text) {
    std::stringstream ss(text);
    std::string last;
    for (std::string line; std::getline(ss, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        // A progress line ends in '\r'-separated updates; keep its last state.
        const auto cr = line.find_last_of('\r');
        if (cr != std::string::npos) line = line.substr(cr + 1);
        if (!line.empty()) last = line;
    }
    return last;
}

struct Running {
    pid_t pid = -1;
    std::size_t point = 0;
    std::string tmp_dir;
};

class Runner {
public:
    Runner(const SweepSpec& spec, const SweepOptions& opt)
        : spec_(spec), opt_(opt), points_(expand(spec)), results_(points_.size()) {
        dir_ = opt.out_dir.empty() ? std::string("sweep_results") : opt.out_dir;
        points_dir_ = dir_ + "/points";
        csv_ = dir_ + "/results.csv";
        jobs_ = opt.jobs > 0 ? opt.jobs : static_cast<int>(std::thread::hardware_concurrency());
        if (jobs_ <= 0) jobs_ = 1;
        progress_ = !opt.quiet && ::isatty(STDERR_FILENO);
    }

    // Normally nothing is running here; after an exception (e.g. disk full while writing the
    // CSV) no child may outlive the sweep or leave a .tmp directory behind.
    ~Runner() {
        for (const auto& r : running_) {
            ::kill(-r.pid, SIGKILL);
            int status = 0;
            while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
            }
            remove_tree(r.tmp_dir);
        }
        if (lock_fd_ >= 0) ::close(lock_fd_);
    }

    // Prepares the directory (lock, manifest, leftovers) and returns the points that still
    // need a run, in order; stale point directories are removed.
    std::vector<std::size_t> plan() {
        prepare();
        std::vector<std::size_t> queue;
        std::size_t stale = 0;
        for (const std::size_t i : selection()) {
            const std::string final_dir = points_dir_ + "/" + points_[i].id;
            if (exists(final_dir + "/report.json")) {
                PointResult r = read_checked(i, final_dir + "/report.json");
                if (r.status == PointStatus::Ok) {
                    results_[i] = std::move(r);
                    ++summary_.skipped;
                    continue;
                }
                // Computed with other inputs (resume --force after an edit) or unreadable:
                // not a result of this sweep; it runs again.
                ++stale;
            }
            // A point directory without its report was tampered with: not a result.
            remove_tree(final_dir);
            // A failed point of an earlier run is retried (documented in docs/sweeps.md).
            ::remove((points_dir_ + "/" + points_[i].id + ".failed").c_str());
            queue.push_back(i);
        }
        if (stale > 0 && !opt_.quiet)
            std::fprintf(stderr, "sweep: %zu finished point(s) do not match the current inputs and run again\n", stale);
        write_csv();
        return queue;
    }

    SweepSummary run() {
        const std::vector<std::size_t> queue = plan();
        StopSignals signals;
        std::size_t next = 0;
        auto forwarded_at = std::chrono::steady_clock::time_point{};
        int forwarded_count = 0;
        bool killed = false;
        while (true) {
            const bool stop = g_stop_signal != 0;
            while (!stop && running_.size() < static_cast<std::size_t>(jobs_) && next < queue.size())
                launch(queue[next++]);
            if (running_.empty() && (stop || next >= queue.size())) break;

            if (stop && forwarded_count < g_signal_count) {
                // First signal: pass it on; a repeated one means "now": SIGKILL.
                const int sig = forwarded_count == 0 ? static_cast<int>(g_stop_signal) : SIGKILL;
                signal_children(sig);
                if (forwarded_count == 0) forwarded_at = std::chrono::steady_clock::now();
                forwarded_count = g_signal_count;
            }
            if (stop && !killed && std::chrono::steady_clock::now() - forwarded_at > std::chrono::seconds(10)) {
                signal_children(SIGKILL);   // a child ignoring the signal must not hang the sweep
                killed = true;
            }
            if (!reap()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            show_progress();
        }
        summary_.interrupted = g_stop_signal != 0;
        write_csv();
        if (progress_) {
            show_progress();
            std::fputc('\n', stderr);
            std::fflush(stderr);
        }
        return summarize();
    }

    // results.csv from the point files alone (after a Slurm array): every finished report
    // is checked against its point's inputs; a stale one is reported, never taken.
    SweepSummary collect() {
        if (!has_manifest(dir_)) throw SweepError(dir_ + ": not a sweep directory (no sweep.manifest)");
        prepare();
        for (std::size_t i = 0; i < points_.size(); ++i) {
            const std::string final_dir = points_dir_ + "/" + points_[i].id;
            const std::string failed = points_dir_ + "/" + points_[i].id + ".failed";
            if (exists(final_dir + "/report.json")) {
                results_[i] = read_checked(i, final_dir + "/report.json");
            } else if (exists(failed)) {
                results_[i].status = PointStatus::Failed;
                results_[i].metrics.assign(spec_.metrics.size(), "");
                results_[i].error = first_line(failed);
            }
        }
        write_csv();
        return summarize();
    }

private:
    SweepSummary summarize() {
        summary_.total = selection().size();
        for (const std::size_t i : selection()) {
            const PointResult& r = results_[i];
            if (r.status == PointStatus::Ok) ++summary_.ok;
            else if (r.status == PointStatus::NotRun) ++summary_.not_run;
            else ++summary_.failed;
        }
        summary_.results_csv = csv_;
        return summary_;
    }

    const SweepSpec& spec_;
    const SweepOptions& opt_;
    std::vector<SweepPoint> points_;
    std::vector<PointResult> results_;
    std::vector<Running> running_;
    std::string dir_, points_dir_, csv_;
    int jobs_ = 1;
    bool progress_ = false;
    int lock_fd_ = -1;
    std::string attempt_suffix_;   // ".tmp.<host>.<pid>": this process's attempt directories
    std::string model_sha_;
    std::string last_progress_;
    SweepSummary summary_;

    // All points, or a worker's share.
    std::vector<std::size_t> selection() const {
        if (opt_.worker) return opt_.only_points;
        std::vector<std::size_t> all(points_.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        return all;
    }

    void prepare() {
        if (opt_.runner_exe.empty() || ::access(opt_.runner_exe.c_str(), X_OK) != 0)
            throw SweepError("sweep runner '" + opt_.runner_exe + "' is not an executable file");
        if (exists(dir_) && !is_directory(dir_))
            throw SweepError(dir_ + ": exists and is not a directory (-o names the sweep's output directory)");
        char host[256] = "host";
        ::gethostname(host, sizeof host - 1);
        attempt_suffix_ = std::string(".tmp.") + host + "." + std::to_string(::getpid());
        const Manifest current = make_manifest(spec_, opt_.dataset_digest);
        model_sha_ = current.field("model_sha256");
        if (opt_.worker) prepare_worker(current);
        else prepare_coordinator(current);
        make_dirs(points_dir_);
        // Leftovers of a run killed without cleanup (SIGKILL, power loss, a cancelled task)
        // are never results. A worker only touches its own points: other tasks run beside it.
        std::set<std::string> mine;
        for (const std::size_t i : selection()) mine.insert(points_[i].id);
        for (const auto& name : list_dir(points_dir_)) {
            const auto tmp = name.find(".tmp");
            if (tmp == std::string::npos) continue;
            if (!opt_.worker || mine.count(name.substr(0, tmp))) remove_tree(points_dir_ + "/" + name);
        }
    }

    // The local backend, a collect or a resume: the only process in the directory.
    void prepare_coordinator(const Manifest& current) {
        make_dirs(dir_);
        // One sweep per directory: two writers would run points twice and race on the CSV.
        lock_fd_ = ::open((dir_ + "/.sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
            throw SweepError(dir_ + ": another sweep (or a Slurm task of this one) is running in this directory");
        const bool has_results = !list_dir(points_dir_).empty() || exists(csv_);
        if (has_results && !opt_.resume)
            throw SweepError(dir_ + ": already holds sweep results; use --resume to continue it or choose another output directory");
        if (has_results) check_inputs(current, opt_.force);
        write_manifest(dir_, current);
    }

    // A Slurm array task: many run at once in the same directory (shared lock), on inputs
    // fixed at submission.
    void prepare_worker(const Manifest& current) {
        if (!has_manifest(dir_))
            throw SweepError(dir_ + ": no sweep manifest; --points runs a share of a sweep prepared by "
                             "`sotsim sweep --backend slurm`");
        lock_fd_ = ::open((dir_ + "/.sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_SH | LOCK_NB) != 0)
            throw SweepError(dir_ + ": a local sweep or collect holds this directory");
        check_inputs(current, /*force=*/false);
    }

    void check_inputs(const Manifest& current, bool force) {
        if (!has_manifest(dir_)) {
            if (force) return;
            throw SweepError(dir_ + ": holds results but no sweep.manifest, so its inputs are unknown; "
                             "use --force to resume anyway or a new output directory");
        }
        const std::string changes = describe_changes(read_manifest(dir_), current);
        if (changes.empty() || force) return;
        throw SweepError(dir_ + ": inputs changed since this sweep started: " + changes + " (see " + dir_ +
                         "/sweep.manifest); use a new output directory, or --force to resume anyway "
                         "(finished points whose report no longer matches run again)");
    }

    // A finished point's report, checked against what this point must have run.
    PointResult read_checked(std::size_t i, const std::string& report) {
        PointExpectation expect;
        expect.model_sha256 = model_sha_;
        try {
            expect.config_yaml = point_config_yaml(spec_, points_[i]);
        } catch (const config::ConfigError& e) {
            PointResult r;
            r.status = PointStatus::Stale;
            r.metrics.assign(spec_.metrics.size(), "");
            r.error = std::string("stale result: the point's config no longer loads: ") + e.what();
            return r;
        }
        return read_report(report, spec_.metrics, &expect);
    }

    void launch(std::size_t i) {
        const SweepPoint& p = points_[i];
        const std::string tmp = points_dir_ + "/" + p.id + attempt_suffix_;
        remove_tree(tmp);
        make_dirs(tmp);
        std::string error;
        const pid_t pid = spawn_point_process(opt_.runner_exe, runner_arguments(spec_, p, tmp), tmp + "/log.txt", error);
        if (pid < 0) {
            record_failure(i, tmp, "cannot start " + opt_.runner_exe + ": " + error);
            return;
        }
        running_.push_back({pid, i, tmp});
    }

    void signal_children(int sig) {
        for (const auto& r : running_) ::kill(-r.pid, sig);
    }

    // Collects every child that has ended; true if any did.
    bool reap() {
        bool any = false;
        for (std::size_t k = 0; k < running_.size();) {
            int status = 0;
            const pid_t got = ::waitpid(running_[k].pid, &status, WNOHANG);
            if (got == 0 || (got < 0 && errno == EINTR)) {
                ++k;
                continue;
            }
            const Running r = running_[k];
            running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(k));
            finish(r, got < 0 ? -1 : status);
            any = true;
        }
        return any;
    }

    void finish(const Running& r, int status) {
        const SweepPoint& p = points_[r.point];
        const bool exited_ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        const std::string final_dir = points_dir_ + "/" + p.id;
        if (exited_ok && exists(r.tmp_dir + "/report.json")) {
            if (::rename(r.tmp_dir.c_str(), final_dir.c_str()) != 0) {
                record_failure(r.point, r.tmp_dir, "cannot move results to " + final_dir + ": " + std::strerror(errno));
                return;
            }
            results_[r.point] = read_checked(r.point, final_dir + "/report.json");
            log_point(r.point);
            write_csv();
            return;
        }
        if (g_stop_signal != 0) {
            // Stopped by us: not a result. It stays pending for --resume.
            remove_tree(r.tmp_dir);
            return;
        }
        const std::string log = read_text(r.tmp_dir + "/log.txt");
        std::string error = last_nonempty_line(log);
        std::string how;
        if (status < 0) how = "lost track of the child process";
        else if (WIFSIGNALED(status)) how = std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0) how = "exit status " + std::to_string(WEXITSTATUS(status));
        else how = "exited without writing report.json";
        if (error.empty()) error = how;
        else if (status >= 0 && (WIFSIGNALED(status) || WEXITSTATUS(status) == 0)) error = how + ": " + error;
        record_failure(r.point, r.tmp_dir, error, log);
    }

    // points/<id>.failed: first line the error, then the run's complete log.
    void record_failure(std::size_t i, const std::string& tmp_dir, const std::string& error,
                        const std::string& log = "") {
        const std::string failed = points_dir_ + "/" + points_[i].id + ".failed";
        write_file_atomic(failed, error + "\n" + (log.empty() ? "" : "\n--- log ---\n" + log));
        remove_tree(tmp_dir);
        results_[i].status = PointStatus::Failed;
        results_[i].metrics.assign(spec_.metrics.size(), "");
        results_[i].error = error;
        log_point(i);
        write_csv();
    }

    // The CSV is the coordinator's: workers of a Slurm array only write point files.
    void write_csv() {
        if (!opt_.worker) write_results_csv(csv_, spec_, points_, results_);
    }

    // A worker's task log gets one line per point, so a cluster run can be audited.
    void log_point(std::size_t i) {
        if (!opt_.worker) return;
        const PointResult& r = results_[i];
        std::printf("sweep: point %s %s%s%s\n", points_[i].id.c_str(),
                    r.status == PointStatus::Ok ? "ok" : r.status == PointStatus::Stale ? "stale" : "failed",
                    r.error.empty() ? "" : ": ", r.error.c_str());
        std::fflush(stdout);
    }

    void show_progress() {
        if (!progress_) return;
        std::size_t done = 0, failed = 0;
        for (const auto& r : results_) {
            done += r.status != PointStatus::NotRun;
            failed += r.status == PointStatus::Failed;
        }
        char line[160];
        std::snprintf(line, sizeof line, "\r[%zu/%zu] %zu running, %zu failed%s\033[K", done, points_.size(),
                      running_.size(), failed, g_stop_signal ? ", stopping" : "");
        if (line == last_progress_) return;   // redraw only on change (slow terminals, logs)
        last_progress_ = line;
        std::fputs(line, stderr);
        std::fflush(stderr);
    }
};

}  // namespace

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& options) {
    return Runner(spec, options).run();
}

SweepSummary collect_sweep(const SweepSpec& spec, const SweepOptions& options) {
    SweepOptions o = options;
    o.resume = true;    // a collect reads what is there
    o.force = false;    // and refuses results of changed inputs
    o.worker = false;
    return Runner(spec, o).collect();
}

void plan_sweep(const SweepSpec& spec, const SweepOptions& options,
                const std::function<void(const std::vector<std::size_t>&)>& with_points) {
    SweepOptions o = options;
    o.worker = false;
    Runner runner(spec, o);
    with_points(runner.plan());
}

}  // namespace sotsim::sweep
