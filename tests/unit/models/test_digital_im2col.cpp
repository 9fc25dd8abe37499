// digital::im2col_rows (an Mvm's input burst gathered straight from the convolution input)
// against the materialised digital::im2col matrix: the same floats, bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "models/tile/DigitalOps.h"

using namespace sotsim;

namespace {
struct Case {
    ConvGeom g;
    bool position_major;
};
}  // namespace

TEST_CASE("digital: im2col_rows gathers exactly the rows and columns im2col writes", "[digital][im2col]") {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> val(-2.0f, 2.0f);
    std::vector<Case> cases;
    {
        Case c;  // 3x3, pad 1, stride 1, position-major input (a previous conv's output)
        c.g.c = 5, c.g.h = 7, c.g.w = 6, c.g.kh = 3, c.g.kw = 3, c.g.pad_t = c.g.pad_l = c.g.pad_b = c.g.pad_r = 1;
        c.g.pad_value = -1.0f;
        c.position_major = true;
        cases.push_back(c);
    }
    {
        Case c;  // 2x3 kernel, stride 2x1, asymmetric pad, flat CHW input
        c.g.c = 2, c.g.h = 9, c.g.w = 8, c.g.kh = 2, c.g.kw = 3, c.g.stride_h = 2, c.g.stride_w = 1;
        c.g.pad_t = 1, c.g.pad_l = 0, c.g.pad_b = 0, c.g.pad_r = 2;
        c.position_major = false;
        cases.push_back(c);
    }
    {
        Case c;  // VGG-like 3x3, pad 1, flat CHW: more samples than one staging group of 8
        c.g.c = 12, c.g.h = 10, c.g.w = 9, c.g.kh = 3, c.g.kw = 3, c.g.pad_t = c.g.pad_l = c.g.pad_b = c.g.pad_r = 1;
        c.g.pad_value = -1.0f;
        c.position_major = false;
        cases.push_back(c);
        c.position_major = true;
        cases.push_back(c);
    }
    {
        Case c;  // stride 2 in x (the strided run), flat CHW
        c.g.c = 3, c.g.h = 8, c.g.w = 11, c.g.kh = 3, c.g.kw = 2, c.g.stride_h = 1, c.g.stride_w = 2;
        c.g.pad_t = 0, c.g.pad_l = 1, c.g.pad_b = 2, c.g.pad_r = 1;
        c.position_major = false;
        cases.push_back(c);
    }
    // Stride 1 with out_w == w: one contiguous run per window column over a sample's rows
    // whose source row is inside, the positions outside in x set to the pad afterwards.
    {
        Case c;  // padding on the left and top only (every column's outside part at one side)
        c.g.c = 3, c.g.h = 6, c.g.w = 5, c.g.kh = 3, c.g.kw = 3, c.g.pad_t = 2, c.g.pad_l = 2;
        c.g.pad_value = -1.0f;
        c.position_major = true;
        cases.push_back(c);
        c.g.pad_t = 0, c.g.pad_l = 0, c.g.pad_b = 2, c.g.pad_r = 2;  // right and bottom only, flat CHW
        c.position_major = false;
        cases.push_back(c);
    }
    {
        Case c;  // 5x5 window over a 3x4 input: rows and columns with several outside positions
        c.g.c = 2, c.g.h = 3, c.g.w = 4, c.g.kh = 5, c.g.kw = 5, c.g.pad_t = c.g.pad_l = c.g.pad_b = c.g.pad_r = 2;
        c.g.pad_value = -1.0f;
        c.position_major = false;
        cases.push_back(c);
    }
    {
        Case c;  // 1x1, no padding: every column one copy of the whole plane
        c.g.c = 4, c.g.h = 5, c.g.w = 5;
        c.position_major = true;
        cases.push_back(c);
    }
    for (const Case& c : cases) {
        const ConvGeom& g = c.g;
        const int P = g.out_h() * g.out_w(), K = g.c * g.kh * g.kw;
        // Enough samples for the slices below (P - 5 + 70 vectors), 19 for more than a staging group.
        const int batch = c.g.c == 12 ? 19 : std::max(3, 90 / P + 1);
        const int src_rps = c.position_major ? g.h * g.w : 1;
        Eigen::MatrixXf src = c.position_major ? Eigen::MatrixXf(batch * g.h * g.w, g.c)
                                               : Eigen::MatrixXf(batch, g.c * g.h * g.w);
        for (Eigen::Index i = 0; i < src.size(); ++i) src.data()[i] = val(gen);
        Eigen::MatrixXf full(batch * P, K);
        digital::im2col(g, batch, src_rps, src, full);
        // Reference: the definition, element by element.
        Eigen::MatrixXf ref(batch * P, K);
        for (int b = 0; b < batch; ++b)
            for (int p = 0; p < P; ++p)
                for (int k = 0; k < K; ++k) {
                    const int ch = k / (g.kh * g.kw), i = (k / g.kw) % g.kh, j = k % g.kw;
                    const int y = (p / g.out_w()) * g.stride_h - g.pad_t + i, x = (p % g.out_w()) * g.stride_w - g.pad_l + j;
                    const bool in = y >= 0 && y < g.h && x >= 0 && x < g.w;
                    ref(b * P + p, k) = !in ? g.pad_value
                                        : c.position_major ? src(b * g.h * g.w + y * g.w + x, ch)
                                                           : src(b, (ch * g.h + y) * g.w + x);
                }
        REQUIRE(full == ref);
        const int vmid = batch > 8 ? 7 * P + 3 : 2;  // inside the first staging group, crossing it
        // Slices that straddle samples, staging groups and 256-vector blocks, and partial
        // column ranges (several channels, one channel, the middle of a channel).
        for (const auto [v0, nv, k0, nk] : std::vector<std::array<int, 4>>{
                 {0, batch * P, 0, K}, {P - 5, 70, 1, K - 2}, {batch * P - 1, 1, K - 1, 1}, {13, 0, 0, 3},
                 {vmid, std::min(batch * P - vmid, 600), 4, std::min(K - 4, 20)}}) {
            const int stride = nk + 3;
            std::vector<float> out(static_cast<std::size_t>(std::max(1, nv) * stride), 123.0f);
            digital::im2col_rows(g, batch, src_rps, src, v0, nv, k0, nk, out.data(), stride);
            for (int v = 0; v < nv; ++v) {
                for (int k = 0; k < nk; ++k) REQUIRE(out[static_cast<std::size_t>(v * stride + k)] == full(v0 + v, k0 + k));
                for (int k = nk; k < stride; ++k) REQUIRE(out[static_cast<std::size_t>(v * stride + k)] == 123.0f);
            }
        }
        std::vector<float> out(16);
        CHECK_THROWS_WITH(digital::im2col_rows(g, batch, src_rps, src, batch * P - 1, 2, 0, 1, out.data(), 1),
                          Catch::Contains("out of range"));
        CHECK_THROWS_WITH(digital::im2col_check(g, batch, src_rps, src, batch * P, K + 1),
                          Catch::Contains("expected"));
        CHECK(digital::im2col_check(g, batch, src_rps, src, batch * P, K).elements == double(batch) * P * K);
    }
}

