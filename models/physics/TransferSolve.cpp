#include "models/physics/TransferSolve.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <utility>

#include "models/physics/IrDropSchur.h"

namespace sotsim::phys {
namespace {

struct InFlight {
    bool done = false;
    Eigen::MatrixXd m;
    std::exception_ptr error;
};

std::mutex mu;
std::condition_variable done_cv;
std::map<std::pair<std::uint64_t, std::uint64_t>, std::shared_ptr<InFlight>> in_flight;
std::atomic<long> solves{0}, shared{0};

}  // namespace

Eigen::MatrixXd transfer_matrix_once(const Eigen::MatrixXd& g, double r_row, double r_col,
                                     const std::shared_ptr<TransferStore>& store, int threads) {
    const TransferKey key = transfer_key(g, r_row, r_col);
    const auto id = std::make_pair(key.hi, key.lo);
    std::shared_ptr<InFlight> mine;
    {
        std::unique_lock<std::mutex> lock(mu);
        auto it = in_flight.find(id);
        if (it != in_flight.end()) {
            const std::shared_ptr<InFlight> other = it->second;
            ++shared;
            done_cv.wait(lock, [&] { return other->done; });
            if (other->error) std::rethrow_exception(other->error);
            return other->m;
        }
        mine = std::make_shared<InFlight>();
        in_flight.emplace(id, mine);
    }
    Eigen::MatrixXd m;
    std::exception_ptr error;
    try {
        const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
        if (!store || !store->load(key, rows, cols, m)) {
            m = ir_drop_transfer_schur(g, 1.0 / r_row, 1.0 / r_col, threads);
            ++solves;
            if (store) store->save(key, m);
        }
    } catch (...) {
        error = std::current_exception();
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        mine->m = m;
        mine->error = error;
        mine->done = true;
        in_flight.erase(id);
    }
    done_cv.notify_all();
    if (error) std::rethrow_exception(error);
    return m;
}

TransferSolveCounts transfer_solve_counts() { return {solves.load(), shared.load()}; }

}  // namespace sotsim::phys
