// PlaneProduct (the MVM kernel's 0/1-plane read on a pre-packed operand) against a
// row-ordered float sum written out here, a double product, and itself across batch splits.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <utility>

#include "models/physics/PlaneProduct.h"
#include "models/physics/Rng.h"

using sotsim::phys::PlaneProduct;
using sotsim::phys::Rng;

namespace {

Eigen::MatrixXf random_plane(Eigen::Index batch, Eigen::Index rows, double density, Rng& rng) {
    Eigen::MatrixXf b(batch, rows);
    for (Eigen::Index v = 0; v < batch; ++v)
        for (Eigen::Index i = 0; i < rows; ++i) b(v, i) = rng.uniform() < density ? 1.0f : 0.0f;
    return b;
}

Eigen::MatrixXf random_operand(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
    Eigen::MatrixXf u(rows, cols);
    for (Eigen::Index j = 0; j < cols; ++j)
        for (Eigen::Index i = 0; i < rows; ++i) u(i, j) = static_cast<float>(4.0 * rng.normal());
    return u;
}

// y(v, c) = sum over active i in increasing order, in float: the documented order.
float ordered_sum(const Eigen::MatrixXf& b, const Eigen::MatrixXf& u, Eigen::Index v, Eigen::Index c) {
    float s = 0.0f;
    for (Eigen::Index i = 0; i < b.cols(); ++i)
        if (b(v, i) != 0.0f) s += u(i, c);
    return s;
}

}  // namespace

TEST_CASE("plane product equals the row-ordered float sum, part by part", "[physics][kernel]") {
    Rng rng = Rng::derive(5, 0, "plane_product_test");
    // Shapes off the panel grid on purpose (37 and 70 columns; 7, 1 and 0 vectors left after
    // the joint groups).
    for (const auto& [rows, lc, rc] : {std::tuple<int, int, int>{256, 128, 128}, {61, 37, 70}, {1, 3, 1}, {300, 32, 0}}) {
        const Eigen::MatrixXf l = random_operand(rows, lc, rng), r = random_operand(rows, rc, rng);
        PlaneProduct pp;
        pp.pack(l, r);
        for (const Eigen::Index batch : {Eigen::Index{1}, Eigen::Index{7}, Eigen::Index{64}}) {
            for (const double density : {0.0, 0.2, 0.5, 1.0}) {
                const Eigen::MatrixXf b = random_plane(batch, rows, density, rng);
                sotsim::phys::RowMatrixXf both, left, right;
                pp.multiply(b, true, true, both);
                pp.multiply(b, true, false, left);
                pp.multiply(b, false, true, right);
                REQUIRE(both.rows() == batch);
                REQUIRE(both.cols() == lc + rc);
                REQUIRE(left.cols() == lc);
                REQUIRE(right.cols() == rc);
                for (Eigen::Index v = 0; v < batch; ++v) {
                    for (Eigen::Index c = 0; c < lc; ++c) {
                        REQUIRE(both(v, c) == ordered_sum(b, l, v, c));
                        REQUIRE(left(v, c) == both(v, c));
                    }
                    for (Eigen::Index c = 0; c < rc; ++c) {
                        REQUIRE(both(v, lc + c) == ordered_sum(b, r, v, c));
                        REQUIRE(right(v, c) == both(v, lc + c));
                    }
                }
                // And within float rounding of the double product.
                const Eigen::MatrixXd ref = b.cast<double>() * l.cast<double>();
                if (lc) REQUIRE((left.cast<double>() - ref).cwiseAbs().maxCoeff() <= 1e-5 * (1.0 + ref.cwiseAbs().maxCoeff()));
            }
        }
    }
}

