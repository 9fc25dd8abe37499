// max_pool_plane (both max pools' loop, with a 16-output vector path for 2 x 2 windows of
// stride 2) against std::max over each window in order, bit for bit: NaNs (std::max(acc, NaN)
// keeps acc), signed zeros (of two zeros the first is kept), output widths around the
// register's 16, odd input widths; nothing past the outputs is written.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "models/common/MaxPoolPlane.h"

using namespace sotsim;

TEST_CASE("max_pool_plane equals std::max over each window in order, NaN and signed zeros included",
          "[digital][pool]") {
    std::mt19937 gen(3);
    std::uniform_int_distribution<int> pick(0, 9);
    std::uniform_real_distribution<float> val(-4.0f, 4.0f);
    struct Geom {
        int kh, kw, sh, sw;
    };
    for (const Geom k : {Geom{2, 2, 2, 2}, Geom{3, 2, 1, 2}, Geom{2, 3, 2, 1}, Geom{3, 3, 2, 2}})
        for (const int ow : {1, 7, 8, 9, 14, 15, 16, 17, 31, 33})
            for (const int extra : {0, 1}) {   // an input column no window reads (odd widths: 7 -> 3)
                const int oh = 3, w = (ow - 1) * k.sw + k.kw + extra, h = (oh - 1) * k.sh + k.kh;
                INFO("window " << k.kh << "x" << k.kw << " stride " << k.sh << "x" << k.sw << " ow " << ow << " w " << w);
                std::vector<float> src(static_cast<std::size_t>(h * w));
                for (float& v : src) {
                    const int p = pick(gen);
                    v = p == 0 ? std::numeric_limits<float>::quiet_NaN() : p == 1 ? 0.0f : p == 2 ? -0.0f : val(gen);
                }
                std::vector<float> ref(static_cast<std::size_t>(oh * ow) + 20, 123.0f), got(ref);
                for (int oy = 0; oy < oh; ++oy)
                    for (int ox = 0; ox < ow; ++ox) {
                        float acc = -std::numeric_limits<float>::infinity();
                        for (int ky = 0; ky < k.kh; ++ky)
                            for (int kx = 0; kx < k.kw; ++kx)
                                acc = std::max(acc, src[static_cast<std::size_t>((oy * k.sh + ky) * w + ox * k.sw + kx)]);
                        ref[static_cast<std::size_t>(oy * ow + ox)] = acc;
                    }
                max_pool_plane(src.data(), w, oh, ow, k.kh, k.kw, k.sh, k.sw, got.data());
                REQUIRE(std::memcmp(ref.data(), got.data(), ref.size() * sizeof(float)) == 0);
            }
}
