// padded_run (the inner loop of both im2col gathers) against its definition, element by
// element: runs that start left of the row, end right of it, miss it, and span several
// 16-float packets of the vector path; nothing past the run is written.
#include <catch2/catch.hpp>

#include <vector>

#include "models/common/PaddedRun.h"

using namespace sotsim;

TEST_CASE("padded_run writes row[x0 + r * step] inside the row, the pad outside, and nothing past n",
          "[digital][im2col]") {
    constexpr float kPad = -7.5f, kUntouched = 123.0f;
    for (const int w : {1, 7, 16, 28, 33, 70})
        for (const int step : {1, 2, 3}) {
            std::vector<float> row(static_cast<std::size_t>(w));
            for (int i = 0; i < w; ++i) row[static_cast<std::size_t>(i)] = 0.25f * static_cast<float>(i + 1);
            for (const int x0 : {-40, -17, -3, -1, 0, 1, 5, w - 1, w, w + 2})
                for (const int n : {0, 1, 5, 15, 16, 17, 31, 32, 33, 48, 70}) {
                    INFO("w " << w << " step " << step << " x0 " << x0 << " n " << n);
                    std::vector<float> dst(static_cast<std::size_t>(n) + 20, kUntouched);
                    padded_run(row.data(), w, x0, step, n, kPad, dst.data());
                    for (int r = 0; r < n; ++r) {
                        const int x = x0 + r * step;
                        REQUIRE(dst[static_cast<std::size_t>(r)] == (x >= 0 && x < w ? row[static_cast<std::size_t>(x)] : kPad));
                    }
                    for (std::size_t r = static_cast<std::size_t>(n); r < dst.size(); ++r) REQUIRE(dst[r] == kUntouched);
                }
        }
}

TEST_CASE("copy_run copies n floats and nothing past them", "[digital][im2col]") {
    std::vector<float> src(80);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = 0.5f * static_cast<float>(i) - 3.0f;
    for (const int n : {0, 1, 7, 15, 16, 17, 28, 32, 33, 64}) {
        INFO("n " << n);
        std::vector<float> dst(static_cast<std::size_t>(n) + 20, 123.0f);
        copy_run(src.data() + 3, n, dst.data());
        for (int r = 0; r < n; ++r) REQUIRE(dst[static_cast<std::size_t>(r)] == src[static_cast<std::size_t>(r) + 3]);
        for (std::size_t r = static_cast<std::size_t>(n); r < dst.size(); ++r) REQUIRE(dst[r] == 123.0f);
    }
}

TEST_CASE("fill_run sets n floats and nothing past them", "[digital][im2col]") {
    for (const float v : {0.0f, -1.0f})
        for (const int n : {0, 1, 2, 15, 16, 17, 28, 32, 33, 64}) {
            INFO("n " << n << " value " << v);
            std::vector<float> dst(static_cast<std::size_t>(n) + 20, 123.0f);
            fill_run(dst.data(), n, v);
            for (int r = 0; r < n; ++r) REQUIRE(dst[static_cast<std::size_t>(r)] == v);
            for (std::size_t r = static_cast<std::size_t>(n); r < dst.size(); ++r) REQUIRE(dst[r] == 123.0f);
        }
}
