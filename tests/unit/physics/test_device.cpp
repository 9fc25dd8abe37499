// Device, switching, ADC and read-noise statistics against their analytic definitions.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "models/physics/Adc.h"
#include "models/physics/CrossbarArray.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/MvmCommand.h"
#include "models/physics/Rng.h"
#include "models/physics/SwitchingModel.h"

using namespace sotsim;
using namespace sotsim::phys;

TEST_CASE("Rng streams are keyed by (seed, macro, purpose)", "[physics][rng][determinism]") {
    Rng a = Rng::derive(1, 0, "x"), b = Rng::derive(1, 0, "x"), c = Rng::derive(1, 1, "x"), d = Rng::derive(1, 0, "y");
    const auto va = a.next_u64();
    REQUIRE(va == b.next_u64());
    REQUIRE(va != c.next_u64());
    REQUIRE(va != d.next_u64());
}

TEST_CASE("Lognormal d2d sampling has the configured mean and sigma/mu", "[physics][device]") {
    DeviceConfig d;
    d.r_p = 3.1e6;
    d.tmr = 1.5;
    d.sigma_p = 0.06;
    d.sigma_ap = 0.1;
    MtjDevice dev(d);
    Rng rng = Rng::derive(9, 0, "stat");
    const int n = 40000;
    for (int level : {0, 1}) {
        const double nominal = dev.level_resistance0(level);
        const double cv = level == 0 ? d.sigma_p : d.sigma_ap;
        double s = 0, s2 = 0;
        std::vector<std::uint64_t> keys(n);
        for (auto& k : keys) k = rng.next_u64();
        const std::vector<int> levels(n, level);
        std::vector<CellSample> cells(n);
        dev.sample_cells(levels.data(), keys.data(), n, 1.0, cells.data());
        for (const CellSample& c : cells) {
            const double r = c.r_p_part + c.r_ap_part;
            s += r;
            s2 += r * r;
        }
        const double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
        // 5-sigma bounds of the sample mean and (approximately) of the sample std.
        CHECK(std::abs(mean - nominal) < 5.0 * cv * nominal / std::sqrt(n));
        CHECK(std::abs(sd / mean - cv) < 5.0 * cv * std::sqrt(2.0 / n) * 2.0);
    }
}

