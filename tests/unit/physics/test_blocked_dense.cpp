// Eigen 3.4's level-3 kernels with kept packing buffers and lane-blocked diagonal panels
// (models/physics/BlockedDense.h): every result equals the Eigen expression it stands for bit
// for bit (the IR-drop transfer matrix stays bitwise the same), and is the analytic solve /
// factor / update to rounding. Shapes span Eigen's panel width (24 with AVX-512), its kc
// blocks (~136-208 for these solves on a 2 MiB L2) and its column blocks, inside larger
// buffers (leading dimension > rows), in an order that makes the kept buffers grow and shrink.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "models/physics/BlockedDense.h"
#include "models/physics/Rng.h"

using namespace sotsim::phys;

namespace {

Eigen::MatrixXd random_matrix(Rng& rng, Eigen::Index r, Eigen::Index c) {
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) m(i, j) = rng.uniform() - 0.5;
    return m;
}

// A well-conditioned lower triangle (diagonal in [1, 2], the rest small) inside an
// (n + 3) x n buffer; the upper triangle holds junk that no solve may read.
Eigen::MatrixXd lower_factor(Rng& rng, Eigen::Index n) {
    Eigen::MatrixXd l = random_matrix(rng, n + 3, n);
    for (Eigen::Index j = 0; j < n; ++j) {
        for (Eigen::Index i = j + 1; i < n; ++i) l(i, j) *= 2.0 / std::sqrt(static_cast<double>(n));
        l(j, j) = 1.5 + l(j, j);
    }
    return l;
}

double max_abs(const Eigen::MatrixXd& m) { return m.size() ? m.cwiseAbs().maxCoeff() : 0.0; }

}  // namespace

TEST_CASE("Blocked triangular solves equal Eigen's solveInPlace bit for bit", "[physics][irdrop]") {
    Rng rng(23);
    const int shapes[][2] = {{1, 1}, {7, 3}, {24, 24}, {25, 9}, {50, 33}, {130, 1}, {300, 260}, {520, 64}, {40, 8}, {300, 31}};
    for (const auto& sh : shapes) {
        const Eigen::Index n = sh[0], k = sh[1];
        CAPTURE(n, k);
        const Eigen::MatrixXd lbuf = lower_factor(rng, n);
        const auto l = lbuf.topRows(n);
        const Eigen::MatrixXd lt = l.triangularView<Eigen::Lower>();
        {   // B := L^-1 B and B := L^-T B, B n x k in an (n + 2) x k buffer
            const Eigen::MatrixXd b0 = random_matrix(rng, n + 2, k);
            Eigen::MatrixXd expect = b0, got = b0;
            auto eb = expect.topRows(n);
            l.triangularView<Eigen::Lower>().solveInPlace(eb);
            trsm_left_lower(lbuf.data(), lbuf.rows(), n, got.data(), got.rows(), k);
            CHECK(got == expect);
            CHECK(max_abs(lt * got.topRows(n) - b0.topRows(n)) <= 1e-12);
            CHECK(got.bottomRows(2) == b0.bottomRows(2));
            Eigen::MatrixXd expect_t = b0, got_t = b0;
            auto ebt = expect_t.topRows(n);
            l.transpose().triangularView<Eigen::Upper>().solveInPlace(ebt);
            trsm_left_lower_t(lbuf.data(), lbuf.rows(), n, got_t.data(), got_t.rows(), k);
            CHECK(got_t == expect_t);
            CHECK(max_abs(lt.transpose() * got_t.topRows(n) - b0.topRows(n)) <= 1e-12);
        }
        {   // X := X L^-T, X k x n in a (k + 5) x n buffer
            const Eigen::MatrixXd x0 = random_matrix(rng, k + 5, n);
            Eigen::MatrixXd expect = x0, got = x0;
            auto ex = expect.topRows(k);
            l.transpose().triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(ex);
            trsm_right_lower_t(lbuf.data(), lbuf.rows(), n, got.data(), got.rows(), k);
            CHECK(got == expect);
            CHECK(max_abs(got.topRows(k) * lt.transpose() - x0.topRows(k)) <= 1e-12);
            CHECK(got.bottomRows(5) == x0.bottomRows(5));
        }
    }
}

