// A pool of worker threads for independent CPU-heavy tasks that the simulation starts early
// and waits for late: the exact IR-drop transfer matrices of the macros programmed in one
// phase (CrossbarArray::begin_build / finish_build).
//
// Why: programming a macro solves its transfer matrix (O(N^3), tens of ms at 256 x 256), and
// the chip programs many macros before it reads any. Started as tasks, the solves of
// different macros run on all cores while the simulation issues the next programs.
//
// Results never depend on the pool: a task is a function of its own inputs only, and the
// caller reads its result after wait(), so only *when* it is computed changes with the thread
// count or the order in which workers pick tasks up. Tasks must not call SystemC.
//
// One budget: a pool of `threads` runs at most `threads` tasks at once (threads - 1 workers
// plus the waiting caller, which runs queued tasks itself instead of idling), and each task
// is told how many threads it may use inside (threads / tasks in flight, at least 1), so a
// lone task still splits over all cores and many tasks do not oversubscribe them.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sotsim::phys {

class TaskPool {
public:
    // `work(threads)`: the task's body, with the threads it may use inside (>= 1).
    using Work = std::function<void(int threads)>;
    class Task;
    using Handle = std::shared_ptr<Task>;

    explicit TaskPool(int threads);   // threads >= 1 (the caller included)
    ~TaskPool();                      // runs what is still queued, then joins the workers
    TaskPool(const TaskPool&) = delete;
    TaskPool& operator=(const TaskPool&) = delete;

    Handle submit(Work work);
    // Returns when `h` has run (running queued tasks meanwhile); rethrows the exception the
    // task ended with, every time it is waited for.
    void wait(const Handle& h);
    int threads() const { return threads_; }

    // The process-wide pool of `threads` threads (<= 0: one per hardware thread), made on
    // first use and kept for the process (one per size asked for: a process runs one config).
    static TaskPool& shared(int threads);
    static int resolve(int threads);   // <= 0 -> hardware threads (at least 1)

private:
    void worker();
    // Runs `t` on the calling thread; lock held on entry and on return.
    void run(const Handle& t, std::unique_lock<std::mutex>& lock);

    const int threads_;
    std::mutex mu_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<Handle> queue_;
    int running_ = 0;
    bool stop_ = false;
    std::vector<std::thread> workers_;
};

class TaskPool::Task {
    friend class TaskPool;
    Work work_;
    bool started_ = false, done_ = false;
    std::exception_ptr error_;
};

}  // namespace sotsim::phys