TEST_CASE("plane product: a vector's result does not depend on its batch", "[physics][kernel]") {
    Rng rng = Rng::derive(6, 0, "plane_product_batch");
    const Eigen::MatrixXf l = random_operand(256, 128, rng), r = random_operand(256, 128, rng);
    PlaneProduct pp;
    pp.pack(l, r);
    const Eigen::MatrixXf b = random_plane(67, 256, 0.5, rng);
    sotsim::phys::RowMatrixXf all, part;
    pp.multiply(b, true, true, all);
    for (const Eigen::Index start : {Eigen::Index{0}, Eigen::Index{3}, Eigen::Index{66}}) {
        for (const Eigen::Index n : {Eigen::Index{1}, Eigen::Index{2}, Eigen::Index{5}}) {
            if (start + n > b.rows()) continue;
            pp.multiply(b.middleRows(start, n), true, true, part);
            REQUIRE(part == all.middleRows(start, n));
        }
    }
    // A range of the plane read in place (the macro's chunked readout), also across the
    // 64-vector chunks and the 16-vector list blocks of the kernel.
    for (const Eigen::Index start : {Eigen::Index{0}, Eigen::Index{5}, Eigen::Index{17}, Eigen::Index{64}}) {
        for (const Eigen::Index n : {Eigen::Index{1}, Eigen::Index{3}, Eigen::Index{50}}) {
            if (start + n > b.rows()) continue;
            pp.multiply(b, start, n, true, true, part);
            REQUIRE(part == all.middleRows(start, n));
            pp.multiply(b, start, n, false, true, part);
            REQUIRE(part == all.block(start, 128, n, 128));
        }
    }
    REQUIRE_THROWS_AS(pp.multiply(b, 60, 8, true, true, part), std::logic_error);
    // Vectors of very different densities (the kernel groups a chunk's vectors by their
    // active-row counts): each one's result is the same as read alone.
    Eigen::MatrixXf mixed(70, 256);
    for (Eigen::Index v = 0; v < mixed.rows(); ++v)
        mixed.row(v) = random_plane(1, 256, static_cast<double>((v * 7) % 11) / 10.0, rng);
    pp.multiply(mixed, true, true, all);
    for (Eigen::Index v = 0; v < mixed.rows(); ++v) {
        pp.multiply(mixed, v, 1, true, true, part);
        REQUIRE(part == all.middleRows(v, 1));
    }
}

TEST_CASE("plane product: integer operands give exact integer sums", "[physics][kernel]") {
    Rng rng = Rng::derive(7, 0, "plane_product_exact");
    Eigen::MatrixXf u(256, 64);
    for (Eigen::Index j = 0; j < u.cols(); ++j)
        for (Eigen::Index i = 0; i < u.rows(); ++i) u(i, j) = static_cast<float>(static_cast<int>(rng.uniform() * 31.0) - 15);
    PlaneProduct pp;
    pp.pack(u, Eigen::MatrixXf(256, 0));
    const Eigen::MatrixXf b = random_plane(33, 256, 0.6, rng);
    sotsim::phys::RowMatrixXf y;
    pp.multiply(b, true, false, y);
    const Eigen::MatrixXd exact = b.cast<double>() * u.cast<double>();
    REQUIRE(y.cast<double>() == exact);
}

TEST_CASE("plane product refuses a plane of another width", "[physics][kernel]") {
    PlaneProduct pp;
    pp.pack(Eigen::MatrixXf::Ones(8, 4), Eigen::MatrixXf::Ones(8, 4));
    sotsim::phys::RowMatrixXf y;
    REQUIRE_THROWS_AS(pp.multiply(Eigen::MatrixXf::Ones(2, 9), true, true, y), std::logic_error);
}

namespace {

// Nonnegative variances within a factor `spread` of each other (the differential pairs'
// W = V+ + V-), the largest exactly `top` in the first column.
Eigen::MatrixXf random_variances(Eigen::Index rows, Eigen::Index cols, double spread, float top, Rng& rng) {
    Eigen::MatrixXf w(rows, cols);
    for (Eigen::Index j = 0; j < cols; ++j)
        for (Eigen::Index i = 0; i < rows; ++i) w(i, j) = static_cast<float>(top / (1.0 + (spread - 1.0) * rng.uniform()));
    if (cols) w.col(0).setConstant(top);   // every row at the grid's top: a full plane sums to its bound
    return w;
}

}  // namespace

