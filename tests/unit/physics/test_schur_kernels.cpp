// Dense kernels of the IR-drop Schur reduction (models/physics/SchurKernels.h): the leaf
// kernel's padded column updates give the same lower triangle as the plain panel kernel, the
// lane kernel (fronts interleaved) the same as the leaf kernel in every lane, and the Schur
// complement they leave is the analytic K_kk - K_ke K_ee^-1 K_ek.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "models/physics/Rng.h"
#include "models/physics/SchurKernels.h"

using namespace sotsim::phys;

namespace {

// A sparse SPD n x n matrix (column-major, lower triangle filled, upper triangle zero) in the
// shape of a leaf's nodal matrix: a chain plus random couplings, diagonally dominant, with
// exact zeros so that the panel kernels' zero skipping is exercised.
std::vector<double> stencil(int n, Rng& rng) {
    std::vector<double> a(static_cast<size_t>(n) * n, 0.0);
    auto at = [&](int r, int c) -> double& { return a[static_cast<size_t>(c) * n + r]; };
    for (int c = 0; c < n; ++c) at(c, c) = 1e-3;
    auto couple = [&](int r, int c, double g) {
        at(r, r) += g;
        at(c, c) += g;
        at(r, c) -= g;   // r > c: lower triangle
    };
    for (int c = 0; c + 1 < n; ++c) couple(c + 1, c, 0.4);
    for (int k = 0; k < n; ++k) {
        const int c = static_cast<int>(rng.uniform() * n), r = static_cast<int>(rng.uniform() * n);
        if (r > c) couple(r, c, 1e-4 * (1.0 + rng.uniform()));
    }
    return a;
}

}  // namespace

TEST_CASE("Schur leaf kernel equals the panel kernel bit for bit on the lower triangle", "[physics][irdrop]") {
    Rng rng(11);
    for (int n : {5, 8, 13, 24, 40, 41, 47, 64}) {
        for (int e : {1, n / 3, n - 4, n - 1}) {
            if (e < 1 || e >= n) continue;
            const std::vector<double> k = stencil(n, rng);
            std::vector<double> plain = k, leaf = k;
            REQUIRE(schur_panels(plain.data(), n, e, n));
            REQUIRE(schur_leaf(leaf.data(), n, e));
            int differ = 0;
            for (int c = 0; c < n; ++c)
                for (int r = c; r < n; ++r)
                    if (plain[static_cast<size_t>(c) * n + r] != leaf[static_cast<size_t>(c) * n + r]) ++differ;
            CAPTURE(n, e);
            CHECK(differ == 0);
        }
    }
}

TEST_CASE("Schur lane kernel equals the leaf kernel bit for bit in every lane", "[physics][irdrop]") {
    // kSchurLanes different fronts of one order, interleaved element by element: every lane's
    // lower triangle must be exactly what schur_leaf leaves for that front alone.
    Rng rng(13);
    for (int n : {5, 8, 13, 24, 36, 40, 41, 47, 64}) {
        for (int e : {1, 3, n / 3, n - 4, n - 1}) {
            if (e < 1 || e >= n) continue;
            std::vector<std::vector<double>> fronts;
            std::vector<double> lanes(static_cast<size_t>(n) * n * kSchurLanes, 0.0);
            for (int l = 0; l < kSchurLanes; ++l) {
                fronts.push_back(stencil(n, rng));
                for (size_t i = 0; i < fronts.back().size(); ++i) lanes[i * kSchurLanes + l] = fronts.back()[i];
            }
            REQUIRE(schur_lanes(lanes.data(), n, e));
            int differ = 0, compared = 0;
            for (int l = 0; l < kSchurLanes; ++l) {
                std::vector<double> a = fronts[static_cast<size_t>(l)];
                REQUIRE(schur_leaf(a.data(), n, e));
                for (int c = 0; c < n; ++c)
                    for (int r = c; r < n; ++r) {
                        const size_t i = static_cast<size_t>(c) * n + r;
                        ++compared;
                        if (a[i] != lanes[i * kSchurLanes + l]) ++differ;
                    }
            }
            CAPTURE(n, e);
            CHECK(compared == kSchurLanes * n * (n + 1) / 2);
            CHECK(differ == 0);
        }
    }
}

TEST_CASE("Schur lane kernel refuses a front whose pivot is not positive", "[physics][irdrop]") {
    // Lane 3 holds [[1, x], [x, 1]] (indefinite for x = 2), the others the identity.
    const auto fronts = [](double x) {
        std::vector<double> a(4 * kSchurLanes, 0.0);
        for (int l = 0; l < kSchurLanes; ++l) a[0 * kSchurLanes + l] = a[3 * kSchurLanes + l] = 1.0;
        a[1 * kSchurLanes + 3] = x;
        return a;
    };
    std::vector<double> bad = fronts(2.0), good = fronts(0.5);
    CHECK_FALSE(schur_lanes(bad.data(), 2, 2));
    REQUIRE(schur_lanes(good.data(), 2, 2));
    CHECK(good[3 * kSchurLanes + 3] == Approx(std::sqrt(0.75)).epsilon(1e-15));   // L = [[1, 0], [0.5, sqrt(3/4)]]
}

