// Every shipped preset validates, and carries the published values it claims.
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "ConfigTestUtil.h"
#include "platform/config/Schema.h"

using cfgtest::configs;
using sotsim::config::load_config;

namespace {
void check_complete_tech(const sotsim::Config& c) {
    for (const auto& a : sotsim::config::known_actions()) {
        INFO("action " << a);
        REQUIRE(c.tech.energy.count(a) == 1);
        CHECK(c.tech.energy.at(a) > 0.0);
        CHECK(c.tech.energy.at(a) < 1e-10);   // no action costs 100 pJ
    }
    for (const auto& k : sotsim::config::known_components()) {
        INFO("component " << k);
        REQUIRE(c.tech.area.count(k) == 1);
        REQUIRE(c.tech.leakage.count(k) == 1);
        CHECK(c.tech.area.at(k) > 0.0);
        CHECK(c.tech.area.at(k) < 1e-6);       // below 1 mm^2 per instance
        CHECK(c.tech.leakage.at(k) >= 0.0);
    }
}
}  // namespace

TEST_CASE("technology tables are complete and ordered by node", "[presets]") {
    auto t14 = load_config(configs("tech/cmos_14nm.yaml"));
    auto t22 = load_config(configs("tech/cmos_22nm.yaml"));
    auto t28 = load_config(configs("tech/cmos_28nm.yaml"));
    check_complete_tech(t14);
    check_complete_tech(t22);
    check_complete_tech(t28);
    CHECK(t14.tech.node == "14nm");
    CHECK(t28.tech.node == "28nm");
    // Horowitz 32-bit add 0.1 pJ at 45 nm, x0.3 at 14 nm, x0.5 at 28 nm.
    CHECK(t14.tech.energy.at("digital_add") == Approx(0.03e-12));
    CHECK(t28.tech.energy.at("digital_add") == Approx(0.05e-12));
    // NeuroSim column SAR 5 b at 22 nm: 42 fJ.
    CHECK(t22.tech.energy.at("adc_conversion") == Approx(42e-15));
    for (const auto& a : sotsim::config::known_actions()) {
        INFO(a);
        CHECK(t14.tech.energy.at(a) <= t22.tech.energy.at(a));
        CHECK(t22.tech.energy.at(a) <= t28.tech.energy.at(a));
    }
    for (const auto& k : sotsim::config::known_components()) {
        INFO(k);
        CHECK(t14.tech.area.at(k) <= t22.tech.area.at(k));
        CHECK(t22.tech.area.at(k) <= t28.tech.area.at(k));
    }
}

TEST_CASE("myung 72-macro preset", "[presets]") {
    for (const char* f : {"myung_72macro.yaml"}) {
        auto c = load_config(configs(f));
        INFO(f);
        CHECK(c.total_macros() == 72);
        CHECK(c.chip.tiles == 9);
        CHECK(c.tile.macros == 8);
        CHECK(c.tech.node == "14nm");
        CHECK(c.array.multibit == sotsim::MultiBitMode::MultiLevel);
        CHECK(c.device.stack >= 2);     // stacked MTJs (myung)
        CHECK(c.macro.calibration);
        // Samsung 14 nm eMRAM is STT with kOhm cells, not the high-RA SOT cell.
        CHECK(c.device.write == sotsim::WriteMechanism::Stt);
        CHECK(c.device.r_p < 100e3);
        CHECK(c.tile.buffer_bytes == 65536.0);
        // A Walden FOM: the energy model derives fom x 2^bits per conversion (test_energy_model).
        REQUIRE(c.periphery.adc.fom > 0);
        check_complete_tech(c);
    }
}