TEST_CASE("d2d samples are the lognormals of each cell's own stream, whatever the block", "[physics][device]") {
    // The definition, scalar libm: MTJ m of a level-k stack (AP for m < k) takes the m-th
    // normal of Rng(key) among the non-degenerate MTJs, mean x exp(mu + sigma z) x f. The
    // vector exp / log / sin / cos differ from libm by a few ulp at most.
    auto reference = [](const MtjDevice& dev, int k, std::uint64_t key, double f) {
        Rng rng(key);
        const DeviceConfig& d = dev.config();
        CellSample s;
        const int mtjs = dev.explicit_levels() ? 1 : d.stack;
        for (int m = 0; m < mtjs; ++m) {
            const bool ap = !dev.explicit_levels() && m < k;
            const double mean = dev.explicit_levels() ? d.level_resistances[static_cast<size_t>(k)] : ap ? dev.r_ap0() : dev.r_p();
            double cv = ap ? d.sigma_ap : d.sigma_p;
            if (dev.explicit_levels()) cv = d.sigma_p + (static_cast<double>(k) / (dev.levels() - 1)) * (d.sigma_ap - d.sigma_p);
            const double x = cv > 0.0 ? rng.lognormal_mean_cv(mean, cv) : mean;
            (ap ? s.r_ap_part : s.r_p_part) += f * x;
        }
        s.n_ap = dev.explicit_levels() ? 0 : k;
        return s;
    };
    DeviceConfig stack3;
    stack3.r_p = 2e3;
    stack3.tmr = 1.2;
    stack3.stack = 3;
    stack3.sigma_p = 0.05;
    stack3.sigma_ap = 0.08;
    DeviceConfig p_exact = stack3;   // P MTJs without variation: AP MTJs take the normals
    p_exact.sigma_p = 0.0;
    DeviceConfig levels;
    levels.level_resistances = {1e3, 1.7e3, 2.9e3, 4e3};
    levels.sigma_p = 0.03;
    levels.sigma_ap = 0.09;
    for (const DeviceConfig& d : {stack3, p_exact, levels}) {
        const MtjDevice dev(d);
        const int n = 301;   // two vector blocks and an odd tail
        Rng kr = Rng::derive(3, 0, "keys");
        std::vector<std::uint64_t> keys(n);
        std::vector<int> lv(n);
        for (int c = 0; c < n; ++c) {
            keys[c] = kr.next_u64();
            lv[c] = c % dev.levels();
        }
        std::vector<CellSample> all(n);
        dev.sample_cells(lv.data(), keys.data(), n, 0.97, all.data());
        for (int c = 0; c < n; ++c) {
            const CellSample ref = reference(dev, lv[c], keys[c], 0.97);
            CellSample one;
            dev.sample_cells(&lv[c], &keys[c], 1, 0.97, &one);
            INFO("cell " << c << " level " << lv[c]);
            CHECK(all[c].n_ap == ref.n_ap);
            CHECK(all[c].r_p_part == Approx(ref.r_p_part).epsilon(1e-14));
            CHECK(all[c].r_ap_part == Approx(ref.r_ap_part).epsilon(1e-14).margin(0.0));
            // One cell alone gives the same bits as inside a block.
            CHECK(one.r_p_part == all[c].r_p_part);
            CHECK(one.r_ap_part == all[c].r_ap_part);
        }
        const int bad = dev.levels();
        CellSample out;
        CHECK_THROWS_AS(dev.sample_cells(&bad, &keys[0], 1, 1.0, &out), std::out_of_range);
    }
}

TEST_CASE("R_P from RA and diameter; bias-dependent TMR", "[physics][device]") {
    DeviceConfig d;
    d.ra = 20e3 * 1e-12;  // 20 kOhm um^2
    d.diameter = 90e-9;
    d.tmr = 1.5;
    d.tmr_v_half = 0.5;
    MtjDevice dev(d);
    CHECK(dev.r_p() == Approx(20e3 * 1e-12 / (M_PI * 90e-9 * 90e-9 / 4)).epsilon(1e-12));
    CHECK(dev.r_p() == Approx(3.14e6).epsilon(0.01));  // REFERENCE.md: about 3.1 MOhm
    CHECK(dev.tmr_at(0.0) == Approx(1.5));
    CHECK(dev.tmr_at(0.5) == Approx(0.75));
    CHECK(dev.tmr_at(1.0) == Approx(0.3));
    // AP cell at bias: self-consistent with the voltage across the MTJ.
    const CellSample ap = dev.nominal(1);
    const double r = dev.cell_resistance(ap, 0.4);
    const double expect = dev.r_p() * (1.0 + dev.tmr_at(0.4));  // no access transistor: V_mtj = V_cell
    CHECK(r == Approx(expect).epsilon(1e-9));
    CHECK(dev.cell_resistance(dev.nominal(0), 0.4) == Approx(dev.r_p()));
}

TEST_CASE("Stacked MTJs give stack+1 series levels", "[physics][device]") {
    DeviceConfig d;
    d.r_p = 1e6;
    d.tmr = 1.0;
    d.stack = 3;
    MtjDevice dev(d);
    REQUIRE(dev.levels() == 4);
    for (int k = 0; k < 4; ++k) CHECK(dev.level_resistance0(k) == Approx((3 - k) * 1e6 + k * 2e6));
}