TEST_CASE("Schur leaf kernel leaves the Schur complement of the kept nodes", "[physics][irdrop]") {
    Rng rng(12);
    const int n = 40, e = 24, nk = n - e;
    const std::vector<double> k = stencil(n, rng);
    Eigen::MatrixXd full(n, n);
    for (int c = 0; c < n; ++c)
        for (int r = 0; r < n; ++r) full(r, c) = r >= c ? k[static_cast<size_t>(c) * n + r] : k[static_cast<size_t>(r) * n + c];
    const Eigen::MatrixXd expect = full.bottomRightCorner(nk, nk) -
                                   full.bottomLeftCorner(nk, e) * full.topLeftCorner(e, e).llt().solve(full.topRightCorner(e, nk));
    std::vector<double> a = k;
    REQUIRE(schur_leaf(a.data(), n, e));
    double err = 0.0;
    for (int c = 0; c < nk; ++c)
        for (int r = c; r < nk; ++r)
            err = std::max(err, std::abs(a[static_cast<size_t>(e + c) * n + e + r] - expect(r, c)));
    CHECK(err <= 1e-12 * expect.cwiseAbs().maxCoeff());
}

TEST_CASE("Schur panel kernels refuse a pivot that is not positive", "[physics][irdrop]") {
    std::vector<double> a = {1.0, 2.0, 0.0, 1.0};   // [[1, 2], [2, 1]]: indefinite, lower triangle
    CHECK_FALSE(schur_leaf(a.data(), 2, 2));
}

namespace {

// A dense SPD n x n front (column-major, lower triangle) shaped like a merge of two children:
// every entry coupling the first e (eliminated) nodes is dense, the kept nodes split into two
// halves that do not couple before the elimination (their cross block is zero).
std::vector<double> merge_front(int n, int e, Rng& rng) {
    std::vector<double> a(static_cast<size_t>(n) * n, 0.0);
    auto at = [&](int r, int c) -> double& { return a[static_cast<size_t>(c) * n + r]; };
    const int half = e + (n - e) / 2;
    const auto child = [&](int r) { return r < e ? 0 : r < half ? 1 : 2; };   // 0: both
    for (int c = 0; c < n; ++c)
        for (int r = c + 1; r < n; ++r)
            if (child(r) == 0 || child(c) == 0 || child(r) == child(c)) at(r, c) = -1e-3 * (0.1 + rng.uniform());
    for (int c = 0; c < n; ++c) {
        double sum = 1e-4;
        for (int r = 0; r < n; ++r) sum += std::abs(r >= c ? at(r, c) : at(c, r));
        at(c, c) += sum;   // diagonally dominant: SPD
    }
    return a;
}

}  // namespace

TEST_CASE("Schur lane kernel equals the panel kernel bit for bit on dense merge fronts", "[physics][irdrop]") {
    // IrDropSchur's lowest merges run in lanes: every lane must be what schur_panels(., n, e, n)
    // leaves for that front alone, including the trailing (kept) block it updates.
    Rng rng(14);
    for (int n : {20, 28, 33, 40, 56}) {
        for (int e : {4, 8, n / 2}) {
            std::vector<std::vector<double>> fronts;
            std::vector<double> lanes(static_cast<size_t>(n) * n * kSchurLanes, 0.0);
            for (int l = 0; l < kSchurLanes; ++l) {
                fronts.push_back(merge_front(n, e, rng));
                for (size_t i = 0; i < fronts.back().size(); ++i) lanes[i * kSchurLanes + l] = fronts.back()[i];
            }
            REQUIRE(schur_lanes(lanes.data(), n, e));
            int differ = 0, moved = 0;
            for (int l = 0; l < kSchurLanes; ++l) {
                std::vector<double> a = fronts[static_cast<size_t>(l)];
                REQUIRE(schur_panels(a.data(), n, e, n));
                for (int c = 0; c < n; ++c)
                    for (int r = c; r < n; ++r) {
                        const size_t i = static_cast<size_t>(c) * n + r;
                        if (a[i] != lanes[i * kSchurLanes + l]) ++differ;
                        if (c >= e && a[i] != fronts[static_cast<size_t>(l)][i]) ++moved;
                    }
            }
            CAPTURE(n, e);
            CHECK(differ == 0);
            CHECK(moved > 0);   // the kept block was updated (the comparison covers the update)
        }
    }
}

TEST_CASE("Schur panel kernel: the order of the kept nodes does not change their values", "[physics][irdrop]") {
    // reduce_lanes gives all lanes one side order, i.e. permutes a front's kept nodes; every
    // kept entry must come out bit for bit the same, just moved.
    Rng rng(15);
    const int n = 40, e = 8, nk = n - e;
    const std::vector<double> k = merge_front(n, e, rng);
    std::vector<int> perm(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
    for (int i = n - 1; i > e; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(e + static_cast<int>(rng.uniform() * (i - e + 1)) % (i - e + 1))]);
    const auto get = [&](const std::vector<double>& a, int r, int c) { return r >= c ? a[static_cast<size_t>(c) * n + r] : a[static_cast<size_t>(r) * n + c]; };
    std::vector<double> p(static_cast<size_t>(n) * n, 0.0);   // p(r, c) = k(perm r, perm c)
    for (int c = 0; c < n; ++c)
        for (int r = c; r < n; ++r) p[static_cast<size_t>(c) * n + r] = get(k, perm[static_cast<size_t>(r)], perm[static_cast<size_t>(c)]);
    std::vector<double> a = k;
    REQUIRE(schur_panels(a.data(), n, e, n));
    REQUIRE(schur_panels(p.data(), n, e, n));
    int differ = 0, permuted = 0;
    for (int c = e; c < n; ++c)
        for (int r = c; r < n; ++r) {
            if (p[static_cast<size_t>(c) * n + r] != get(a, perm[static_cast<size_t>(r)], perm[static_cast<size_t>(c)])) ++differ;
            if (perm[static_cast<size_t>(r)] != r) ++permuted;
        }
    CHECK(permuted > nk);
    CHECK(differ == 0);
}