TEST_CASE("carletti, jung, zand and program-verify presets", "[presets]") {
    auto carletti = load_config(configs("carletti_sot.yaml"));
    CHECK(carletti.array.rows == 256);
    CHECK(carletti.array.cols == 256);
    CHECK(carletti.array.ir_drop == sotsim::IrDropMode::Exact);
    CHECK(carletti.macro.weight_bits == 1);
    CHECK(carletti.device.r_p == Approx(3.1e6));
    CHECK(carletti.total_macros() == 72);
    check_complete_tech(carletti);

    auto jung = load_config(configs("jung_64x64.yaml"));
    CHECK(jung.array.rows == 64);
    CHECK(jung.array.cols == 64);
    CHECK(jung.array.summation == sotsim::Summation::Resistance);
    CHECK(jung.periphery.readout == sotsim::ReadoutKind::Tdc);
    CHECK(jung.periphery.tdc.bits == 4);
    CHECK(jung.macro.clock == Approx(11.1e6));
    CHECK(jung.device.write == sotsim::WriteMechanism::Stt);
    CHECK(jung.device.v_write == Approx(1.5));
    CHECK(jung.device.r_p == Approx(13e3));
    CHECK(jung.device.r_p * (1 + jung.device.tmr) == Approx(26e3));
    CHECK(jung.device.sigma_p == Approx(1.6 / 13).epsilon(0.01));
    CHECK(jung.device.sigma_ap == Approx(2.0 / 26).epsilon(0.01));
    CHECK(jung.tech.node == "28nm");
    check_complete_tech(jung);

    auto zand = load_config(configs("zand_mlp.yaml"));
    // Synapses at IMAC-Sim's sample 5 / 15 kOhm (8.5 / 25.5 kOhm are the neuron's MTJs), +-0.8 V reads.
    CHECK(zand.device.r_p == Approx(5e3));
    CHECK(zand.device.r_p * (1 + zand.device.tmr) == Approx(15e3));
    CHECK(zand.array.v_read == Approx(0.8));
    CHECK(zand.periphery.readout == sotsim::ReadoutKind::SigmoidNeuron);
    CHECK(zand.macro.weight_bits == 1);
    CHECK(zand.array.rows >= 784);   // single-cycle: a whole 784-input dot product per column
    // The IMAC-Sim neuron circuit (spice/neuron.sp): 8488 / 25465 Ohm divider MTJs, -0.4 V bias.
    CHECK(zand.periphery.neuron.model == "imac");
    CHECK(zand.periphery.neuron.r_in == Approx(8488).epsilon(2e-3));
    CHECK(zand.periphery.neuron.r_fb == Approx(25465).epsilon(2e-3));
    CHECK(zand.periphery.neuron.bias == Approx(-0.4));
    CHECK(zand.periphery.neuron.beta_n == Approx(3.3e-3));
    CHECK(zand.periphery.neuron.lambda == Approx(0.3));
    check_complete_tech(zand);

    auto nvm = load_config(configs("nvm_program_verify.yaml"));
    CHECK(nvm.device.t_pulse == Approx(1e-6));
    CHECK(nvm.device.verify_max_iter > 1);
    CHECK(nvm.device.t_pulse / carletti.device.t_pulse >= 100.0);
    CHECK(nvm.device.e_driver_write > carletti.tech.energy.at("cell_write"));
    CHECK(nvm.total_macros() == carletti.total_macros());   // same chip, only the write differs
}

namespace {
// A comment counts as a source when it names one of the reference works or tables, or says
// that the value is an assumption, derived, a calibration or a simulation setting.
bool names_a_source(const std::string& comment) {
    static const char* words[] = {"assumption", "REFERENCE", "derived", "calibration", "CALIBRATION",
                                  "simulation setting", "jung", "zand", "myung", "carletti", "doevenspeck",
                                  "NeuroSim", "Horowitz", "Murmann", "imec", "Garello", "IMAC-Sim", "Intel",
                                  "published", "bitcell sizes"};
    for (const char* w : words)
        if (comment.find(w) != std::string::npos) return true;
    return false;
}
}  // namespace

TEST_CASE("every preset validates and every number in it carries a source or says it is an assumption",
          "[presets]") {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(SOTSIM_SOURCE_DIR) / "configs";
    int presets = 0, numbers = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
        const std::string rel = fs::relative(e.path(), root).string();
        if (rel.rfind("sweeps/", 0) == 0) continue;  // sweep files are studies, not presets
        const bool top = e.path().parent_path() == root;
        if (top) {
            INFO("preset " << rel);
            CHECK_NOTHROW(load_config(e.path().string()));
            if (rel != "nvm_program_verify.yaml") check_complete_tech(load_config(e.path().string()));
            ++presets;
        }
        std::ifstream in(e.path());
        std::string line, block;  // block: the comment lines directly above
        int lineno = 0;
        while (std::getline(in, line)) {
            ++lineno;
            const auto first = line.find_first_not_of(' ');
            if (first == std::string::npos) { block.clear(); continue; }
            if (line[first] == '#') { block += line.substr(first) + "\n"; continue; }
            const auto hash = line.find(" #");
            const std::string body = line.substr(0, hash);
            const std::string comment = hash == std::string::npos ? "" : line.substr(hash);
            const auto colon = body.find(": ");
            std::string value = colon == std::string::npos ? "" : body.substr(colon + 2);
            value.erase(0, value.find_first_not_of(' '));
            const bool numeric = !value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) ||
                                                    ((value[0] == '-' || value[0] == '.' || value[0] == '[') &&
                                                     value.size() > 1 && std::isdigit(static_cast<unsigned char>(value[1]))));
            if (numeric) {
                ++numbers;
                INFO(rel << ":" << lineno << ": " << line);
                CHECK(names_a_source(comment + " " + block));
            }
            block.clear();
        }
    }
    CHECK(presets >= 7);
    CHECK(numbers > 100);
}
