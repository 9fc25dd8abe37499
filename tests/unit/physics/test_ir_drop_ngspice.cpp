// IR-drop solver against ngspice (.op of the same netlist) and against first-order theory.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "models/physics/IrDropSolver.h"
#include "models/physics/Rng.h"

using namespace sotsim::phys;

namespace {

bool have_ngspice() { return std::system("ngspice --version > /dev/null 2>&1") == 0; }

// Netlist of exactly the solver's topology; 0-V sources in every sense branch measure the
// column currents.
std::string netlist(const Eigen::MatrixXd& g, const Eigen::VectorXd& v, double rr, double rc) {
    const int R = static_cast<int>(g.rows()), C = static_cast<int>(g.cols());
    std::ostringstream n;
    n.precision(17);
    n << "* sotsim IR drop cross-check\n";
    for (int i = 0; i < R; ++i) {
        n << "VIN" << i << " in" << i << " 0 DC " << v(i) << "\n";
        n << "RRD" << i << " in" << i << " r" << i << "_0 " << rr << "\n";
        for (int j = 0; j + 1 < C; ++j) n << "RR" << i << "_" << j << " r" << i << "_" << j << " r" << i << "_" << j + 1 << " " << rr << "\n";
        for (int j = 0; j < C; ++j) n << "RC" << i << "_" << j << " r" << i << "_" << j << " c" << i << "_" << j << " " << 1.0 / g(i, j) << "\n";
    }
    for (int j = 0; j < C; ++j) {
        for (int i = 0; i + 1 < R; ++i) n << "RW" << i << "_" << j << " c" << i << "_" << j << " c" << i + 1 << "_" << j << " " << rc << "\n";
        n << "RWS" << j << " c" << R - 1 << "_" << j << " s" << j << " " << rc << "\n";
        n << "VS" << j << " s" << j << " 0 DC 0\n";
    }
    n << ".options reltol=1e-12 abstol=1e-18 vntol=1e-15\n.control\nset numdgt=15\nop\n";
    for (int j = 0; j < C; ++j) n << "print i(vs" << j << ")\n";
    n << ".endc\n.end\n";
    return n.str();
}

}  // namespace

TEST_CASE("IR drop transfer matrix matches ngspice on random arrays", "[physics][irdrop][ngspice]") {
    if (!have_ngspice()) {
        WARN("ngspice not found: skipping the circuit-level cross-check");
        SUCCEED();
        return;
    }
    Rng rng = Rng::derive(7, 0, "ngspice_test");
    struct Case { int rows, cols; double r_lo, r_hi, rr, rc; };
    const Case cases[] = {{4, 3, 5e3, 30e3, 2.5, 7.6},
                          {32, 32, 8e3, 30e3, 10.0, 10.0},
                          {32, 32, 1e6, 8e6, 2.5, 7.6},
                          {17, 29, 1e3, 1e7, 20.0, 5.0}};
    int k = 0;
    for (const auto& c : cases) {
        Eigen::MatrixXd g(c.rows, c.cols);
        for (int i = 0; i < c.rows; ++i)
            for (int j = 0; j < c.cols; ++j) g(i, j) = 1.0 / (c.r_lo + (c.r_hi - c.r_lo) * rng.uniform());
        Eigen::VectorXd v(c.rows);
        for (int i = 0; i < c.rows; ++i) v(i) = rng.uniform() < 0.3 ? 0.0 : 0.05 + 0.15 * rng.uniform();

        const Eigen::MatrixXd m = ir_drop_transfer_matrix(g, c.rr, c.rc);
        const Eigen::VectorXd ours = m * v;

        const std::string base = "/tmp/sotsim_irdrop_" + std::to_string(getpid()) + "_" + std::to_string(k++);
        {
            std::ofstream f(base + ".cir");
            f << netlist(g, v, c.rr, c.rc);
        }
        const std::string cmd = "ngspice -b " + base + ".cir > " + base + ".out 2>&1";
        // ngspice -b exits 1 when a netlist has no .print card even though .control ran;
        // the parsed output below is the real check.
        (void)std::system(cmd.c_str());
        std::ifstream in(base + ".out");
        std::string line;
        Eigen::VectorXd spice = Eigen::VectorXd::Constant(c.cols, std::nan(""));
        while (std::getline(in, line)) {
            // "i(vs12) = 1.234567e-06"
            const auto p = line.find("i(vs");
            const auto eq = line.find('=');
            if (p == std::string::npos || eq == std::string::npos) continue;
            const int j = std::stoi(line.substr(p + 4));
            // ngspice reports the current flowing into the + terminal: the sense current
            // enters s_j and leaves through VS_j, so it is positive here.
            spice(j) = std::stod(line.substr(eq + 1));
        }
        std::remove((base + ".cir").c_str());
        std::remove((base + ".out").c_str());
        INFO("case " << c.rows << "x" << c.cols << " cells " << c.r_lo << ".." << c.r_hi << " Ohm");
        REQUIRE_FALSE(spice.hasNaN());
        for (int j = 0; j < c.cols; ++j) {
            INFO("column " << j << " ours " << ours(j) << " ngspice " << spice(j));
            REQUIRE(std::abs(ours(j) - spice(j)) <= 1e-6 * std::abs(spice(j)));
        }
    }
}

TEST_CASE("IR drop: far-end first-order estimate", "[physics][irdrop]") {
    // One column of N equal cells, all rows driven at V; with r_w << R the column wire
    // carries k I_cell in the segment below cell k, so the sense-node-relative drop at the
    // top is r_w I_cell N(N+1)/2 (REFERENCE.md). The row wires add r_row I_cell per row.
    const int n = 64;
    const double r_cell = 3e6, v = 0.1, rw = 10.0;
    const Eigen::MatrixXd g = Eigen::MatrixXd::Constant(n, 1, 1.0 / r_cell);
    IrDropSolver s(1e-6, rw);
    s.factorize(g);
    const Eigen::MatrixXd vc = s.cell_voltages(Eigen::VectorXd::Constant(n, v));
    const double i_cell = v / r_cell;
    const double drop_top = v - vc(0, 0);
    const double estimate = rw * i_cell * n * (n + 1) / 2.0;
    // First order: the cell currents themselves sag slightly, so agree to 1 %.
    CHECK(drop_top == Approx(estimate).epsilon(1e-2));
    // 3 MOhm, 10 Ohm, 0.1 V, 64 rows -> about 0.7 mV (REFERENCE.md)
    CHECK(drop_top == Approx(0.69e-3).epsilon(0.02));
    // The sense current falls short of the ideal N V / R by about the mean drop.
    const double ideal = n * i_cell;
    const double got = s.sense_currents(Eigen::VectorXd::Constant(n, v))(0);
    CHECK(got < ideal);
    CHECK(got > ideal * (1.0 - 2.0 * estimate / v));
}

TEST_CASE("IR drop: vanishing wires give G transpose", "[physics][irdrop]") {
    Rng rng = Rng::derive(3, 1, "t");
    Eigen::MatrixXd g(8, 5);
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 5; ++j) g(i, j) = 1.0 / (1e4 + 1e5 * rng.uniform());
    const Eigen::MatrixXd m = ir_drop_transfer_matrix(g, 1e-9, 1e-9);
    REQUIRE((m - g.transpose()).cwiseAbs().maxCoeff() <= 1e-9 * g.maxCoeff());
}
