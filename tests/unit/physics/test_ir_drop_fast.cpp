// Hierarchical Schur-complement IR-drop solver against the sparse direct (LDL^T) reference
// and against closed-form circuits.
#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

#include "models/physics/IrDropSchur.h"
#include "models/physics/IrDropSolver.h"
#include "models/physics/Rng.h"

using namespace sotsim::phys;

namespace {

// Cells log-uniform in [r_lo, r_hi]; a fraction `open` of cells has G = 0 (deselected).
Eigen::MatrixXd random_cells(int rows, int cols, double r_lo, double r_hi, double open, Rng& rng) {
    Eigen::MatrixXd g(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
            g(i, j) = rng.uniform() < open ? 0.0 : 1.0 / (r_lo * std::pow(r_hi / r_lo, rng.uniform()));
    return g;
}

double rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& ref) {
    return (a - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("Schur IR-drop transfer matrix equals the sparse direct solve on 64x64 arrays", "[physics][irdrop]") {
    Rng rng = Rng::derive(11, 0, "ir_drop_fast_test");
    struct Case { double r_lo, r_hi, rr, rc, open; };
    // kOhm cells (strong IR drop: M deviates from G^T by tens of %) and MOhm cells (weak).
    const Case cases[] = {{2e3, 20e3, 2.5, 7.6, 0.0}, {1e6, 8e6, 2.5, 7.6, 0.0}, {5e3, 10e3, 1.0, 10.0, 0.2}};
    for (const auto& c : cases) {
        const Eigen::MatrixXd g = random_cells(64, 64, c.r_lo, c.r_hi, c.open, rng);
        IrDropSolver s(c.rr, c.rc);
        s.factorize(g);
        const Eigen::MatrixXd ref = s.transfer_matrix(IrDropMethod::SparseLdlt);
        const Eigen::MatrixXd fast = s.transfer_matrix(IrDropMethod::Schur);
        CAPTURE(c.r_lo, c.open);
        CHECK(rel_diff(fast, ref) <= 1e-9);
        CHECK(rel_diff(s.transfer_matrix(), ref) <= 1e-9);
        // The comparison is meaningful: the wires change M well beyond the tolerance.
        CHECK(rel_diff(g.transpose(), ref) > 1e-4);
    }
}

TEST_CASE("Schur IR-drop solver on non-square and degenerate shapes", "[physics][irdrop]") {
    Rng rng = Rng::derive(12, 0, "ir_drop_fast_shapes");
    const int shapes[][2] = {{1, 1}, {1, 37}, {41, 1}, {2, 3}, {33, 7}, {5, 70}, {100, 3}};
    for (const auto& sh : shapes) {
        const Eigen::MatrixXd g = random_cells(sh[0], sh[1], 3e3, 3e4, 0.1, rng);
        CAPTURE(sh[0], sh[1]);
        const Eigen::MatrixXd ref = ir_drop_transfer_matrix(g, 4.0, 9.0, IrDropMethod::SparseLdlt);
        const Eigen::MatrixXd fast = ir_drop_transfer_matrix(g, 4.0, 9.0, IrDropMethod::Schur);
        REQUIRE(fast.rows() == sh[1]);
        REQUIRE(fast.cols() == sh[0]);
        if (ref.cwiseAbs().maxCoeff() > 0.0) CHECK(rel_diff(fast, ref) <= 1e-9);
    }
}

TEST_CASE("Schur IR-drop solver matches closed-form circuits", "[physics][irdrop]") {
    SECTION("one cell: series resistance") {
        Eigen::MatrixXd g(1, 1);
        g << 1.0 / 5e3;
        const Eigen::MatrixXd m = ir_drop_transfer_schur(g, 1.0 / 3.0, 1.0 / 7.0);
        CHECK(m(0, 0) == Approx(1.0 / (3.0 + 5e3 + 7.0)).epsilon(1e-13));
    }
    SECTION("one row of two cells: ladder") {
        // Driver r1 into node a; cell ga to its own sense (through rc); segment r1 to node b;
        // cell gb to its sense. Column j's current = V_node / (1/g + rc).
        const double r1 = 10.0, rc = 20.0, ra = 1e3, rb = 2e3;
        Eigen::MatrixXd g(1, 2);
        g << 1.0 / ra, 1.0 / rb;
        const double za = ra + rc, zb = rb + rc;
        const double z_tail = 1.0 / (1.0 / za + 1.0 / (r1 + zb));   // seen from node a
        const double va = z_tail / (r1 + z_tail), vb = va * zb / (r1 + zb);
        const Eigen::MatrixXd m = ir_drop_transfer_schur(g, 1.0 / r1, 1.0 / rc);
        CHECK(m(0, 0) == Approx(va / za).epsilon(1e-12));
        CHECK(m(1, 0) == Approx(vb / zb).epsilon(1e-12));
    }
    SECTION("reciprocity is not assumed but the network is passive: M >= 0, column sums below the wire-free ones") {
        Rng rng = Rng::derive(13, 0, "ir_drop_fast_passive");
        const Eigen::MatrixXd g = random_cells(48, 40, 2e3, 2e4, 0.0, rng);
        const Eigen::MatrixXd m = ir_drop_transfer_schur(g, 1.0 / 2.5, 1.0 / 7.6);
        CHECK(m.minCoeff() >= 0.0);
        // Row i driven alone: total sense current below the wire-free current sum_j G_ij.
        const Eigen::VectorXd total = m.colwise().sum().transpose(), free = g.rowwise().sum();
        CHECK((total.array() < free.array()).all());
    }
}

TEST_CASE("Schur IR-drop solver rejects bad input", "[physics][irdrop]") {
    Eigen::MatrixXd g = Eigen::MatrixXd::Constant(3, 3, 1e-4);
    CHECK_THROWS_AS(ir_drop_transfer_schur(Eigen::MatrixXd(0, 3), 1.0, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(ir_drop_transfer_schur(g, 0.0, 1.0), std::invalid_argument);
    g(1, 1) = -1e-4;
    CHECK_THROWS_AS(ir_drop_transfer_schur(g, 1.0, 1.0), std::invalid_argument);
    IrDropSolver s(1.0, 1.0);
    CHECK_THROWS_AS(s.transfer_matrix(), std::logic_error);
}

TEST_CASE("Node voltages after re-factorisation (CG with the previous factor) equal a fresh solve", "[physics][irdrop]") {
    Rng rng = Rng::derive(14, 0, "ir_drop_fast_pcg");
    const Eigen::MatrixXd g1 = random_cells(40, 36, 2e3, 2e4, 0.0, rng);
    Eigen::VectorXd v(40);
    for (int i = 0; i < 40; ++i) v(i) = 0.1 * rng.uniform();
    IrDropSolver warm(2.5, 7.6);
    warm.factorize(g1);
    (void)warm.cell_voltages(v);   // builds the factor of g1
    // Small steps (the bias fixed point) and a large one (forces the fallback).
    for (double step : {0.03, 3.0}) {
        Eigen::MatrixXd g2 = g1;
        for (int i = 0; i < g2.rows(); ++i)
            for (int j = 0; j < g2.cols(); ++j) g2(i, j) *= 1.0 + step * rng.uniform();
        warm.factorize(g2);
        IrDropSolver fresh(2.5, 7.6);
        fresh.factorize(g2);
        CAPTURE(step);
        const Eigen::MatrixXd vw = warm.cell_voltages(v), vf = fresh.cell_voltages(v);
        CHECK(rel_diff(vw, vf) <= 1e-9);
        const Eigen::VectorXd iw = warm.sense_currents(v);
        const Eigen::VectorXd im = ir_drop_transfer_schur(g2, 1.0 / 2.5, 1.0 / 7.6) * v;
        CHECK(rel_diff(iw, im) <= 1e-9);
    }
}

TEST_CASE("Schur IR-drop transfer matrix is bitwise the same for any thread count", "[physics][irdrop][determinism]") {
    Rng rng = Rng::derive(13, 0, "ir_drop_threads");
    // Large enough that the top splits run concurrently (kParallelCells = 64 x 64).
    const Eigen::MatrixXd g = random_cells(128, 96, 2e3, 2e4, 0.05, rng);
    const Eigen::MatrixXd one = ir_drop_transfer_schur(g, 1.0 / 2.5, 1.0 / 7.6, 1);
    for (int threads : {2, 3, 8}) {
        CAPTURE(threads);
        REQUIRE(ir_drop_transfer_schur(g, 1.0 / 2.5, 1.0 / 7.6, threads) == one);
    }
    const Eigen::MatrixXd ref = ir_drop_transfer_matrix(g, 2.5, 7.6, IrDropMethod::SparseLdlt);
    CHECK(rel_diff(one, ref) <= 1e-9);
}

TEST_CASE("Schur IR-drop buffers kept by a thread between solves change no number", "[physics][irdrop][determinism]") {
    // A thread keeps its workspace buffers after a solve (uninitialised storage reused by
    // the next one). Solves of other shapes and values in between must leave every later
    // result bitwise equal to the same solve on a fresh thread, whose pool is empty.
    Rng rng = Rng::derive(17, 0, "ir_drop_retained");
    const Eigen::MatrixXd a = random_cells(96, 80, 2e3, 2e4, 0.05, rng);
    const Eigen::MatrixXd b = random_cells(40, 130, 1e3, 5e4, 0.2, rng);
    const auto fresh = [](const Eigen::MatrixXd& g) {
        Eigen::MatrixXd m;
        std::thread t([&] { m = ir_drop_transfer_schur(g, 1.0 / 2.5, 1.0 / 7.6, 1); });
        t.join();
        return m;
    };
    const Eigen::MatrixXd ma = fresh(a), mb = fresh(b);
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        REQUIRE(ir_drop_transfer_schur(b, 1.0 / 2.5, 1.0 / 7.6, 1) == mb);
        REQUIRE(ir_drop_transfer_schur(a, 1.0 / 2.5, 1.0 / 7.6, 1) == ma);
    }
    CHECK(rel_diff(ma, ir_drop_transfer_matrix(a, 2.5, 7.6, IrDropMethod::SparseLdlt)) <= 1e-9);
}
