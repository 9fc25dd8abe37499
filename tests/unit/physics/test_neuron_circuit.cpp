// IMAC-Sim neuron circuit (NeuronCircuit / NeuronTransfer): the inverter stage against
// its small-signal linearisation and symmetry, the transfer's rails and monotonicity, the
// compiler's amplifier mapping, and the whole chain (crossbar pair, four-resistor
// differential amplifier, MTJ-divider inverter) against ngspice with level-1 MOSFETs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "models/physics/NeuronCircuit.h"
#include "models/physics/NeuronTransfer.h"
#include "models/physics/Rng.h"

using namespace sotsim;
using namespace sotsim::phys;

namespace {

NeuronConfig imac() {
    NeuronConfig c;
    c.model = "imac";
    return c;  // defaults: IMAC-Sim divider 8.5 / 25.5 kOhm, bias -0.4 V, vdd 0.8 V
}

// Closed-form small-signal gain dV_out / dV_2 at an operating point with both transistors
// saturated: KCL  -(gm_n + gm_p) v_g - (gds_n + gds_p) v_o - (v_o - v_2) / R_s = 0 with
// v_g = (R_fb v_2 + R_in v_o) / R_s.
double linearised_gain(const NeuronConfig& c, double vg, double vo) {
    const double ovn = vg - c.vth_n, ovp = c.vdd - vg - c.vth_p;
    const double gmn = c.beta_n * ovn * (1 + c.lambda * vo), gmp = c.beta_p * ovp * (1 + c.lambda * (c.vdd - vo));
    const double gdsn = 0.5 * c.beta_n * ovn * ovn * c.lambda, gdsp = 0.5 * c.beta_p * ovp * ovp * c.lambda;
    const double rs = c.r_in + c.r_fb, gm = gmn + gmp, gds = gdsn + gdsp;
    return (-gm * c.r_fb / rs + 1.0 / rs) / (gm * c.r_in / rs + gds + 1.0 / rs);
}

bool have_ngspice() { return std::system("ngspice --version > /dev/null 2>&1") == 0; }

// Runs `netlist` through ngspice -b and returns every "name = value" it prints.
std::map<std::string, double> ngspice(const std::string& netlist, const std::string& tag) {
    const std::string base = "/tmp/sotsim_neuron_" + std::to_string(getpid()) + "_" + tag;
    {
        std::ofstream f(base + ".cir");
        f << netlist;
    }
    (void)std::system(("ngspice -b " + base + ".cir > " + base + ".out 2>&1").c_str());
    std::map<std::string, double> r;
    std::ifstream in(base + ".out");
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find(" = ");
        if (line.rfind("v(", 0) != 0 || eq == std::string::npos) continue;
        r[line.substr(0, eq)] = std::stod(line.substr(eq + 3));
    }
    std::remove((base + ".cir").c_str());
    std::remove((base + ".out").c_str());
    return r;
}

// The neuron of IMAC-Sim's spice/neuron.sp between nodes a (amplifier output) and o<k>.
std::string neuron_cards(const NeuronConfig& c, const std::string& a, const std::string& k) {
    std::ostringstream n;
    n.precision(17);
    n << "VB" << k << " " << a << " v2_" << k << " DC " << c.bias << "\n"
      << "RIN" << k << " v2_" << k << " g" << k << " " << c.r_in << "\n"
      << "RFB" << k << " g" << k << " o" << k << " " << c.r_fb << "\n"
      << "MN" << k << " o" << k << " g" << k << " 0 0 nch W=1u L=1u\n"
      << "MP" << k << " o" << k << " g" << k << " vdd vdd pch W=1u L=1u\n";
    return n.str();
}

std::string models_and_control(const NeuronConfig& c, const std::string& prints) {
    std::ostringstream n;
    n.precision(17);
    n << "VDD vdd 0 DC " << c.vdd << "\n"
      << ".model nch nmos level=1 vto=" << c.vth_n << " kp=" << c.beta_n << " lambda=" << c.lambda << " gamma=0\n"
      << ".model pch pmos level=1 vto=" << -c.vth_p << " kp=" << c.beta_p << " lambda=" << c.lambda << " gamma=0\n"
      << ".options reltol=1e-10 abstol=1e-16 vntol=1e-13\n.control\nset numdgt=14\nop\n" << prints << ".endc\n.end\n";
    return n.str();
}

}  // namespace

