#include "models/physics/TaskPool.h"

#include <algorithm>
#include <map>

namespace sotsim::phys {

TaskPool::TaskPool(int threads) : threads_(std::max(1, threads)) {
    for (int k = 1; k < threads_; ++k) workers_.emplace_back([this] { worker(); });
}

TaskPool::~TaskPool() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!queue_.empty()) {
        const Handle t = queue_.front();
        queue_.pop_front();
        run(t, lock);
    }
    stop_ = true;
    lock.unlock();
    work_cv_.notify_all();
    for (auto& w : workers_) w.join();
}

TaskPool::Handle TaskPool::submit(Work work) {
    auto t = std::make_shared<Task>();
    t->work_ = std::move(work);
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(t);
    }
    work_cv_.notify_one();
    return t;
}

void TaskPool::run(const Handle& t, std::unique_lock<std::mutex>& lock) {
    t->started_ = true;
    ++running_;
    // Its share of the budget among the tasks in flight now (itself included).
    const int share = std::max(1, threads_ / std::max(1, running_ + static_cast<int>(queue_.size())));
    lock.unlock();
    std::exception_ptr error;
    try {
        t->work_(share);
    } catch (...) {
        error = std::current_exception();
    }
    lock.lock();
    t->error_ = error;
    t->work_ = nullptr;   // release what the task captured
    t->done_ = true;
    --running_;
    done_cv_.notify_all();
}

void TaskPool::worker() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;   // stop_ and nothing left
        const Handle t = queue_.front();
        queue_.pop_front();
        run(t, lock);
    }
}

void TaskPool::wait(const Handle& h) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!h->done_) {
        if (!h->started_) {
            // Not picked up yet: run it here (first the one waited for).
            queue_.erase(std::find(queue_.begin(), queue_.end(), h));
            run(h, lock);
        } else if (!queue_.empty()) {
            const Handle t = queue_.front();   // help while a worker finishes h
            queue_.pop_front();
            run(t, lock);
        } else {
            done_cv_.wait(lock);
        }
    }
    if (h->error_) std::rethrow_exception(h->error_);
}

int TaskPool::resolve(int threads) {
    if (threads > 0) return threads;
    // Read once: glibc answers hardware_concurrency by opening and reading
    // /sys/devices/system/cpu/online every time, and shared() runs twice per macro program
    // (218 opens in the demo's 1-sample run).
    static const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return hardware;
}

TaskPool& TaskPool::shared(int threads) {
    static std::mutex mu;
    static std::map<int, std::unique_ptr<TaskPool>> pools;
    const int n = resolve(threads);
    std::lock_guard<std::mutex> lock(mu);
    auto& p = pools[n];
    if (!p) p = std::make_unique<TaskPool>(n);
    return *p;
}

}  // namespace sotsim::phys
