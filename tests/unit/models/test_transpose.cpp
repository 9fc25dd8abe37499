// models/common/Transpose.h: the blocked transposition and the layout changes built on it
// (digital::copy between position-major and flat CHW) against element-wise definitions.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "models/common/Transpose.h"
#include "models/tile/DigitalOps.h"

using namespace sotsim;

TEST_CASE("transpose: every element lands at its transposed place, nothing else is written", "[transpose]") {
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> val(-1.0f, 1.0f);
    // Sizes below, at and across the 8 x 8 register tiles and the 64-row panels.
    for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{
             {1, 1}, {3, 5}, {8, 8}, {9, 17}, {64, 64}, {65, 7}, {130, 72}, {256, 64}, {7, 300}}) {
        const int sld = cols + 3, dld = rows + 5;
        std::vector<float> src(static_cast<std::size_t>(rows) * sld), dst(static_cast<std::size_t>(cols) * dld, 7.0f);
        for (float& v : src) v = val(gen);
        transpose(src.data(), sld, dst.data(), dld, rows, cols);
        for (int c = 0; c < cols; ++c)
            for (int r = 0; r < dld; ++r)
                REQUIRE(dst[static_cast<std::size_t>(c) * dld + r] ==
                        (r < rows ? src[static_cast<std::size_t>(r) * sld + c] : 7.0f));
        // The Eigen forms: a block of a column-major matrix to its row-major image and back.
        Eigen::MatrixXf m = Eigen::MatrixXf::Random(rows + 4, cols + 2);
        std::vector<float> img(static_cast<std::size_t>(rows) * cols);
        to_row_major(m.block(2, 1, rows, cols), img.data(), cols);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) REQUIRE(img[static_cast<std::size_t>(r) * cols + c] == m(2 + r, 1 + c));
        Eigen::MatrixXf back = Eigen::MatrixXf::Zero(rows + 4, cols + 2);
        from_row_major(img.data(), cols, back.block(2, 1, rows, cols));
        REQUIRE(back.block(2, 1, rows, cols) == m.block(2, 1, rows, cols));
        REQUIRE(back.leftCols(1).isZero());
        REQUIRE(back.topRows(2).isZero());
    }
}

TEST_CASE("digital: copy converts position-major <-> flat CHW element by element", "[digital][copy]") {
    const int batch = 11, P = 13, C = 6;
    Eigen::MatrixXf pm = Eigen::MatrixXf::Random(batch * P, C), flat(batch, C * P), back(batch * P, C);
    digital::copy(batch, P, 1, pm, flat);
    for (int b = 0; b < batch; ++b)
        for (int p = 0; p < P; ++p)
            for (int c = 0; c < C; ++c) REQUIRE(flat(b, c * P + p) == pm(b * P + p, c));
    const digital::Work w = digital::copy(batch, 1, P, flat, back);
    REQUIRE(back == pm);
    CHECK(w.elements == double(batch) * P * C);
}

TEST_CASE("transpose: a single vector with a unit stride on one side is copied in order", "[transpose]") {
    // One sample of a streamed program: a 1 x n row into contiguous storage, an n x 1
    // column out of contiguous storage; the other stride is anything.
    for (int n : {1, 7, 8, 256, 301}) {
        std::vector<float> src(static_cast<std::size_t>(n) * 3), dst(static_cast<std::size_t>(n) * 3 + 1, 7.0f);
        for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i) * 0.5f - 3.0f;
        transpose(src.data(), 5, dst.data(), 1, 1, n);  // row -> contiguous column
        for (int c = 0; c < n; ++c) REQUIRE(dst[static_cast<std::size_t>(c)] == src[static_cast<std::size_t>(c)]);
        REQUIRE(dst[static_cast<std::size_t>(n)] == 7.0f);
        std::fill(dst.begin(), dst.end(), 7.0f);
        transpose(src.data(), 1, dst.data(), 3, n, 1);  // contiguous column -> row of stride 3
        for (int r = 0; r < n; ++r) REQUIRE(dst[static_cast<std::size_t>(r)] == src[static_cast<std::size_t>(r)]);
        REQUIRE(dst[static_cast<std::size_t>(n)] == 7.0f);
    }
}

TEST_CASE("copy_columns copies a column-major block between strides and touches nothing else", "[transpose]") {
    // A sample's slice of a sample-major tensor (one row, outer stride = the batch) and a
    // window of samples (several rows), both ways; the gaps between columns keep their values.
    for (int rows : {1, 3, 64}) {
        const int cols = 37, src_ld = rows + 5, dst_ld = rows + 2;
        std::vector<float> src(static_cast<std::size_t>(src_ld) * cols), dst(static_cast<std::size_t>(dst_ld) * cols, -9.0f);
        for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i) * 0.25f + 1.0f;
        copy_columns(src.data(), src_ld, dst.data(), dst_ld, rows, cols);
        for (int c = 0; c < cols; ++c)
            for (int r = 0; r < dst_ld; ++r) {
                const float got = dst[static_cast<std::size_t>(c) * dst_ld + r];
                if (r < rows) REQUIRE(got == src[static_cast<std::size_t>(c) * src_ld + r]);
                else REQUIRE(got == -9.0f);
            }
    }
}
