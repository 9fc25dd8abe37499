// Exact IR-drop transfer matrices solved as tasks (TaskPool.h, CrossbarArray::begin_build,
// TransferSolve.h): the numbers do not depend on the thread count or on the order in which
// tasks run or are waited for; a solve's error reaches whoever waits for it; concurrent
// requests for one G solve it once.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "models/physics/CrossbarArray.h"
#include "models/physics/IrDropSchur.h"
#include "models/physics/IrDropSolver.h"
#include "models/physics/Rng.h"
#include "models/physics/TaskPool.h"
#include "models/physics/TransferSolve.h"
#include "models/physics/TransferStore.h"
#include "tests/support/FailingTransferStore.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

// A value that takes task k a k-dependent time to compute (so tasks finish out of order).
double slow_value(int k) {
    double x = 1.0 + k;
    for (int i = 0; i < 20000 * (1 + (k * 7) % 5); ++i) x = x * 0.999999 + 1e-3 * ((i + k) % 3);
    return x;
}

Config exact_config(int threads) {
    Config cfg;
    cfg.array.rows = 40;
    cfg.array.cols = 36;
    cfg.array.ir_drop = IrDropMode::Exact;
    cfg.device.sigma_p = 0.05;
    cfg.device.stack = 1;
    cfg.device.tmr_v_half = 0.5;   // the bias fixed point runs in the task too
    cfg.sim.threads = threads;
    return cfg;
}

Eigen::MatrixXi random_levels(int rows, int cols, std::uint64_t seed) {
    Eigen::MatrixXi levels(rows, cols);
    Rng rng(seed);
    for (Eigen::Index k = 0; k < levels.size(); ++k) levels.data()[k] = rng.uniform() < 0.5 ? 0 : 1;
    return levels;
}


}  // namespace

TEST_CASE("TaskPool: results do not depend on the pool size or the order tasks are waited for", "[physics][pool][determinism]") {
    const int n = 12;
    std::vector<double> expect(n);
    for (int k = 0; k < n; ++k) expect[static_cast<size_t>(k)] = slow_value(k);
    for (int threads : {1, 2, 4}) {
        TaskPool pool(threads);
        std::vector<double> got(n, 0.0);
        std::vector<int> share(n, 0);
        std::vector<TaskPool::Handle> h;
        for (int k = 0; k < n; ++k)
            h.push_back(pool.submit([&, k](int t) {
                share[static_cast<size_t>(k)] = t;
                got[static_cast<size_t>(k)] = slow_value(k);
            }));
        for (int k = n - 1; k >= 0; k -= 2) pool.wait(h[static_cast<size_t>(k)]);   // odd ones first, backwards
        for (int k = 0; k < n; k += 2) pool.wait(h[static_cast<size_t>(k)]);
        CHECK(got == expect);
        for (int t : share) {
            CHECK(t >= 1);
            CHECK(t <= threads);
        }
    }
    // A lone task gets the whole budget for its own split.
    TaskPool pool(4);
    int lone = 0;
    pool.wait(pool.submit([&](int t) { lone = t; }));
    CHECK(lone == 4);
    CHECK(TaskPool::resolve(0) >= 1);
    CHECK(TaskPool::resolve(3) == 3);
}

TEST_CASE("TaskPool: a task's exception reaches every wait for it, other tasks are unaffected", "[physics][pool]") {
    for (int threads : {1, 3}) {
        TaskPool pool(threads);
        int ok = 0;
        auto good = pool.submit([&](int) { ok = 7; });
        auto bad = pool.submit([](int) { throw std::runtime_error("task 1 failed"); });
        CHECK_THROWS_WITH(pool.wait(bad), "task 1 failed");
        CHECK_THROWS_WITH(pool.wait(bad), "task 1 failed");
        pool.wait(good);
        CHECK(ok == 7);
    }
}

TEST_CASE("Crossbar builds begun together equal one-by-one builds bitwise, for 1, 2 and 4 threads", "[physics][irdrop][determinism]") {
    const int k = 5;
    std::uint64_t key = 500;   // new d2d keys for every thread count: each build really solves
    for (int threads : {1, 2, 4}) {
        std::vector<Eigen::MatrixXi> levels;
        std::vector<std::uint64_t> keys;
        std::vector<std::unique_ptr<CrossbarArray>> arrays;
        const long solves_before = transfer_solve_counts().solves;
        for (int i = 0; i < k; ++i) {
            levels.push_back(random_levels(40, 36, 100 + static_cast<std::uint64_t>(i)));
            keys.push_back(key++);
            arrays.push_back(std::make_unique<CrossbarArray>(exact_config(threads), 2));
            arrays.back()->begin_build(levels.back(), keys.back(), 1.0);
            CHECK(arrays.back()->build_pending());
        }
        for (int i = k - 1; i >= 0; --i) arrays[static_cast<size_t>(i)]->finish_build();
        CHECK(transfer_solve_counts().solves - solves_before == k);
        for (int i = 0; i < k; ++i) {
            INFO("threads " << threads << ", array " << i);
            const CrossbarArray& a = *arrays[static_cast<size_t>(i)];
            CHECK(!a.build_pending());
            // M: the solver's own bytes for the operating point's conductances.
            const Config cfg = exact_config(1);
            const Eigen::MatrixXd m = ir_drop_transfer_schur(a.conductance(), 1.0 / cfg.array.r_wire_row, 1.0 / cfg.array.r_wire_col, 1);
            CHECK(a.transfer_t() == m.transpose());
            // G: as a one-by-one build on one thread.
            CrossbarArray one(cfg, 2);
            one.build(levels[static_cast<size_t>(i)], keys[static_cast<size_t>(i)], 1.0);
            CHECK(one.conductance() == a.conductance());
            CHECK(one.transfer_t() == a.transfer_t());
        }
    }
}

