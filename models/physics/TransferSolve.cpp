#include "models/physics/TransferSolve.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <list>
#include <map>
#include <mutex>
#include <utility>

#include "models/physics/IrDropSchur.h"

namespace sotsim::phys {
namespace {

using Id = std::pair<std::uint64_t, std::uint64_t>;

struct Entry {
    bool done = false;
    std::shared_ptr<const Eigen::MatrixXd> mt;   // M^T, shared with the arrays that read it
    std::exception_ptr error;
    std::list<Id>::iterator lru;   // finished entries only
};

// Finished matrices kept in memory up to this many bytes (least recently used dropped):
// a time-multiplexed block is reprogrammed once per batch with the same conductances (the
// 72-macro preset reprograms 108 blocks per batch), so its M is asked for again and again,
// with or without the disk cache. 256 MiB holds 512 matrices of 256 x 256.
constexpr double kKeepBytes = 256.0 * 1024 * 1024;

std::mutex mu;
std::condition_variable done_cv;
std::map<Id, std::shared_ptr<Entry>> entries;   // solving, or finished and kept
std::list<Id> lru;                               // finished, most recently used first
double kept_bytes = 0;
std::atomic<long> solves{0}, shared{0};

double bytes(const Eigen::MatrixXd& m) { return static_cast<double>(m.size()) * sizeof(double); }
double bytes(const std::shared_ptr<const Eigen::MatrixXd>& m) { return m ? bytes(*m) : 0.0; }

// Lock held: `e` (of `id`) has finished without error; keep it, drop the oldest beyond the bound.
void keep(const Id& id, const std::shared_ptr<Entry>& e) {
    lru.push_front(id);
    e->lru = lru.begin();
    kept_bytes += bytes(e->mt);
    while (kept_bytes > kKeepBytes && !lru.empty()) {
        auto old = entries.find(lru.back());
        kept_bytes -= bytes(old->second->mt);
        entries.erase(old);
        lru.pop_back();
    }
}

}  // namespace

Eigen::MatrixXd transfer_matrix_once(const Eigen::MatrixXd& g, double r_row, double r_col,
                                     const std::shared_ptr<TransferStore>& store, int threads) {
    return transfer_matrix_t_once(g, r_row, r_col, store, threads)->transpose();
}

std::shared_ptr<const Eigen::MatrixXd> transfer_matrix_t_once(const Eigen::MatrixXd& g, double r_row, double r_col,
                                                              const std::shared_ptr<TransferStore>& store, int threads) {
    const TransferKey key = transfer_key(g, r_row, r_col);
    const Id id{key.hi, key.lo};
    std::shared_ptr<Entry> mine;
    {
        std::unique_lock<std::mutex> lock(mu);
        auto it = entries.find(id);
        if (it != entries.end()) {
            const std::shared_ptr<Entry> other = it->second;
            ++shared;
            if (other->done) lru.splice(lru.begin(), lru, other->lru);   // recently used
            done_cv.wait(lock, [&] { return other->done; });
            if (other->error) std::rethrow_exception(other->error);
            return other->mt;
        }
        mine = std::make_shared<Entry>();
        entries.emplace(id, mine);
    }
    std::shared_ptr<const Eigen::MatrixXd> mt;
    std::exception_ptr error;
    try {
        const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
        Eigen::MatrixXd m;
        if (!store || !store->load(key, rows, cols, m)) {
            m = ir_drop_transfer_schur(g, 1.0 / r_row, 1.0 / r_col, threads);
            ++solves;
            if (store) store->save(key, m);
        }
        mt = std::make_shared<const Eigen::MatrixXd>(m.transpose());
    } catch (...) {
        error = std::current_exception();
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        mine->mt = mt;
        mine->error = error;
        mine->done = true;
        if (error)
            entries.erase(id);   // a failure is not kept: the next request tries again
        else
            keep(id, mine);
    }
    done_cv.notify_all();
    if (error) std::rethrow_exception(error);
    return mt;
}

void forget_kept_transfers() {
    std::lock_guard<std::mutex> lock(mu);
    for (const Id& id : lru) entries.erase(id);
    lru.clear();
    kept_bytes = 0;
}

TransferSolveCounts transfer_solve_counts() { return {solves.load(), shared.load()}; }

}  // namespace sotsim::phys
