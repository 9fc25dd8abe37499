// digital::pool: max and average pooling in both layouts against the definition, and the
// position-major max path without padding bit for bit equal to the general path (the same
// comparisons in the same order; signed zeros and repeated values included).
#include <catch2/catch.hpp>

#include <limits>
#include <random>

#include "models/tile/DigitalOps.h"

using namespace sotsim;

namespace {
// The definition on a CHW sample-major value function.
template <class F>
Eigen::MatrixXf reference(const ConvGeom& g, bool max, int batch, F at) {
    const int oh = g.out_h(), ow = g.out_w();
    Eigen::MatrixXf r(batch, g.c * oh * ow);  // flat CHW
    for (int b = 0; b < batch; ++b)
        for (int c = 0; c < g.c; ++c)
            for (int oy = 0; oy < oh; ++oy)
                for (int ox = 0; ox < ow; ++ox) {
                    float acc = max ? -std::numeric_limits<float>::infinity() : 0.0f;
                    int n = 0;
                    for (int i = 0; i < g.kh; ++i)
                        for (int j = 0; j < g.kw; ++j) {
                            const int y = oy * g.stride_h - g.pad_t + i, x = ox * g.stride_w - g.pad_l + j;
                            if (y < 0 || y >= g.h || x < 0 || x >= g.w) continue;
                            acc = max ? std::max(acc, at(b, c, y, x)) : acc + at(b, c, y, x);
                            ++n;
                        }
                    r(b, (c * oh + oy) * ow + ox) = n == 0 ? 0.0f : max ? acc : acc / static_cast<float>(n);
                }
    return r;
}
}  // namespace

TEST_CASE("digital: pool equals the definition in both layouts, with and without padding", "[digital][pool]") {
    std::mt19937 gen(5);
    std::uniform_int_distribution<int> pick(0, 6);
    const float values[] = {0.0f, -0.0f, 1.5f, -1.5f, 2.0f, 2.0f, -3.25f};  // signed zeros, ties
    for (const bool padded : {false, true})
        for (const bool max : {true, false}) {
            ConvGeom g;
            g.c = 3, g.h = 6, g.w = 8, g.kh = 2, g.kw = 3, g.stride_h = 2, g.stride_w = 2;
            if (padded) g.pad_t = 1, g.pad_r = 1;
            const int batch = 5, hw = g.h * g.w, oh = g.out_h(), ow = g.out_w();
            Eigen::MatrixXf flat(batch, g.c * hw), pm(batch * hw, g.c);
            for (int b = 0; b < batch; ++b)
                for (int c = 0; c < g.c; ++c)
                    for (int p = 0; p < hw; ++p) flat(b, c * hw + p) = pm(b * hw + p, c) = values[pick(gen)];
            const Eigen::MatrixXf ref =
                reference(g, max, batch, [&](int b, int c, int y, int x) { return flat(b, (c * g.h + y) * g.w + x); });
            Eigen::MatrixXf out_flat(batch, g.c * oh * ow), out_pm(batch * oh * ow, g.c);
            const digital::Work wf = digital::pool(g, max, batch, 1, flat, out_flat);
            const digital::Work wp = digital::pool(g, max, batch, hw, pm, out_pm);
            INFO((padded ? "padded " : "") << (max ? "max" : "average"));
            for (int b = 0; b < batch; ++b)
                for (int c = 0; c < g.c; ++c)
                    for (int q = 0; q < oh * ow; ++q) {
                        const float r = ref(b, c * oh * ow + q);
                        REQUIRE(std::signbit(out_flat(b, c * oh * ow + q)) == std::signbit(r));
                        REQUIRE(out_flat(b, c * oh * ow + q) == r);
                        REQUIRE(std::signbit(out_pm(b * oh * ow + q, c)) == std::signbit(r));
                        REQUIRE(out_pm(b * oh * ow + q, c) == r);
                    }
            CHECK(wp.actions.get(action::kDigitalCompare) == wf.actions.get(action::kDigitalCompare));
            if (max && !padded)
                CHECK(wp.actions.get(action::kDigitalCompare) == double(batch) * g.c * oh * ow * (g.kh * g.kw - 1));
        }
}

TEST_CASE("digital: position-major max pool with a window past the input's edge reads only the input",
          "[digital][pool]") {
    // No padding, kernel 3 x 3 on a 2 x 5 input, stride 2: out_h() is 1 by integer division, and
    // the window's third row lies past the sample. The fast path must not read the next
    // sample's rows there (the review of the VGG-8 pool path found it did).
    ConvGeom g;
    g.c = 2, g.h = 2, g.w = 5, g.kh = 3, g.kw = 3, g.stride_h = 2, g.stride_w = 2;
    const int batch = 2, hw = g.h * g.w, oh = g.out_h(), ow = g.out_w();
    REQUIRE(oh == 1);
    Eigen::MatrixXf pm(batch * hw, g.c);
    for (int b = 0; b < batch; ++b)
        for (int p = 0; p < hw; ++p)
            for (int c = 0; c < g.c; ++c) pm(b * hw + p, c) = b == 0 ? float(p % 3) - 1.0f : 100.0f + p;
    const Eigen::MatrixXf ref =
        reference(g, true, batch, [&](int b, int c, int y, int x) { return pm(b * hw + y * g.w + x, c); });
    Eigen::MatrixXf out(batch * oh * ow, g.c);
    digital::pool(g, true, batch, hw, pm, out);
    for (int b = 0; b < batch; ++b)
        for (int c = 0; c < g.c; ++c)
            for (int q = 0; q < oh * ow; ++q) CHECK(out(b * oh * ow + q, c) == ref(b, c * oh * ow + q));
}
