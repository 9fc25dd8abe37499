// The fused per-vector resistance-summation readout (ResistanceReadout, AnalogMacro::mvm_rows
// on row-major inputs) against the general path of the same macro (set_fused_readout(false):
// a column-major copy through mvm(), the batch's double GEMM and column passes).
//
// Both sum the same sampled cell resistances and convert them with the same counter; they
// differ only in the order of the resistance sum at some batch positions (Eigen's kernels),
// ~1e-16 of a column's ~1 MOhm while one count is ~5e4 Ohm. So the outputs, the TDC counts
// and every action must be identical, and the kept column currents agree to rounding.
// Covered: +-1 and 0/1 inputs, full and partial blocks (unused rows, columns that are not a
// whole register), narrow blocks (the kernel that adds the rows of several vectors
// together), a counter whose codes do not fit the 16-entry lookup, ideal mode (scalar
// kernel) and an array wider than the fixed-width kernels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/physics/AnalogMacro.h"
#include "models/physics/Rng.h"
#include "JungXnorColumn.h"
#include "RandomPm1.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

struct Case {
    std::string name;
    int array_rows = 64, array_cols = 64;   // the array
    int rows = 64, cols = 64;               // the block
    InputEncoding input = InputEncoding::Signed;
    int tdc_bits = 4;
    bool ideal = false;
    bool varied = false;   // vector b drives a share (b % 5) / 4 of its rows: none ... all
};

Config case_config(const Case& k) {
    Config c = testdata::jung_xnor_column(k.tdc_bits, 0.123, 0.077);   // jung's d2d spread
    c.array.rows = k.array_rows;
    c.array.cols = k.array_cols;
    c.sim.ideal = k.ideal;
    c.sim.seed = 11;
    return c;
}

struct Out {
    std::vector<float> y;   // row-major, n x cols
    Eigen::MatrixXd currents;
    ActionCounter ac;
    double latency = 0.0;
    bool fused = false;
};

// Reads the row-major inputs in pieces of the given lengths (the rest in one last piece).
Out read(const Case& k, bool fused, const Eigen::MatrixXi& w, const std::vector<float>& x, int n,
         const std::vector<int>& pieces = {}) {
    AnalogMacro m(case_config(k), 3);   // same id and seed: the same sampled cells
    m.set_fused_readout(fused);
    ActionCounter prog;
    REQUIRE(m.program(w, testdata::tdc_block(k.rows, k.cols, k.input), prog).write_failures == 0);
    Out o;
    o.fused = m.rows_readout_active();
    o.y.assign(static_cast<std::size_t>(n) * k.cols, -7.0f);
    int at = 0;
    for (std::size_t p = 0; at < n; ++p) {
        const int len = p < pieces.size() ? std::min(pieces[p], n - at) : n - at;
        o.latency += m.mvm_rows(x.data() + static_cast<std::size_t>(at) * k.rows, len,
                                o.y.data() + static_cast<std::size_t>(at) * k.cols, o.ac);
        at += len;
    }
    o.currents = m.last_column_currents();
    return o;
}

std::vector<float> inputs(const Case& k, int n, Rng& rng) {
    std::vector<float> x(static_cast<std::size_t>(n) * k.rows);
    const float off = k.input == InputEncoding::Signed ? -1.0f : 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double p = k.varied ? static_cast<double>(i / static_cast<std::size_t>(k.rows) % 5) / 4.0 : 0.5;
        x[i] = rng.uniform() < p ? 1.0f : off;
    }
    return x;
}

}  // namespace