TEST_CASE("level-1 MOSFET current: cutoff, linear, saturation, reverse", "[physics][neuron]") {
    const double b = 2e-3, vt = 0.3, l = 0.2;
    CHECK(mos1_current(b, vt, l, 0.29, 0.5) == 0.0);
    CHECK(mos1_current(b, vt, l, 0.8, 0.1) == Approx(b * 0.1 * (0.5 - 0.05) * 1.02).epsilon(1e-12));
    CHECK(mos1_current(b, vt, l, 0.8, 0.7) == Approx(0.5 * b * 0.25 * 1.14).epsilon(1e-12));
    // continuous at V_ds = V_ov
    CHECK(mos1_current(b, vt, l, 0.8, 0.5 - 1e-9) == Approx(mos1_current(b, vt, l, 0.8, 0.5 + 1e-9)).epsilon(1e-6));
    // reverse mode: source and drain swap
    CHECK(mos1_current(b, vt, l, 0.6, -0.1) == Approx(-mos1_current(b, vt, l, 0.7, 0.1)).epsilon(1e-12));
}

TEST_CASE("IMAC neuron stage: bias point, symmetry, small-signal gain, rails", "[physics][neuron]") {
    const NeuronConfig c = imac();
    const NeuronCircuit n(c);
    // Matched devices, bias = -vdd / 2: at V_a = 0 the divider input sits at vdd / 2, so
    // V_out = V_g = vdd / 2 solves the KCL (no feedback current, I_n = I_p).
    CHECK(n.stage_out(0.0) == Approx(0.5 * c.vdd).margin(1e-9));
    // Odd symmetry of the matched inverter about the bias point.
    for (double d : {0.01, 0.05, 0.1, 0.3, 0.8}) CHECK(n.stage_out(d) + n.stage_out(-d) == Approx(c.vdd).margin(1e-9));
    // Small-signal gain at the bias point = the closed-form linearisation.
    const double s = n.centre_gain();
    CHECK(s == Approx(linearised_gain(c, 0.5 * c.vdd, 0.5 * c.vdd)).epsilon(1e-4));
    CHECK(s < 0.0);
    CHECK(std::fabs(s) < c.r_fb / c.r_in);   // finite inverter gain: below the ideal R_fb / R_in
    // A strong inverter (beta -> large, lambda 0) approaches the ideal closed-loop gain.
    NeuronConfig strong = c;
    strong.beta_n = strong.beta_p = 1.0;
    strong.lambda = 0.0;
    CHECK(NeuronCircuit(strong).centre_gain() == Approx(-strong.r_fb / strong.r_in).epsilon(2e-3));
    // Monotone decreasing; clipped near the rails for large |V_a|.
    double prev = n.stage_out(-0.8);
    for (double va = -0.79; va <= 0.8; va += 0.01) {
        const double v = n.stage_out(va);
        CHECK(v < prev);
        prev = v;
    }
    CHECK(n.stage_out(-0.8) > 0.97 * c.vdd);
    CHECK(n.stage_out(0.8) < 0.03 * c.vdd);
    CHECK(n.stage_out(-0.8) <= c.vdd + 1e-12);
}

