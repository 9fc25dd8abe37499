// Runs sweep points as child processes, N at a time, and turns their outcomes into
// points/<id>/ (atomic directory rename), points/<id>.failed and results.csv.
//
// Interruption: SIGINT/SIGTERM set a flag; the loop stops launching, forwards the signal to
// every running child's process group, waits for them (escalating to SIGKILL after a grace
// period or on a second signal), deletes their .tmp directories and writes results.csv.
// Because a point only becomes "finished" by one rename(2), a resumed sweep runs every
// unfinished point exactly once more and never a finished one.
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
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
#include <sstream>
#include <thread>

#include "platform/sweep/Sweep.h"
#include "platform/sweep/SweepResults.h"
#include "platform/sweep/SweepText.h"

extern char** environ;

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

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        throw SweepError(path + ": cannot create directory: " + std::strerror(errno));
}

void make_dirs(const std::string& path) {
    std::string partial;
    std::stringstream ss(path);
    if (!path.empty() && path.front() == '/') partial = "/";
    for (std::string part; std::getline(ss, part, '/');) {
        if (part.empty()) continue;
        partial += (partial.empty() || partial.back() == '/' ? "" : "/") + part;
        make_dir(partial);
    }
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
    }
    return names;
}

extern "C" int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
    return ::remove(path);
}

void remove_tree(const std::string& path) {
    if (exists(path)) ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

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

// What the sweep must not change between a run and its --resume: everything that decides a
// point's result except the parameter values (those are in the point ids).
std::string manifest_text(const SweepSpec& spec) {
    std::string m = "base: " + spec.base + "\n";
    m += "base_sha: " + std::to_string(fnv1a64(read_text(spec.base))) + "\n";
    m += "model: " + spec.workload.model + "\n";
    m += "dataset: " + spec.workload.dataset + "\n";
    m += "labels: " + spec.workload.labels + "\n";
    m += "split: " + spec.workload.split + "\n";
    m += "samples: " + std::to_string(spec.workload.samples) + "\n";
    m += std::string("ideal: ") + (spec.ideal ? "true" : "false") + "\n";
    for (const auto& s : spec.set) m += "set: " + s + "\n";
    return m;
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

    SweepSummary run() {
        prepare();
        std::vector<std::size_t> queue;
        for (std::size_t i = 0; i < points_.size(); ++i) {
            const std::string final_dir = points_dir_ + "/" + points_[i].id;
            if (exists(final_dir + "/report.json")) {
                results_[i] = read_report(final_dir + "/report.json", spec_.metrics);
                ++summary_.skipped;
            } else {
                // A point directory without its report was tampered with: not a result.
                remove_tree(final_dir);
                // A failed point of an earlier run is retried (documented in docs/sweeps.md).
                ::remove((points_dir_ + "/" + points_[i].id + ".failed").c_str());
                queue.push_back(i);
            }
        }
        write_csv();

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
        summary_.total = points_.size();
        for (const auto& r : results_) {
            if (r.status == PointStatus::Ok) ++summary_.ok;
            else if (r.status == PointStatus::Failed) ++summary_.failed;
            else ++summary_.not_run;
        }
        summary_.results_csv = csv_;
        return summary_;
    }

private:
    const SweepSpec& spec_;
    const SweepOptions& opt_;
    std::vector<SweepPoint> points_;
    std::vector<PointResult> results_;
    std::vector<Running> running_;
    std::string dir_, points_dir_, csv_;
    int jobs_ = 1;
    bool progress_ = false;
    int lock_fd_ = -1;
    std::string last_progress_;
    SweepSummary summary_;

    void prepare() {
        if (opt_.runner_exe.empty() || ::access(opt_.runner_exe.c_str(), X_OK) != 0)
            throw SweepError("sweep runner '" + opt_.runner_exe + "' is not an executable file");
        make_dirs(dir_);
        // One sweep per directory: two writers would run points twice and race on the CSV.
        lock_fd_ = ::open((dir_ + "/.sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
            throw SweepError(dir_ + ": another sweep is running in this directory");
        const bool has_results = !list_dir(points_dir_).empty() || exists(csv_);
        if (has_results && !opt_.resume)
            throw SweepError(dir_ + ": already holds sweep results; use --resume to continue it or choose another output directory");
        const std::string manifest_path = dir_ + "/sweep.manifest";
        const std::string manifest = manifest_text(spec_);
        if (has_results && exists(manifest_path) && read_text(manifest_path) != manifest)
            throw SweepError(dir_ + ": was started with a different base config, workload or set overrides (see " +
                             manifest_path + "); use a new output directory");
        write_file_atomic(manifest_path, manifest);
        make_dir(points_dir_);
        // Leftovers of a run killed without cleanup (SIGKILL, power loss) are never results.
        for (const auto& name : list_dir(points_dir_))
            if (ends_with(name, ".tmp")) remove_tree(points_dir_ + "/" + name);
    }

    void launch(std::size_t i) {
        const SweepPoint& p = points_[i];
        const std::string tmp = points_dir_ + "/" + p.id + ".tmp";
        remove_tree(tmp);
        make_dir(tmp);
        const std::vector<std::string> args = runner_arguments(spec_, p, tmp);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(opt_.runner_exe.c_str()));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);

        const std::string log = tmp + "/log.txt";
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        // Own process group: a terminal ^C reaches only the sweep, which forwards it once to
        // each child group (including anything the child started).
        posix_spawnattr_setpgroup(&attr, 0);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, opt_.runner_exe.c_str(), &fa, &attr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) {
            record_failure(i, tmp, std::string("cannot start ") + opt_.runner_exe + ": " + std::strerror(rc));
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
            results_[r.point] = read_report(final_dir + "/report.json", spec_.metrics);
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
        write_csv();
    }

    void write_csv() { write_results_csv(csv_, spec_, points_, results_); }

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

}  // namespace sotsim::sweep