TEST_CASE("Fused resistance readout equals the general path: same outputs, counts and actions",
          "[physics][macro][tdc][resistance_readout]") {
    const Case cases[] = {
        {"jung 64 x 64, +-1 inputs"},
        {"40 of 64 rows, 20 columns, 0/1 inputs", 64, 64, 40, 20, InputEncoding::Binary, 4, false},
        {"5-bit counter (32 codes)", 64, 64, 64, 48, InputEncoding::Signed, 5, false},
        {"ideal mode", 64, 64, 64, 64, InputEncoding::Signed, 4, true},
        {"100 x 72 array, 9 of its rows", 100, 72, 9, 72, InputEncoding::Signed, 6, false},
        // Narrow blocks: several vectors through the rows together (8 / registers of them).
        {"9 rows, 16 columns (two registers)", 64, 64, 9, 16, InputEncoding::Signed, 4, false},
        {"10 columns (two registers)", 64, 64, 64, 10, InputEncoding::Signed, 4, false},
        {"8 columns, 0/1 inputs (one register)", 64, 64, 64, 8, InputEncoding::Binary, 4, false},
        // Vectors of a group with very different numbers of driven rows (none to all).
        {"32 columns, varied drive", 64, 64, 64, 32, InputEncoding::Signed, 4, false, true},
        {"8 columns, 0/1 inputs, varied drive", 64, 64, 50, 8, InputEncoding::Binary, 4, false, true},
        {"100 x 72 array, 100 rows, 24 columns, varied drive", 100, 72, 100, 24, InputEncoding::Signed, 4, false, true},
    };
    for (const Case& k : cases) {
        DYNAMIC_SECTION(k.name) {
            Rng rng = Rng::derive(5, 0, "resistance_readout");
            const Eigen::MatrixXi w = testdata::pm1(k.rows, k.cols, rng);
            const int n = 301;   // odd: the GEMM's last rows go through its narrow kernels
            const std::vector<float> x = inputs(k, n, rng);
            const Out f = read(k, true, w, x, n);
            const Out g = read(k, false, w, x, n);
            REQUIRE(f.fused);   // the case really exercises the fused readout
            REQUIRE_FALSE(g.fused);
            int differ = 0;
            for (std::size_t i = 0; i < f.y.size(); ++i) differ += f.y[i] != g.y[i] ? 1 : 0;
            CHECK(differ == 0);
            CHECK(f.ac.counts() == g.ac.counts());   // row drives, conversions, counter increments
            CHECK(f.ac.energies() == g.ac.energies());
            CHECK(f.latency == g.latency);
            REQUIRE(f.currents.rows() == g.currents.rows());
            REQUIRE(f.currents.cols() == g.currents.cols());
            CHECK(((f.currents - g.currents).array().abs() / g.currents.array().abs()).maxCoeff() < 1e-13);
            // The outputs are the physics, not a constant: they follow x.w (up to the
            // counter's steps and the cells' spread; 0.75 for 9 rows of 100, whose 91 unused
            // rows add their d2d spread to every column, ~0.9 for the full blocks).
            Eigen::VectorXd a(f.y.size()), e(f.y.size());
            for (int b = 0; b < n; ++b)
                for (int j = 0; j < k.cols; ++j) {
                    double ideal = 0.0;
                    for (int i = 0; i < k.rows; ++i) ideal += x[static_cast<std::size_t>(b) * k.rows + i] * w(i, j);
                    a(b * k.cols + j) = f.y[static_cast<std::size_t>(b) * k.cols + j];
                    e(b * k.cols + j) = ideal;
                }
            const Eigen::ArrayXd da = a.array() - a.mean(), de = e.array() - e.mean();
            const double corr = (da * de).sum() / std::sqrt(da.square().sum() * de.square().sum());
            INFO("correlation of y with x.w: " << corr);
            CHECK(corr > 0.6);
        }
    }
}

TEST_CASE("Fused resistance readout: a vector's result does not depend on its batch", "[physics][macro][tdc][resistance_readout]") {
    // 64 columns (one vector at a time), 32 / 16 / 8 (vectors in groups of two / four / eight:
    // a piece of 1, 2 or 5 vectors puts every vector in another group position).
    const Case cases[] = {{"jung"},
                          {"32 columns", 64, 64, 64, 32, InputEncoding::Signed, 4, false, true},
                          {"16 columns", 64, 64, 64, 16, InputEncoding::Signed, 4, false},
                          {"8 columns", 64, 64, 64, 8, InputEncoding::Signed, 4, false, true}};
    for (const Case& k : cases) {
        Rng rng = Rng::derive(5, 1, "resistance_readout_batch");
        const Eigen::MatrixXi w = testdata::pm1(k.rows, k.cols, rng);
        const int n = 67;
        const std::vector<float> x = inputs(k, n, rng);
        const Out whole = read(k, true, w, x, n);
        const Out pieces = read(k, true, w, x, n, {1, 2, 5, 16});
        CHECK(whole.y == pieces.y);
        CHECK(whole.ac.counts() == pieces.ac.counts());
    }
}

TEST_CASE("Fused resistance readout refuses inputs outside the encoding's domain as mvm() does",
          "[physics][macro][tdc][resistance_readout]") {
    const Case signed_case{"jung"};
    const Case binary_case{"0/1", 64, 64, 64, 64, InputEncoding::Binary, 4, false};
    for (const Case* k : {&signed_case, &binary_case}) {
        Rng rng = Rng::derive(5, 2, "resistance_readout_domain");
        const Eigen::MatrixXi w = testdata::pm1(k->rows, k->cols, rng);
        std::vector<float> x = inputs(*k, 4, rng);
        // -1 is valid only for +-1 inputs, 0 only for 0/1 inputs; 0.5 for neither.
        x[2 * 64 + 5] = k->input == InputEncoding::Signed ? 0.0f : -1.0f;
        std::string msg[2];
        for (int fused = 0; fused < 2; ++fused) {
            AnalogMacro m(case_config(*k), 3);
            m.set_fused_readout(fused == 1);
            ActionCounter prog, ac;
            m.program(w, testdata::tdc_block(k->rows, k->cols, k->input), prog);
            std::vector<float> y(4 * 64);
            try {
                m.mvm_rows(x.data(), 4, y.data(), ac);
            } catch (const std::invalid_argument& e) {
                msg[fused] = e.what();
            }
            CHECK(ac.get(action::kTdc) == 0.0);   // nothing counted for a refused read
        }
        INFO(msg[1]);
        CHECK(msg[1].find("at (2,5)") != std::string::npos);
        CHECK(msg[0] == msg[1]);
    }
}