TEST_CASE("Switching probability: formula and limits", "[physics][write]") {
    DeviceConfig d;
    d.i_c0 = 200e-6;
    d.delta = 45;
    d.tau0 = 1e-9;
    d.t_short = 0.2e-9;
    SwitchingModel sw(d);
    // Thermal regime: P = 1 - exp(-t/tau), tau = tau0 exp(Delta (1 - I/Ic0)).
    const double i = 150e-6, t = 10e-9;
    const double tau = 1e-9 * std::exp(45 * (1 - 0.75));
    CHECK(sw.p_switch(i, t) == Approx(1 - std::exp(-t / tau)).epsilon(1e-9));
    CHECK(sw.p_switch(i, 1e3) == Approx(1.0));          // t -> infinity
    CHECK(sw.p_switch(50 * 200e-6, 1e-9) == Approx(1.0));  // I >> Ic0
    CHECK(sw.p_switch(0.0, 1e-9) < 1e-15);                 // no current: retention
    // Precessional regime (Butler 2012) and monotonicity in I and t.
    const double ip = 400e-6, tp = 1e-9, ii = 2.0;
    const double pp = std::exp(-(M_PI * M_PI * 45 / 4) * (ii - 1) / (ii * std::exp(2 * (ii - 1) * tp / 0.2e-9) - 1));
    CHECK(sw.p_precessional(ip, tp) == Approx(pp).epsilon(1e-12));
    CHECK(sw.p_switch(ip, tp) >= sw.p_switch(300e-6, tp));
    CHECK(sw.p_switch(ip, 2 * tp) >= sw.p_switch(ip, tp));
    d.wer_floor = 1e-6;
    CHECK(SwitchingModel(d).wer(50 * 200e-6, 1e-9) == Approx(1e-6));
}

TEST_CASE("Write energy: I^2 R t (SOT) and V^2/R t (STT)", "[physics][write]") {
    DeviceConfig d;
    d.i_write = 300e-6;
    d.r_sot = 1e3;
    d.t_pulse = 1e-9;
    d.e_driver_write = 5e-15;
    CHECK(SwitchingModel(d).pulse_energy(1e6) == Approx(300e-6 * 300e-6 * 1e3 * 1e-9 + 5e-15));
    d.write = WriteMechanism::Stt;
    d.v_write = 1.5;
    CHECK(SwitchingModel(d).pulse_energy(13e3) == Approx(1.5 * 1.5 / 13e3 * 1e-9 + 5e-15));
    CHECK(SwitchingModel(d).pulse_current(13e3) == Approx(1.5 / 13e3));
}

TEST_CASE("ADC transfer: monotonic, full code range, offsets, INL bow", "[physics][adc]") {
    AdcConfig c;
    c.bits = 5;
    for (const char* kind : {"sar", "flash", "ramp"}) {
        c.kind = kind;
        auto adc = AdcRegistry::builtin().create(c);
        adc->set_range(0.0, 31e-6);
        int prev = -1;
        for (int k = -100; k <= 1100; ++k) {
            const int code = adc->code(k * 31e-9 * 1.0, 0);
            REQUIRE(code >= prev);
            prev = code;
        }
        CHECK(adc->code(-1.0, 0) == 0);
        CHECK(adc->code(1.0, 0) == 31);
        CHECK(adc->code(10.2e-6, 0) == 10);
    }
    CHECK(AdcRegistry::builtin().create(AdcConfig{})->conversion_time() == Approx(6e-9));  // SAR 5 b: (b+1) ns
    c.kind = "ramp";
    CHECK(AdcRegistry::builtin().create(c)->conversion_time() == Approx(32e-9));
    c.kind = "nope";
    REQUIRE_THROWS_AS(AdcRegistry::builtin().create(c), std::invalid_argument);

    // INL: bow of `inl` LSB at mid-scale, zero at the ends.
    c.kind = "sar";
    c.bits = 8;
    c.inl = 2.0;
    auto bow = AdcRegistry::builtin().create(c);
    bow->set_range(0.0, 255.0);
    CHECK(bow->code(127.5, 0) - 127.5 == Approx(2.0).margin(0.51));
    CHECK(bow->code(0.0, 0) == 0);
    CHECK(bow->code(255.0, 0) == 255);
    // Per-column offset: the mean code shift over many columns matches offset_sigma.
    c.inl = 0.0;
    c.offset_sigma = 2.0;
    auto off = AdcRegistry::builtin().create(c);
    off->set_range(0.0, 255.0);
    Rng rng = Rng::derive(4, 0, "adc");
    off->sample_mismatch(4000, rng);
    double s2 = 0;
    for (int col = 0; col < 4000; ++col) s2 += std::pow(off->code(100.0, col) - 100.0, 2);
    CHECK(std::sqrt(s2 / 4000) == Approx(std::sqrt(4.0 + 1.0 / 12)).epsilon(0.06));
}