TEST_CASE("plane product: fixed_grid rounds within 2^-7 onto q * step, or refuses", "[physics][kernel]") {
    Rng rng = Rng::derive(8, 0, "plane_product_grid");
    for (const Eigen::Index rows : {Eigen::Index{256}, Eigen::Index{61}, Eigen::Index{1}}) {
        const Eigen::MatrixXf w0 = random_variances(rows, 70, 2.5, 3e-3f, rng);
        Eigen::MatrixXf w = w0;
        const float step = PlaneProduct::fixed_grid(w);
        const long top = 65535 / static_cast<long>(rows);
        // The largest entry is the top of the grid: rows of it sum to at most 2^16 - 1.
        REQUIRE(step == 3e-3f / static_cast<float>(top));
        for (Eigen::Index j = 0; j < w.cols(); ++j)
            for (Eigen::Index i = 0; i < rows; ++i) {
                const long q = std::lround(static_cast<double>(w(i, j)) / step);
                REQUIRE(q >= 0);
                REQUIRE(q <= top);
                REQUIRE(w(i, j) == static_cast<float>(q) * step);
                // The nearest grid point: within half a step, and within 2^-7 of the value.
                REQUIRE(std::fabs(static_cast<double>(w(i, j)) - w0(i, j)) <= 0.5 * step * (1.0 + 1e-6));
                REQUIRE(std::fabs(static_cast<double>(w(i, j)) - w0(i, j)) <= 0x1.0p-7 * w0(i, j));
            }
    }
    // Refusals leave the operand as it was.
    Eigen::MatrixXf wide = random_variances(256, 8, 2.5, 3e-3f, rng);
    wide(5, 3) = 3e-3f / 10.0f;   // 10x below the top: a step is 4 % of it
    Eigen::MatrixXf neg = random_variances(16, 8, 2.0, 1.0f, rng);
    neg(2, 2) = -1e-3f;
    Eigen::MatrixXf nan = random_variances(16, 8, 2.0, 1.0f, rng);
    nan(1, 7) = std::nanf("");
    for (Eigen::MatrixXf* m : {&wide, &neg, &nan}) {
        const Eigen::MatrixXf before = *m;
        REQUIRE(PlaneProduct::fixed_grid(*m) == 0.0f);
        REQUIRE(m->cwiseEqual(before).count() + m->array().isNaN().count() == m->size());
    }
    Eigen::MatrixXf zero = Eigen::MatrixXf::Zero(8, 4);
    REQUIRE(PlaneProduct::fixed_grid(zero) == 0.0f);
    // Zeros among positive entries stay exact zeros.
    Eigen::MatrixXf some = random_variances(32, 4, 1.5, 1.0f, rng);
    some(3, 1) = 0.0f;
    REQUIRE(PlaneProduct::fixed_grid(some) > 0.0f);
    REQUIRE(some(3, 1) == 0.0f);
}

TEST_CASE("plane product: an integer-read part gives step * (exact integer sum), in any batch split", "[physics][kernel]") {
    Rng rng = Rng::derive(9, 0, "plane_product_fixed");
    for (const auto& [rows, lc, rc] : {std::tuple<int, int, int>{256, 128, 128}, {61, 37, 70}, {1, 3, 1}, {300, 0, 129}}) {
        const Eigen::MatrixXf l = random_operand(rows, lc, rng);
        Eigen::MatrixXf r = random_variances(rows, rc, 2.5, 2e-3f, rng);
        const float step = PlaneProduct::fixed_grid(r);
        REQUIRE(step > 0.0f);
        PlaneProduct pp;
        pp.pack(l, r, step);
        REQUIRE(pp.right_fixed());
        for (const Eigen::Index batch : {Eigen::Index{1}, Eigen::Index{7}, Eigen::Index{64}, Eigen::Index{67}}) {
            for (const double density : {0.0, 0.2, 0.5, 1.0}) {
                const Eigen::MatrixXf b = random_plane(batch, rows, density, rng);
                sotsim::phys::RowMatrixXf both, left, right;
                pp.multiply(b, true, true, both);
                pp.multiply(b, lc > 0, false, left);
                pp.multiply(b, false, true, right);
                REQUIRE(both.cols() == lc + rc);
                for (Eigen::Index v = 0; v < batch; ++v) {
                    for (Eigen::Index c = 0; c < lc; ++c) REQUIRE(both(v, c) == ordered_sum(b, l, v, c));
                    for (Eigen::Index c = 0; c < rc; ++c) {
                        long q = 0;
                        for (Eigen::Index i = 0; i < rows; ++i)
                            if (b(v, i) != 0.0f) q += std::lround(static_cast<double>(r(i, c)) / step);
                        REQUIRE(q < 65536);
                        REQUIRE(both(v, lc + c) == static_cast<float>(q) * step);
                        REQUIRE(right(v, c) == both(v, lc + c));
                        // The same sum as the grid values in float, within float rounding.
                        REQUIRE(std::fabs(both(v, lc + c) - ordered_sum(b, r, v, c)) <= 1e-5f * (1e-30f + ordered_sum(b, r, v, c)));
                    }
                }
                for (const Eigen::Index start : {Eigen::Index{0}, Eigen::Index{5}}) {
                    if (start + 2 > batch) continue;
                    pp.multiply(b, start, 2, true, true, left);
                    REQUIRE(left == both.middleRows(start, 2));
                }
            }
        }
    }
    // A step the entries are not on is refused.
    Eigen::MatrixXf r = random_variances(16, 4, 2.0, 1.0f, rng);
    const float step = PlaneProduct::fixed_grid(r);
    r(3, 2) += 0.25f * step;
    PlaneProduct pp;
    REQUIRE_THROWS_AS(pp.pack(Eigen::MatrixXf(16, 0), r, step), std::logic_error);
}