TEST_CASE("IMAC transfer: line voltage per unit, mapped slope, fixed-gain mismatch, monotone in [0,1]",
          "[physics][neuron]") {
    // 784 rows of 5 / 15 kOhm pairs at 0.8 V: dG = 2 / 15 mS and G_lo + dG / 2 = 2 / 15 mS,
    // so one unit is v_read / rows.
    CHECK(line_volts_per_unit(0.8, 1.0 / 15e3, 1.0 / 5e3 - 1.0 / 15e3, 784) == Approx(0.8 / 784).epsilon(1e-12));
    const double v_unit = 0.8 / 784, g = 0.3;
    NeuronConfig c = imac();
    auto t = NeuronRegistry::builtin().create(c);
    REQUIRE(t->kind() == "imac");
    t->configure({g, v_unit});
    const double h = 1e-3;
    CHECK((t->y(h) - t->y(-h)) / (2 * h) == Approx(g / 4).epsilon(1e-4));   // mapped: slope g / 4 at u = 0
    CHECK(t->y(0.0) == Approx(0.5).margin(1e-9));
    // Rising while the amplifier is inside its swing, flat (clipped) beyond it.
    const double gain = dynamic_cast<const ImacNeuron&>(*t).amp_gain(), u_clip = c.amp_swing / (gain * v_unit);
    double prev = -1.0;
    for (double u = -3 * u_clip; u <= 3 * u_clip; u += u_clip / 20) {
        const double y = t->y(u);
        CHECK(y >= 0.0);
        CHECK(y <= 1.0);
        if (std::fabs(u) < u_clip - 1e-9) CHECK(y > prev);
        else CHECK(y >= prev);
        prev = y;
    }
    CHECK(t->y(3 * u_clip) == Approx(t->y(1.01 * u_clip)).margin(1e-12));
    // A fixed amplifier gain is used as given: the slope follows |S| A v_unit / vdd.
    c.amp_gain = 30;
    const NeuronMapping m = map_imac_neuron(c, {g, v_unit});
    CHECK(m.fixed);
    CHECK(m.amp_gain == 30.0);
    const double s = std::fabs(NeuronCircuit(c).centre_gain());
    CHECK(m.circuit_slope == Approx(s * 30 * v_unit / c.vdd).epsilon(1e-12));
    CHECK(m.offset_units == Approx(0.0).margin(1e-9));
    // Asymmetric devices move the crossing away from u = 0 (reported, not hidden).
    c.beta_n = 2 * c.beta_p;
    const NeuronMapping a = map_imac_neuron(c, {g, v_unit});
    CHECK(a.y0 < 0.5);           // the stronger NMOS pulls the bias point low
    CHECK(a.offset_units > 0.0);  // so y = 0.5 needs a larger column sum
    // The logistic model is the ideal sigmoid.
    auto l = NeuronRegistry::builtin().create(NeuronConfig{});
    l->configure({g, v_unit});
    CHECK(l->y(2.0) == Approx(1.0 / (1.0 + std::exp(-0.6))).epsilon(1e-12));
    CHECK_THROWS_WITH(NeuronRegistry::builtin().create("tanh", c),
                      Catch::Contains("unknown kind 'tanh'") && Catch::Contains("imac, logistic"));
}

TEST_CASE("IMAC neuron stage matches ngspice (level-1 MOSFETs)", "[physics][neuron][ngspice]") {
    if (!have_ngspice()) {
        WARN("ngspice not found: skipping the circuit-level cross-check");
        SUCCEED();
        return;
    }
    NeuronConfig sym = imac(), asym = imac();
    asym.beta_n = 5e-3;
    asym.vth_p = 0.3;
    asym.lambda = 0.5;
    int tag = 0;
    for (const NeuronConfig& c : {sym, asym}) {
        std::ostringstream n, prints;
        n << "* IMAC-Sim neuron stage sweep\n";
        std::vector<double> va;
        for (double v = -0.8; v <= 0.8001; v += 0.04) va.push_back(v);
        for (std::size_t k = 0; k < va.size(); ++k) {
            n << "VA" << k << " a" << k << " 0 DC " << va[k] << "\n" << neuron_cards(c, "a" + std::to_string(k), std::to_string(k));
            prints << "print v(o" << k << ")\n";
        }
        n << models_and_control(c, prints.str());
        const auto r = ngspice(n.str(), "stage" + std::to_string(tag++));
        const NeuronCircuit model(c);
        for (std::size_t k = 0; k < va.size(); ++k) {
            const std::string key = "v(o" + std::to_string(k) + ")";
            REQUIRE(r.count(key));
            INFO("V_a " << va[k] << " ngspice " << r.at(key) << " model " << model.stage_out(va[k]));
            CHECK(model.stage_out(va[k]) == Approx(r.at(key)).margin(1e-7));
        }
    }
}