TEST_CASE("Read noise: output-referred variance equals per-cell Monte Carlo", "[physics][noise]") {
    Config c;
    c.array.rows = 32;
    c.array.cols = 4;
    c.device.read_noise = 0.05;
    c.device.sigma_p = 0.05;
    CrossbarArray arr(c, 2);
    Eigen::MatrixXi lv(32, 4);
    Rng rng = Rng::derive(8, 0, "rn");
    for (int i = 0; i < 32; ++i)
        for (int j = 0; j < 4; ++j) lv(i, j) = rng.uniform() < 0.5 ? 0 : 1;
    arr.build(lv, 77, 1.0);
    Eigen::MatrixXd v(1, 32);
    for (int i = 0; i < 32; ++i) v(0, i) = rng.uniform() < 0.6 ? 0.1 : 0.0;
    const Eigen::MatrixXd sig = arr.noise_sigma(v);
    const Eigen::MatrixXd mean = arr.currents(v);
    // Monte Carlo: every cell conductance drawn independently per read.
    const int n = 20000;
    const Eigen::MatrixXd& g = arr.conductance();
    for (int j = 0; j < 4; ++j) {
        double s = 0, s2 = 0;
        for (int k = 0; k < n; ++k) {
            double i_col = 0;
            for (int i = 0; i < 32; ++i) i_col += v(0, i) * g(i, j) * (1.0 + 0.05 * rng.normal());
            s += i_col;
            s2 += i_col * i_col;
        }
        const double m = s / n, var = s2 / n - m * m;
        CHECK(std::abs(m - mean(0, j)) < 5.0 * sig(0, j) / std::sqrt(n));
        CHECK(var == Approx(sig(0, j) * sig(0, j)).epsilon(5.0 * std::sqrt(2.0 / n)));
    }
}

