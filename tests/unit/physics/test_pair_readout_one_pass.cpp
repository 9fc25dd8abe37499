// The fused readout's one-pass conversion of a one-cycle noisy call (PairReadout::run with
// kept converter inputs: the input, current, ADC code, level, calibration and logical column
// of 16 pairs at a time) against the three-pass path of the same readout (a call that keeps
// the currents instead: the input loop, Adc::codes_row and the combine, with the currents and
// codes stored between them). Same units, variances and normals: the outputs must be the same
// bits, and the kept inputs the inputs of those currents. The inputs include converter values
// exactly on the code thresholds (v = h + 1/2: the guard of codes_row then converts the
// chunk again), values beyond both ends of the range, negative and NaN variances.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <utility>
#include <limits>
#include <vector>

#include "models/physics/Adc.h"
#include "models/physics/Calibration.h"
#include "models/physics/PairReadout.h"
#include "models/physics/Rng.h"
#include "models/physics/WeightLayout.h"

using namespace sotsim;
using namespace sotsim::phys;

TEST_CASE("Fused pair readout: the one-pass conversion of a one-cycle call gives the three-pass outputs bit for bit",
          "[physics][adc][pair_readout]") {
    // One chunk of codes_row; three, the last one shorter; with and without channel mismatch.
    for (const auto& [np, mismatch] : {std::pair<int, bool>{32, false}, {144, false}, {144, true}}) {
        INFO(np << " pairs, mismatch " << mismatch);
        Rng rng = Rng::derive(11, static_cast<std::uint64_t>(np + mismatch), "pair_readout_one_pass");
        AdcConfig ac;
        ac.bits = 5;        if (mismatch) {
            ac.gain_sigma = 0.03;
            ac.offset_sigma = 0.3;
        }
        SarAdc adc(ac);
        if (mismatch) adc.sample_mismatch(2 * np, rng);
        // A range [0, 31 lsb] with lsb = 3 2^-26 A (not a power of 2) and u = lsb / 2 moved by k
        // ulps, A per digit: the read 2 h + 1 is within k ulps of the threshold of codes h and h + 1
        // of a channel with gain 1 and offset 0, where the product with 1 / lsb and the
        // quotient by lsb round to different codes in some cases: the fast transfer then
        // picks another code than the exact one, and only codes_row's guard (its chunk
        // converted again) gets the exact code.
        const double lsb = 3.0 * 0x1.0p-26;
        adc.set_range(0.0, 31.0 * lsb);
        REQUIRE(adc.lsb() == lsb);
        std::vector<int> plus, minus;
        for (int p = 0; p < np; ++p) {
            plus.push_back(2 * p);
            minus.push_back(2 * p + 1);
        }
        const WeightLayout layout(WeightEncoding::Differential, MultiBitMode::BitSlice, 1, 2);
        // A calibration fitted to readouts with per-column gain, baseline and offset errors.
        Config cfg;
        ReadoutGeometry geo;
        geo.rows = 64;
        geo.converter = true;
        geo.lo = 0.0;   // digit units
        geo.hi = 62.0;
        geo.lsb = 2.0;
        const int n = 48;
        Eigen::MatrixXd ideal(n, 2 * np), readout(n, 2 * np);
        Eigen::VectorXd active(n);
        for (int b = 0; b < n; ++b) active(b) = std::floor(rng.uniform() * 64.0);
        for (int c = 0; c < 2 * np; ++c) {
            const double a = 1.0 + 0.05 * rng.normal(), k = 0.05 * rng.normal(), o = 2.0 * rng.normal();
            for (int b = 0; b < n; ++b) {
                ideal(b, c) = 2.0 * std::floor(rng.uniform() * 31.0);
                readout(b, c) = a * ideal(b, c) + k * active(b) + o + 0.3 * rng.normal();
            }
        }
        ColumnCalibration calib;
        calib.fit(readout, ideal, active, calibration_prior(cfg, geo), geo);
        REQUIRE(calib.active());
        int product_differs = 0;
        for (const int k : {-1, 0, 1, 2}) {
        double u = 0.5 * lsb;
        for (int i = 0; i < std::abs(k); ++i) u = std::nextafter(u, k > 0 ? 1.0 : 0.0);
        INFO("u = lsb / 2 moved by " << k << " ulps");
        PairReadout pr;
        REQUIRE(pr.configure(adc, plus, minus, layout, np, calib, u));

        const int batch = 40;   // off the 16-vector output blocks
        std::vector<float> units(static_cast<size_t>(batch * 2 * np)), z(static_cast<size_t>(batch * np));
        Eigen::VectorXd in_sum(batch);
        int on_threshold = 0;
        for (int b = 0; b < batch; ++b) {
            in_sum(b) = std::floor(rng.uniform() * 64.0);
            for (int p = 0; p < np; ++p) {
                float& d = units[static_cast<size_t>(b * 2 * np + p)];
                float& w = units[static_cast<size_t>(b * 2 * np + np + p)];
                const int kind = static_cast<int>(rng.uniform() * 6);
                z[static_cast<size_t>(b * np + p)] = static_cast<float>(rng.normal());
                if (kind <= 2) {
                    // On a threshold, noise-free (sqrt(0) z adds 0): an integer read.
                    d = static_cast<float>(2.0 * std::floor(rng.uniform() * 31.0) + 1.0);
                    w = 0.0f;
                    ++on_threshold;
                    const double t = u * static_cast<double>(d);   // gain 1, lo 0, offset 0 (no mismatch)
                    if (!mismatch && std::nearbyint(t / lsb) != std::nearbyint(t * (1.0 / lsb))) ++product_differs;
                } else {
                    d = static_cast<float>(80.0 * rng.uniform() - 10.0);   // beyond both ends too
                    w = static_cast<float>(4.0 * rng.uniform());
                }
            }
        }
        units[5 * 2 * np + np + 1] = -0.25f;                                      // a negative variance reads as 0
        units[7 * 2 * np + np + 2] = std::numeric_limits<float>::quiet_NaN();     // a NaN variance stays NaN

        PairReadout::Cycle c;
        c.units = units.data();
        c.ld = 2 * np;
        c.var = units.data() + np;
        c.vld = 2 * np;
        c.normals = z.data();
        c.weight = 1.0;
        c.first = true;
        std::vector<float> inputs(static_cast<size_t>(batch * np)), out(static_cast<size_t>(batch * np));
        RowMatrixXd kept_unused;
        Eigen::MatrixXd y_unused;
        PairReadout::Cycle one = c;
        one.inputs = inputs.data();
        one.out = out.data();
        one.out_ld = batch;
        for (const bool stream : {false, true}) {
            one.stream_inputs = stream;
            // Vectors [0, 32) and [32, 40): a call's later part starts at a 16-vector block.
            for (const auto& [first, count] : {std::pair<int, int>{0, 32}, {32, 8}}) {
                PairReadout::Cycle part = one;
                part.units = c.units + first * c.ld;
                part.var = c.var + first * c.vld;
                part.normals = c.normals + first * np;
                pr.run(adc, part, in_sum, first, count, kept_unused, y_unused);
            }
            RowMatrixXd kept(batch, np);
            Eigen::MatrixXd y(batch, np);
            pr.run(adc, c, in_sum, 0, batch, kept, y);
            int differ = 0, kept_differ = 0;
            for (int b = 0; b < batch; ++b)
                for (int p = 0; p < np; ++p) {
                    const float ref = static_cast<float>(0.0 + y(b, p));
                    const float got = out[static_cast<size_t>(p * batch + b)];
                    differ += std::memcmp(&ref, &got, sizeof ref) != 0 ? 1 : 0;
                    const double cur = u * static_cast<double>(inputs[static_cast<size_t>(b * np + p)]);
                    const double kr = kept(b, p);
                    kept_differ += std::memcmp(&cur, &kr, sizeof cur) != 0 ? 1 : 0;
                }
            INFO("streamed inputs " << stream);
            CHECK(differ == 0);
            CHECK(kept_differ == 0);
        }
        CHECK(on_threshold > batch * np / 4);
        }
        // The thresholds were really hit (0 would mean the inputs no longer test the guard).
        if (!mismatch) CHECK(product_differs > 100);
    }
}
