#include "platform/sweep/ChildProcess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace sotsim::sweep {
namespace {

std::vector<char*> argv_of(const std::string& exe, const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return argv;
}

// In the forked child, before exec: only async-signal-safe calls from here on.
void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void child_fail(int fd, int err) {
    // Report errno of a failed set-up or exec to the parent through the CLOEXEC pipe.
    ssize_t ignored = ::write(fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

// Waits for the exec-status pipe: 0 bytes = exec succeeded, an int = errno of the failure.
int exec_error(int fd) {
    int err = 0;
    ssize_t n;
    do {
        n = ::read(fd, &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

}  // namespace

pid_t spawn_point_process(const std::string& exe, const std::vector<std::string>& args,
                          const std::string& log_path, std::string& error) {
    std::vector<char*> argv = argv_of(exe, args);
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return -1;
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(status_pipe[0]);
        ::close(status_pipe[1]);
        return -1;
    }
    if (pid == 0) {
        ::close(status_pipe[0]);
        reset_signals();
        // Dies with the sweep. The signal is tied to the thread that forked us; sweeps run
        // on the main thread. If the sweep already died between fork and prctl we were
        // re-parented and no signal will come: leave now.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(status_pipe[1], errno);
        if (::getppid() != parent) ::_exit(127);
        if (::setpgid(0, 0) != 0) child_fail(status_pipe[1], errno);
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0) child_fail(status_pipe[1], errno);
        if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(out, STDERR_FILENO) < 0)
            child_fail(status_pipe[1], errno);
        if (in > STDERR_FILENO) ::close(in);
        if (out > STDERR_FILENO) ::close(out);
        ::execve(exe.c_str(), argv.data(), environ);
        child_fail(status_pipe[1], errno);
    }
    ::close(status_pipe[1]);
    // The parent sets the group too: whichever runs first, the group exists before the
    // sweep may signal it.
    ::setpgid(pid, pid);
    if (const int err = exec_error(status_pipe[0])) {
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        error = std::strerror(err);
        return -1;
    }
    return pid;
}

std::string find_on_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t colon = dirs.find(':', start);
        if (colon == std::string::npos) colon = dirs.size();
        std::string dir = dirs.substr(start, colon - start);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = colon + 1;
    }
    return "";
}

CommandResult run_command(const std::string& name, const std::vector<std::string>& args) {
    CommandResult r;
    const std::string exe = find_on_path(name);
    if (exe.empty()) {
        r.output = name + ": command not found";
        return r;
    }
    std::vector<char*> argv = argv_of(exe, args);
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return r;
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return r;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        reset_signals();
        const int in = ::open("/dev/null", O_RDONLY);
        if (in >= 0) ::dup2(in, STDIN_FILENO);
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return r;
    }
    r.started = true;
    // Both pipes at once: a command filling stderr must not block while we read stdout.
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.output, &r.errors};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[k]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[k].fd);
                fds[k].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

}  // namespace sotsim::sweep