TEST_CASE("CrossbarArray: single-ended read operands follow the block built last", "[physics][noise]") {
    // [S | V] and its packed form are made on the first single-ended read (not at build):
    // a rebuilt array must read its new cells, never operands made for the previous block.
    Config c;
    c.array.rows = 24;
    c.array.cols = 6;
    c.device.read_noise = 0.05;
    c.device.sigma_p = 0.05;
    Rng rng = Rng::derive(9, 0, "single_ended");
    auto levels = [&] {
        Eigen::MatrixXi lv(24, 6);
        for (int i = 0; i < 24; ++i)
            for (int j = 0; j < 6; ++j) lv(i, j) = rng.uniform() < 0.5 ? 0 : 1;
        return lv;
    };
    const Eigen::MatrixXi first = levels(), second = levels();
    Eigen::MatrixXf b(5, 24);
    for (int v = 0; v < 5; ++v)
        for (int i = 0; i < 24; ++i) b(v, i) = rng.uniform() < 0.5 ? 1.0f : 0.0f;
    // Expected, from the definition: S = M^T / dG - kappa, V = (read_noise G / dG)^2 (no IR
    // drop: M^T = G), a 0/1 plane's unit read B [S | V].
    auto expected = [&](const CrossbarArray& a) {
        const double dg = a.g_step();
        Eigen::MatrixXd sv(24, 12);
        sv.leftCols(6) = (a.conductance().array() / dg - a.kappa()).matrix();
        sv.rightCols(6) = (0.05 * a.conductance().array() / dg).square().matrix();
        return Eigen::MatrixXd(b.cast<double>() * sv);
    };
    CrossbarArray arr(c, 2);
    sotsim::phys::RowMatrixXf packed, gemm;
    arr.build(first, 77, 1.0);
    arr.binary_units_into(b, true, packed);
    const Eigen::MatrixXd e1 = expected(arr);
    CHECK((packed.cast<double>() - e1).cwiseAbs().maxCoeff() < 1e-4 * (1.0 + e1.cwiseAbs().maxCoeff()));
    arr.build(second, 77, 1.0);
    const Eigen::MatrixXd e2 = expected(arr);
    REQUIRE((e2 - e1).cwiseAbs().maxCoeff() > 1.0);   // the blocks differ by whole digits
    arr.binary_units_into(b, true, packed);
    arr.units_into(b, true, gemm);
    CHECK((packed.cast<double>() - e2).cwiseAbs().maxCoeff() < 1e-4 * (1.0 + e2.cwiseAbs().maxCoeff()));
    CHECK((gemm.cast<double>() - e2).cwiseAbs().maxCoeff() < 1e-4 * (1.0 + e2.cwiseAbs().maxCoeff()));
    // And the same operands as an array that only ever held the second block.
    CrossbarArray fresh(c, 2);
    fresh.build(second, 77, 1.0);
    sotsim::phys::RowMatrixXf fresh_packed;
    fresh.binary_units_into(b, true, fresh_packed);
    CHECK(fresh_packed == packed);
}

TEST_CASE("mvm command: raw conductance mode", "[physics][mvm_command]") {
    Config c;
    Eigen::MatrixXd g(3, 2);
    g << 1e-6, 2e-6, 3e-6, 4e-6, 5e-6, 6e-6;
    Eigen::MatrixXd x(1, 3);
    x << 0.1, 0.0, 0.2;
    const RawMvmResult r = raw_conductance_mvm(c, g, x, false);
    CHECK(r.currents(0, 0) == Approx(0.1e-6 + 1e-6));
    CHECK(r.currents(0, 1) == Approx(0.2e-6 + 1.2e-6));
    CHECK(r.codes.size() == 0);
    c.array.ir_drop = IrDropMode::Exact;
    const RawMvmResult ri = raw_conductance_mvm(c, g, x, true);
    CHECK(ri.currents(0, 0) < r.currents(0, 0));
    CHECK(ri.currents(0, 0) > 0.999 * r.currents(0, 0));
    CHECK(ri.codes.rows() == 1);
    REQUIRE_THROWS_AS(raw_conductance_mvm(c, g, Eigen::MatrixXd::Zero(1, 2), true), std::invalid_argument);
}

TEST_CASE("mvm command: weights mode is exact when ideal", "[physics][mvm_command]") {
    Config c = make_ideal(Config{});
    c.macro.weight_bits = 4;
    c.periphery.input.encoding = InputEncoding::BitSerial;
    c.periphery.input.bits = 3;
    Eigen::MatrixXi w(3, 2);
    w << 1, -7, 3, 0, -2, 5;
    Eigen::MatrixXf x(2, 3);
    x << 7, 0, 3, 1, 2, 4;
    const WeightsMvmResult r = weights_mvm(c, w, x, true);
    REQUIRE(r.outputs == (x.cast<double>() * w.cast<double>()));
    CHECK(r.currents.rows() == 2);
    CHECK(r.currents.cols() == 12);  // 2 logical x differential x 3 bit slices
    CHECK(r.latency_s > 0.0);
    CHECK(r.actions.get(action::kAdc) > 0.0);
}