TEST_CASE("IMAC chain: crossbar pair + differential amplifier + neuron against ngspice", "[physics][neuron][ngspice]") {
    if (!have_ngspice()) {
        WARN("ngspice not found: skipping the circuit-level cross-check");
        SUCCEED();
        return;
    }
    // zand preset geometry: 784 rows of binary 5 / 15 kOhm pairs, +-0.8 V rows; IMAC-Sim's
    // diffN.sp amplifier (1 kOhm inputs, A kOhm feedback / ground, op-amp gain 1e6) takes the
    // pair with swapped inputs; a balanced column (392 weights of each sign) so both lines
    // have the nominal conductance.
    const int rows = 784;
    const double r_p = 5e3, r_ap = 15e3, v = 0.8, A = 30;
    NeuronConfig c = imac();
    c.amp_gain = A;
    auto t = NeuronRegistry::builtin().create(c);
    const double g_lo = 1 / r_ap, dg = 1 / r_p - 1 / r_ap, v_unit = line_volts_per_unit(v, g_lo, dg, rows);
    t->configure({0.3, v_unit});
    const NeuronCircuit model(c);
    Rng rng = Rng::derive(11, 0, "neuron_ngspice");
    std::vector<int> w(rows);
    for (int i = 0; i < rows; ++i) w[i] = i % 2 ? 1 : -1;
    for (int i = rows - 1; i > 0; --i) std::swap(w[i], w[static_cast<int>(rng.uniform() * (i + 1)) % (i + 1)]);
    std::ostringstream n, prints;
    n.precision(17);
    n << "* IMAC-Sim column pair, differential amplifier and neuron\n";
    std::vector<int> sums;
    int k = 0;
    for (int m = 380; m <= 404; m += 2, ++k) {   // m rows agree with the weight: x = 2m - 784
        const std::string K = std::to_string(k);
        std::vector<int> idx(rows);
        for (int i = 0; i < rows; ++i) idx[i] = i;
        for (int i = rows - 1; i > 0; --i) std::swap(idx[i], idx[static_cast<int>(rng.uniform() * (i + 1)) % (i + 1)]);
        std::vector<int> s(rows);
        int x = 0;
        for (int j = 0; j < rows; ++j) s[idx[j]] = j < m ? w[idx[j]] : -w[idx[j]];
        for (int i = 0; i < rows; ++i) {
            x += s[i] * w[i];
            n << "V" << K << "_" << i << " r" << K << "_" << i << " 0 DC " << s[i] * v << "\n"
              << "RP" << K << "_" << i << " r" << K << "_" << i << " sp" << K << " " << (w[i] > 0 ? r_p : r_ap) << "\n"
              << "RN" << K << "_" << i << " r" << K << "_" << i << " sn" << K << " " << (w[i] > 0 ? r_ap : r_p) << "\n";
        }
        sums.push_back(x);
        // diff amp: in+ = sn, in- = sp (swapped so the inverting neuron rises with x)
        n << "R1_" << K << " sp" << K << " n1_" << K << " 1k\n"
          << "R2_" << K << " sn" << K << " n2_" << K << " 1k\n"
          << "R3_" << K << " n1_" << K << " a" << K << " " << A << "k\n"
          << "R4_" << K << " n2_" << K << " 0 " << A << "k\n"
          << "E" << K << " a" << K << " 0 n2_" << K << " n1_" << K << " 1e6\n"
          << neuron_cards(c, "a" + K, K);
        prints << "print v(a" << K << ") v(o" << K << ")\n";
    }
    n << models_and_control(c, prints.str());
    const auto r = ngspice(n.str(), "chain");
    // Amplifier-input loading the model leaves out: the - input's 1 kOhm against a line of
    // Norton conductance G_line, relative error <= 1 kOhm^-1 / G_line; doubled as the bound.
    const double g_line = rows * (g_lo + dg / 2), bound = 2.0 * (1e-3 / g_line);
    for (int j = 0; j < k; ++j) {
        const std::string J = std::to_string(j);
        REQUIRE(r.count("v(a" + J + ")"));
        const double va_sp = r.at("v(a" + J + ")"), vo_sp = r.at("v(o" + J + ")");
        const double va_model = model.amp_out(-sums[j] * v_unit, A);
        INFO("x " << sums[j] << " V_a ngspice " << va_sp << " model " << va_model << " V_out ngspice " << vo_sp
                  << " model y " << t->y(sums[j]) * c.vdd);
        CHECK(std::fabs(va_sp - va_model) <= bound * std::fabs(va_model) + 1e-6);
        CHECK(model.stage_out(va_sp) == Approx(vo_sp).margin(1e-7));
        // Whole chain through the amplifier error: the stage slope bounds the output error.
        const double slope = std::fabs(model.centre_gain());
        CHECK(std::fabs(t->y(sums[j]) * c.vdd - vo_sp) <= slope * (bound * std::fabs(va_model) + 1e-6) + 1e-7);
    }
}