TEST_CASE("plane bits: the driven rows, both counts, the domain, and the same read as the float plane", "[physics][kernel]") {
    Rng rng = Rng::derive(8, 0, "plane_bits_test");
    // Rows off the 16-row words (61) and batches off the 16-vector blocks (1, 37).
    for (const Eigen::Index rows : {Eigen::Index{61}, Eigen::Index{256}}) {
        const Eigen::MatrixXf l = random_operand(rows, 40, rng), r = random_operand(rows, 24, rng);
        PlaneProduct pp;
        pp.pack(l, r);
        for (const Eigen::Index batch : {Eigen::Index{1}, Eigen::Index{37}, Eigen::Index{130}}) {
            Eigen::MatrixXf b = random_plane(batch, rows, 0.4, rng);
            b(0, 0) = -0.0f;   // a zero of the domain
            sotsim::phys::PlaneBits bits;
            REQUIRE(bits.assign(b));
            REQUIRE(bits.vectors() == batch);
            REQUIRE(bits.words() == (rows + 15) / 16);
            for (Eigen::Index v = 0; v < batch; ++v) {
                std::int32_t n = 0;
                for (Eigen::Index i = 0; i < rows; ++i) {
                    const bool on = (bits.vector(v)[i / 16] >> (i % 16)) & 1u;
                    REQUIRE(on == (b(v, i) != 0.0f));
                    n += on ? 1 : 0;
                }
                // No bit beyond the last row.
                if (rows % 16) REQUIRE((bits.vector(v)[bits.words() - 1] >> (rows % 16)) == 0);
                REQUIRE(bits.per_vector()[static_cast<size_t>(v)] == n);
                REQUIRE(static_cast<float>(n) == b.row(v).sum());
            }
            for (Eigen::Index i = 0; i < rows; ++i) REQUIRE(static_cast<float>(bits.per_row()[static_cast<size_t>(i)]) == b.col(i).sum());
            // The read from the bits is the read from the plane, for any range.
            sotsim::phys::RowMatrixXf from_plane, from_bits;
            for (const auto& [first, count] : {std::pair<Eigen::Index, Eigen::Index>{0, batch}, {batch / 2, batch - batch / 2}, {batch - 1, 1}}) {
                pp.multiply(b, first, count, true, true, from_plane);
                pp.multiply(bits, first, count, true, true, from_bits);
                REQUIRE(from_bits == from_plane);
                pp.multiply(bits, first, count, false, true, from_bits);
                REQUIRE(from_bits == from_plane.rightCols(24));
            }
            REQUIRE_THROWS_AS(pp.multiply(bits, batch, 1, true, true, from_bits), std::logic_error);
            // Any entry other than 0 or 1 is reported, wherever it is.
            for (const float bad : {0.5f, 2.0f, -1.0f, std::nanf("")}) {
                Eigen::MatrixXf c = b;
                c(batch - 1, rows - 1) = bad;
                REQUIRE_FALSE(bits.assign(c));
            }
        }
    }
    PlaneProduct other;
    other.pack(Eigen::MatrixXf::Ones(8, 4), Eigen::MatrixXf::Ones(8, 4));
    sotsim::phys::PlaneBits nine;
    nine.assign(Eigen::MatrixXf::Ones(2, 9));
    sotsim::phys::RowMatrixXf y;
    REQUIRE_THROWS_AS(other.multiply(nine, 0, 2, true, true, y), std::logic_error);
}