TEST_CASE("Blocked Cholesky factor equals Eigen's LLT in place bit for bit", "[physics][irdrop]") {
    Rng rng(31);
    for (const Eigen::Index n : {1, 5, 31, 32, 33, 64, 100, 129, 257, 300, 520, 40}) {
        CAPTURE(n);
        const Eigen::MatrixXd x = random_matrix(rng, n, n);
        Eigen::MatrixXd a0 = random_matrix(rng, n + 4, n);   // junk above the diagonal and below row n
        a0.topRows(n).triangularView<Eigen::Lower>() =
            (x * x.transpose() / static_cast<double>(n) + Eigen::MatrixXd::Identity(n, n)).triangularView<Eigen::Lower>();
        Eigen::MatrixXd expect = a0, got = a0;
        Eigen::Ref<Eigen::MatrixXd> ref = expect.topRows(n);
        Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(ref);
        REQUIRE(llt.info() == Eigen::Success);
        REQUIRE(llt_lower(got.data(), got.rows(), n));
        CHECK(got == expect);
        const Eigen::MatrixXd lf = got.topRows(n).triangularView<Eigen::Lower>();
        const Eigen::MatrixXd a = a0.topRows(n).selfadjointView<Eigen::Lower>();
        CHECK(max_abs(lf * lf.transpose() - a) <= 1e-12 * static_cast<double>(n));
    }
}

TEST_CASE("Blocked Cholesky factor refuses a matrix that is not positive definite", "[physics][irdrop]") {
    for (const Eigen::Index n : {3, 100}) {   // unblocked and blocked paths
        CAPTURE(n);
        Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
        a(n - 1, n - 1) = -1e-3;   // the last pivot: every block before it factors
        CHECK_FALSE(llt_lower(a.data(), n, n));
    }
}

TEST_CASE("Schur rank update with kept packing buffers equals Eigen's rankUpdate bit for bit", "[physics][irdrop]") {
    // rank_update_lower runs Eigen's own kernel with Eigen's blocking; only where the packing
    // buffers live differs. Shapes from a leaf-sized front to ones whose buffers Eigen would
    // allocate on the heap, repeated in an order that makes the kept buffers grow and shrink.
    Rng rng14(14);
    const auto random = [&](Eigen::Index r, Eigen::Index c) { return random_matrix(rng14, r, c); };
    const int shapes[][2] = {{1, 1}, {5, 3}, {24, 4}, {100, 17}, {300, 64}, {520, 260}, {40, 8}, {300, 64}};
    for (const auto& sh : shapes) {
        const Eigen::Index size = sh[0], depth = sh[1];
        CAPTURE(size, depth);
        // Column-major X (size x depth) inside a larger buffer: strides as in a front.
        const Eigen::MatrixXd xs = random(size + 3, depth);
        const Eigen::MatrixXd c0 = random(size + 2, size);
        Eigen::MatrixXd expect = c0, got = c0;
        expect.topRows(size).selfadjointView<Eigen::Lower>().rankUpdate(xs.topRows(size), -1.0);
        rank_update_lower<Eigen::ColMajor>(got.data(), got.rows(), xs.data(), xs.rows(), size, depth, -1.0);
        CHECK(got == expect);
        CHECK(got != c0);
        // X = W^T for a column-major W (depth x size), as the final step's T -= W^T W.
        const Eigen::MatrixXd ws = random(depth + 1, size);
        Eigen::MatrixXd expect_t = c0, got_t = c0;
        expect_t.topRows(size).selfadjointView<Eigen::Lower>().rankUpdate(ws.topRows(depth).transpose(), -1.0);
        rank_update_lower<Eigen::RowMajor>(got_t.data(), got_t.rows(), ws.data(), ws.rows(), size, depth, -1.0);
        CHECK(got_t == expect_t);
        // The update itself: lower triangle of C - X X^T to rounding.
        const Eigen::MatrixXd x = xs.topRows(size);
        const Eigen::MatrixXd ref = c0.topRows(size) - x * x.transpose();
        double err = 0.0;
        for (Eigen::Index j = 0; j < size; ++j)
            for (Eigen::Index i = j; i < size; ++i) err = std::max(err, std::abs(got(i, j) - ref(i, j)));
        CHECK(err <= 1e-12 * (1.0 + static_cast<double>(depth)));
    }
}