TEST_CASE("digital: im2col_rows with a kept stage gives the same floats over consecutive bursts", "[digital][im2col]") {
    // A flat CHW source (the case that stages): bursts of 40 vectors, a third of a sample's
    // 121 positions, each through two column ranges (other channels staged) on one stage,
    // then a changed source after reset().
    ConvGeom g;
    g.c = 6, g.h = 11, g.w = 11, g.kh = 3, g.kw = 3, g.pad_t = g.pad_l = g.pad_b = g.pad_r = 1;
    g.pad_value = -1.0f;
    const int batch = 19, P = g.out_h() * g.out_w(), K = g.c * g.kh * g.kw;
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> val(-2.0f, 2.0f);
    Eigen::MatrixXf src(batch, g.c * g.h * g.w);
    for (Eigen::Index i = 0; i < src.size(); ++i) src.data()[i] = val(gen);
    digital::GatherStage stage;
    for (int round = 0; round < 2; ++round) {
        Eigen::MatrixXf full(batch * P, K);
        digital::im2col(g, batch, 1, src, full);
        // Each burst through both column ranges in turn (the stage must follow the channels).
        for (int v0 = 0; v0 < batch * P; v0 += 40) {
            for (const auto [k0, nk] : std::vector<std::array<int, 2>>{{0, 30}, {25, K - 25}}) {
                const int stride = nk + 1;
                const int nv = std::min(40, batch * P - v0);
                std::vector<float> out(static_cast<std::size_t>(nv * stride), 0.0f);
                digital::im2col_rows(g, batch, 1, src, v0, nv, k0, nk, out.data(), stride, &stage);
                for (int v = 0; v < nv; ++v)
                    for (int k = 0; k < nk; ++k) REQUIRE(out[static_cast<std::size_t>(v * stride + k)] == full(v0 + v, k0 + k));
            }
        }
        src *= -0.5f;  // new values in the same memory: the caller resets the stage
        stage.reset();
    }
}