TEST_CASE("Reprogramming the same conductances solves once per process", "[physics][irdrop]") {
    const Eigen::MatrixXi levels = random_levels(40, 36, 77);
    const TransferSolveCounts before = transfer_solve_counts();
    CrossbarArray a(exact_config(2), 2), b(exact_config(2), 2);
    a.build(levels, 4242, 1.0);
    b.build(levels, 4242, 1.0);   // same cells, same G: the kept M
    const TransferSolveCounts after = transfer_solve_counts();
    CHECK(after.solves - before.solves == 1);
    CHECK(after.shared - before.shared == 1);
    CHECK(a.transfer_t() == b.transfer_t());
    // One M^T in memory for both arrays and the kept matrices (not a copy per array), and it
    // is M of the solve transposed.
    CHECK(&a.transfer_t() == &b.transfer_t());
    const Config cfg = exact_config(2);
    CHECK(a.transfer_t() == transfer_matrix_once(a.conductance(), cfg.array.r_wire_row, cfg.array.r_wire_col, nullptr, 1).transpose());
}

TEST_CASE("A failing solve's error is thrown by finish_build, as build() throws it", "[physics][irdrop]") {
    ScopedTransferStore use(std::make_shared<test::FailingTransferStore>(40));
    for (int threads : {1, 2}) {
        CrossbarArray a(exact_config(threads), 2);
        a.begin_build(random_levels(40, 36, 1), 9, 1.0);   // starts; the error is the task's
        CHECK_THROWS_WITH(a.finish_build(), "transfer store: disk gone");
        CHECK(!a.build_pending());
        CrossbarArray b(exact_config(threads), 2);
        CHECK_THROWS_WITH(b.build(random_levels(40, 36, 1), 9, 1.0), "transfer store: disk gone");
        CrossbarArray c(exact_config(threads), 2);   // other shapes are unaffected
        c.build(random_levels(32, 36, 1), 9, 1.0);
        CHECK(c.transfer_t().rows() == 32);
    }
    Eigen::MatrixXd neg = Eigen::MatrixXd::Constant(4, 4, 1e-5);
    neg(1, 2) = -1e-5;
    CHECK_THROWS_WITH(transfer_matrix_once(neg, 2.5, 7.6, nullptr, 1), Catch::Contains("negative cell conductance"));
}

namespace {
// Holds the first request inside its load until a second request for the same G has joined.
struct JoinGate : TransferStore {
    std::atomic<bool> entered{false};
    long shared_before = 0;
    bool load(const TransferKey&, int, int, Eigen::MatrixXd&) override {
        entered = true;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (transfer_solve_counts().shared == shared_before && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return false;
    }
    void save(const TransferKey&, const Eigen::MatrixXd&) override {}
};
}  // namespace

TEST_CASE("Concurrent requests for the same conductances solve it once and get the same bytes", "[physics][irdrop]") {
    Rng rng(5);
    Eigen::MatrixXd g(24, 20);
    for (Eigen::Index k = 0; k < g.size(); ++k) g.data()[k] = 1e-5 * (1.0 + rng.uniform());
    auto gate = std::make_shared<JoinGate>();
    const TransferSolveCounts before = transfer_solve_counts();
    gate->shared_before = before.shared;
    Eigen::MatrixXd first, second;
    std::thread a([&] { first = transfer_matrix_once(g, 2.5, 7.6, gate, 1); });
    while (!gate->entered) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::thread b([&] { second = transfer_matrix_once(g, 2.5, 7.6, gate, 1); });
    a.join();
    b.join();
    const TransferSolveCounts after = transfer_solve_counts();
    CHECK(after.shared - before.shared == 1);
    CHECK(after.solves - before.solves == 1);
    REQUIRE(first.size() == 24 * 20);
    CHECK(first == second);
    CHECK(first == ir_drop_transfer_matrix(g, 2.5, 7.6));
}
