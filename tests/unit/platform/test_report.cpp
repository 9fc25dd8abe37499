#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "FakeStatsSource.h"
#include "platform/report/AtomicFile.h"
#include "platform/report/FigureUnits.h"
#include "platform/report/Report.h"

using namespace sotsim;
using namespace sotsim::report;
namespace fs = std::filesystem;

namespace {

struct SmallChip {
    test::FakeStatsSource m0, m1, tile, noc;
    Collection after_programming;
    Config cfg;
    RunInfo info;

    SmallChip() {
        cfg.tech = test::test_tech();
        cfg.chip.tiles = 1;
        cfg.tile.macros = 2;
        for (auto* m : {&m0, &m1}) {
            m->items = {{"mtj_cell", 65536}, {"row_driver", 256}, {"adc", 32}, {"macro_control", 1}};
            m->track_layers = true;
            m->group = 0;
        }
        tile.kind = "tile";
        tile.group = 0;
        tile.items = {{"sram_byte", 65536}, {"digital_unit", 1}, {"tile_control", 1}};
        tile.track_layers = true;
        noc.kind = "interconnect";
        noc.items = {{"router", 2}};

        // Programming phase: cell writes only.
        m0.ac.add("cell_write", 1000);
        m0.ac.add_energy("cell_write", 2e-12);
        m0.st = {{"busy_time_s", 1e-6, "s", "busy"}};
        m1.st = {{"busy_time_s", 0.0, "s", "busy"}};
        m0.busy[0] = 1e-6;  // programming fc1's block: not inference time
        after_programming = snapshot();

        // Inference phase.
        m0.ac.add("row_drive", 2560);
        m0.ac.add("adc_conversion", 1280);
        m0.ac.add_energy("array_read", 5e-12);
        m0.layers[0].add("row_drive", 2560);
        m0.layers[0].add("adc_conversion", 1280);
        m0.layers[0].add_energy("array_read", 5e-12);
        m1.ac.add("row_drive", 1280);
        m1.ac.add("adc_conversion", 640);
        m1.layers[1].add("row_drive", 1280);
        m1.layers[1].add("adc_conversion", 640);
        m0.st = {{"busy_time_s", 1e-6 + 6e-6, "s", "busy"}, {"mvms", 10, "1", "MVMs"}};
        m1.st = {{"busy_time_s", 2e-6, "s", "busy"}};
        tile.ac.add("buffer_read_byte", 4000);
        tile.ac.add("digital_add", 900);
        tile.layers[0].add("buffer_read_byte", 3000);
        tile.layers[1].add("buffer_read_byte", 1000);
        // Per-layer busy times of the inference phase (m0 after programming: 1 us + 3 us).
        m0.busy[0] = 1e-6 + 3e-6;
        m1.busy[1] = 2e-6;
        tile.busy[0] = 1e-6;
        noc.busy[1] = 4e-6;
        tile.spans[0] = {1e-6, 6e-6};
        tile.spans[1] = {6e-6, 11e-6};
        noc.ac.add("bus_byte", 512);

        info.samples = 10;
        info.batch = 10;
        info.accuracy_hardware = 0.9;
        info.accuracy_float_reference = 1.0;
        info.inference_time_s = 10e-6;
        info.latency_s = 10e-6;
        info.programming_time_s = 1e-6;
        info.after_programming = after_programming;
        info.layers = {{"fc1", "dense", 256.0 * 128, 1, 0, 10, 1, 1}, {"fc2, \"out\"", "dense", 128.0 * 10, 1, 2, 10, 1, 1}};
        info.macs_per_inference = 256.0 * 128 + 128.0 * 10;
        info.seed = 42;
        info.version = "0.1.0";
        info.model_path = "models/mlp.onnx";
        info.model_hash = "sha256:abc";
        info.config_yaml = "array:\n  rows: 256\n  cols: 256\nsim:\n  seed: 42\n";
    }
    Collection snapshot() const {
        return collect_named({{"chip.tile0.macro0", &m0}, {"chip.tile0.macro1", &m1}, {"chip.tile0", &tile},
                              {"chip.noc", &noc}});
    }
};

double leakage_W_hand() {
    // 2 macros x 32 ADCs x 1 uW + 64 KiB x 1 nW + 1 digital unit x 50 uW
    return 2 * 32 * 1e-6 + 65536 * 1e-9 + 50e-6;
}

}  // namespace

TEST_CASE("report: inference energy equals hand computation; breakdown sums to total", "[report]") {
    SmallChip c;
    Report r(c.cfg, c.snapshot(), c.info);
    const auto& f = r.figures();
    const double dyn = 3840 * 2e-15 + 1920 * 50e-15 + 5e-12 + 4000 * 1e-15 + 900 * 0.1e-15 + 512 * 8e-15;
    const double leak = leakage_W_hand() * 10e-6;
    CHECK(f.leakage_W == Approx(leakage_W_hand()).epsilon(1e-12));
    CHECK(f.energy[EnergyCategory::Leakage] == Approx(leak).epsilon(1e-12));
    CHECK(f.energy[EnergyCategory::Write] == 0.0);   // programming is not inference
    CHECK(f.energy_total_J == Approx(dyn + leak).epsilon(1e-12));
    CHECK(f.energy_per_inference_J == Approx((dyn + leak) / 10).epsilon(1e-12));
    // Programming: 1000 pulses + I^2Rt + leakage over 1 us.
    CHECK(f.programming_energy_J == Approx(1000 * 100e-15 + 2e-12 + leakage_W_hand() * 1e-6).epsilon(1e-12));

    Json j = sotsim::report::parse_json(sotsim::report::dump_json(r.json(), 2));
    double sum = 0.0;
    for (const auto& [k, v] : j.at("energy_J").at("breakdown").items()) sum += v.get<double>();
    const double total = j.at("energy_J").at("total").get<double>();
    CHECK(std::fabs(sum - total) <= 1e-12 * total);
    CHECK(j.at("energy_J").at("breakdown").size() == 9);
}

TEST_CASE("report: derived figures (throughput, TOPS, TOPS/W, TOPS/mm^2, utilization, area)", "[report]") {
    SmallChip c;
    Report r(c.cfg, c.snapshot(), c.info);
    const auto& f = r.figures();
    CHECK(f.macros == 2);
    CHECK(f.throughput_inf_per_s == Approx(10 / 10e-6));
    const double ops = 2 * c.info.macs_per_inference * 10;
    CHECK(f.tops == Approx(ops / 10e-6 / 1e12));
    CHECK(f.tops_per_w == Approx(ops / f.energy_total_J / 1e12));
    AreaModel am(c.cfg.tech);
    const double area = 2 * am.area_m2(c.m0.items) + am.area_m2(c.tile.items) + am.area_m2(c.noc.items);
    CHECK(f.area_m2 == Approx(area).epsilon(1e-12));
    CHECK(f.tops_per_mm2 == Approx(f.tops / (area * 1e6)));
    // macro0 busy 6 us, macro1 2 us during a 10 us inference phase.
    CHECK(f.utilization == Approx((6e-6 + 2e-6) / 2 / 10e-6));
}

TEST_CASE("report: utilization of the mapped macros beside the chip-wide mean", "[report]") {
    SmallChip c;
    c.m0.st.push_back({"programs", 1, "1", "block programmings"});  // only macro0 holds a block
    Report r(c.cfg, c.snapshot(), c.info);
    const auto& f = r.figures();
    CHECK(f.mapped_macros == 1);
    CHECK(f.utilization_mapped == Approx(6e-6 / 10e-6));             // macro0 alone
    CHECK(f.utilization == Approx((6e-6 + 2e-6) / 2 / 10e-6));       // unchanged chip-wide mean
    CHECK(r.summary().find("of the 1 mapped macros") != std::string::npos);
}

TEST_CASE("report: macro peak through the energy model, normalised to 1b x 1b", "[report]") {
    SmallChip c;
    MacroPeakSpec spec;
    spec.rows = 256;
    spec.cols_logical = 128;
    spec.weight_bits = 4;
    spec.input_bits = 2;
    spec.macro_area_items = c.m0.items;
    spec.measure_full_mvm = [] {
        MacroMvmCost cost;
        cost.vectors = 4;
        cost.actions.add("row_drive", 256 * 2 * 4);
        cost.actions.add("adc_conversion", 512 * 2 * 4);
        cost.actions.add_energy("array_read", 4 * 3e-12);
        cost.latency_s = 4 * 20e-9;
        return cost;
    };
    c.info.macro_peak = spec;
    Report r(c.cfg, c.snapshot(), c.info);
    REQUIRE(r.figures().macro_peak);
    const auto& mp = *r.figures().macro_peak;
    const double ops = 2.0 * 256 * 128 * 4 * 2;
    const double leak_W = 32 * 1e-6;
    const double e_vec = (512 * 2e-15 + 1024 * 50e-15 + 3e-12) + leak_W * 20e-9;
    AreaModel am(c.cfg.tech);
    CHECK(mp.energy_per_mvm_J == Approx(e_vec).epsilon(1e-12));
    CHECK(mp.tops_per_w_1b == Approx(ops / e_vec / 1e12).epsilon(1e-12));
    CHECK(mp.tops_per_mm2_1b == Approx(ops / 20e-9 / (am.area_m2(c.m0.items) * 1e6) / 1e12).epsilon(1e-12));
    Json j = r.json();
    CHECK(j.at("macro_peak").at("tops_per_w_1b").get<double>() == mp.tops_per_w_1b);

    spec.measure_full_mvm = [] { return MacroMvmCost{}; };   // zero latency
    c.info.macro_peak = spec;
    CHECK_THROWS_WITH(Report(c.cfg, c.snapshot(), c.info), Catch::Contains("latency"));
}

namespace {
// Scalar figures of a report outside config, components, layers and the provenance records;
// a {value, unit} quantity is one figure. Maps path -> the unit it writes ("" if none).
void scalar_figures(const Json& node, const std::string& path, std::map<std::string, std::string>& out) {
    if (node.is_object() && node.size() == 2 && node.contains("value") && node.contains("unit")) {
        out[path] = node.at("unit").get<std::string>();
        return;
    }
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (path.empty() && (it.key() == "config" || it.key() == "components" || it.key() == "layers" ||
                                 it.key() == "units" || it.key() == "model" || it.key() == "dataset" ||
                                 it.key() == "version" || it.key() == "config_file"))
                continue;
            scalar_figures(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
        }
        return;
    }
    out[path] = "?";   // a plain number (or null): its unit must come from the table
}
}  // namespace

TEST_CASE("report: the units object names every scalar figure, with the unit a quantity states", "[report]") {
    SmallChip c;
    MacroPeakSpec spec;   // a macro peak, so that every figure of the table is written
    spec.rows = 256;
    spec.cols_logical = 128;
    spec.weight_bits = 1;
    spec.input_bits = 1;
    spec.macro_area_items = c.m0.items;
    spec.measure_full_mvm = [] {
        MacroMvmCost cost;
        cost.vectors = 1;
        cost.actions.add("row_drive", 256);
        cost.latency_s = 20e-9;
        return cost;
    };
    c.info.macro_peak = spec;
    Report r(c.cfg, c.snapshot(), c.info);
    const Json j = parse_json(dump_json(r.json(), 2));
    std::map<std::string, std::string> figures;
    scalar_figures(j, "", figures);
    REQUIRE(j.contains("units"));
    const Json& units = j.at("units");
    for (const auto& [path, unit] : figures) {
        INFO(path);
        REQUIRE(units.contains(path));
        if (unit != "?") CHECK(units.at(path).get<std::string>() == unit);
    }
    for (auto it = units.begin(); it != units.end(); ++it) {
        INFO(it.key());
        CHECK(figures.count(it.key()) == 1);
    }
    CHECK(units.size() == figure_units().size());
    CHECK(units.at("energy_J.breakdown_per_inference.adc").get<std::string>() == "J");
    CHECK(units.at("accuracy.hardware").get<std::string>().empty());
    bool known = true;
    CHECK(figure_unit("components.chip.area", &known).empty());
    CHECK_FALSE(known);
}

TEST_CASE("report: report.json schema, units and hierarchy", "[report]") {
    SmallChip c;
    Report r(c.cfg, c.snapshot(), c.info);
    Json j = sotsim::report::parse_json(sotsim::report::dump_json(r.json(), 2));
    for (const char* key : {"macros", "latency_s", "throughput_inf_per_s", "energy_J", "programming", "area_mm2",
                            "tops", "tops_per_w", "tops_per_mm2", "utilization", "macro_peak", "accuracy", "config",
                            "seed", "version", "model", "components", "layers"})
        CHECK(j.contains(key));
    CHECK(j.at("macros").get<double>() == 2);
    for (const char* k : {"array", "adc", "sense_amp", "drivers", "write", "buffer", "interconnect", "digital",
                          "leakage"})
        CHECK(j.at("energy_J").at("breakdown").contains(k));
    CHECK(j.at("energy_J").contains("per_inference"));
    CHECK(j.at("programming").at("time_s").get<double>() == 1e-6);
    CHECK(j.at("macro_peak").at("tops_per_w_1b").is_null());   // no probe given
    CHECK(j.at("accuracy").at("hardware").get<double>() == 0.9);
    CHECK(j.at("accuracy").at("float_reference").get<double>() == 1.0);
    CHECK(j.at("accuracy").at("samples").get<double>() == 10);
    CHECK(j.at("config").at("array").at("rows").get<double>() == 256);
    CHECK(j.at("seed").get<double>() == 42);
    CHECK(j.at("model").at("hash").get<std::string>() == "sha256:abc");
    CHECK(j.at("op_convention").at("ops_per_mac").get<double>() == 2);

    const Json& m0 = j.at("components").at("chip").at("children").at("tile0").at("children").at("macro0");
    CHECK(m0.at("kind").get<std::string>() == "macro");
    CHECK(m0.at("stats").at("busy_time_s").at("unit").get<std::string>() == "s");
    CHECK(m0.at("stats").at("busy_time_s").at("value").get<double>() == 7e-6);
    CHECK(m0.at("area").at("unit").get<std::string>() == "m^2");
    CHECK(m0.at("actions").at("row_drive").get<double>() == 2560);   // inference phase only
    CHECK((!m0.at("actions").contains("cell_write") || m0.at("actions").at("cell_write").get<double>() == 0));
    CHECK(j.at("components").at("chip").at("children").at("tile0").at("kind").get<std::string>() == "tile");

    REQUIRE(j.at("layers").size() == 2);
    CHECK(j.at("layers").at(1).at("name").get<std::string>() == "fc2, \"out\"");
    CHECK(j.at("layers").at(1).at("rewrites").get<double>() == 2);
}

TEST_CASE("report: layers.csv has one row per layer with the documented columns", "[report]") {
    SmallChip c;
    Report r(c.cfg, c.snapshot(), c.info);
    std::istringstream csv(r.layers_csv());
    std::string line;
    std::getline(csv, line);
    CHECK(line == "index,name,kind,latency_s,sample_latency_s,stage_time_s,energy_J,mvms,rewrites,macs,"
                  "busiest_resource,busiest_busy_fraction");
    std::getline(csv, line);
    EnergyModel em(c.cfg.tech);
    ActionCounter l0;
    l0.merge(c.m0.layers[0]);
    l0.merge(c.tile.layers[0]);
    // No sample times from this hand-built chip; the stage time is the span per sample.
    CHECK(line == "0,fc1,dense,5e-06," + format_number(0.0) + "," + format_number(5e-06 / 10) + "," + format_number(em.energy_J(l0)) + ",10,0," + format_number(256.0 * 128 * 10) +
                  ",chip.tile0.macro0," + format_number(3e-6 / 5e-6));
    std::getline(csv, line);
    CHECK(line.rfind("1,\"fc2, \"\"out\"\"\",dense,", 0) == 0);   // CSV quoting of the name
    CHECK(!std::getline(csv, line));
}

TEST_CASE("report: energy no layer caused is its own figure (the untagged digital adds and bus bytes)", "[report]") {
    SmallChip c;
    Report r(c.cfg, c.snapshot(), c.info);
    const auto& f = r.figures();
    // Tagged: every macro action and the 3000 + 1000 buffer reads. Untagged: 900 digital
    // adds of the tile and the 512 bus bytes of the interconnect.
    CHECK(f.outside_layers[EnergyCategory::Digital] == Approx(900 * 0.1e-15).epsilon(1e-12));
    CHECK(f.outside_layers[EnergyCategory::Interconnect] == Approx(512 * 8e-15).epsilon(1e-12));
    CHECK(f.outside_layers[EnergyCategory::Buffer] == 0.0);
    CHECK(f.outside_layers[EnergyCategory::Adc] == 0.0);
    CHECK(f.outside_layers[EnergyCategory::Leakage] == 0.0);
    double layers = 0.0;
    for (const auto& l : f.layers) layers += l.energy.total_J();
    const double dynamic = f.energy_total_J - f.energy[EnergyCategory::Leakage];
    CHECK(layers + f.outside_layers.total_J() == Approx(dynamic).epsilon(1e-12));
    Json j = sotsim::report::parse_json(sotsim::report::dump_json(r.json(), 2));
    CHECK(j.at("energy_J").at("outside_layers").get<double>() == Approx(900 * 0.1e-15 + 512 * 8e-15).epsilon(1e-12));
    CHECK(r.summary().find("outside layers") != std::string::npos);
}

TEST_CASE("report: summary names every headline figure", "[report]") {
    SmallChip c;
    c.info.config_path = "configs/small.yaml";
    c.info.dataset_name = "mnist";
    c.info.dataset_split = "test";
    std::string s = Report(c.cfg, c.snapshot(), c.info).summary();
    for (const char* k : {"config        configs/small.yaml", "model         models/mlp.onnx", "mnist test, first 10 samples",
                          "one sample alone", "1/throughput = 1 us per inference"})
        CHECK(s.find(k) != std::string::npos);
    for (const char* k : {"accuracy", "90.00 %", "100.00 %", "latency", "throughput", "energy", "array", "leakage",
                          "TOPS/W", "TOPS/mm^2", "area", "utilization", "programming", "1 MAC = 2 ops"})
        CHECK(s.find(k) != std::string::npos);
    CHECK(si_format(1.234e-6, "s") == "1.23 us");
    CHECK(si_format(999.9e-9, "s") == "1 us");
    CHECK(si_format(0.0, "J") == "0 J");
}

TEST_CASE("report: write() creates report.json and layers.csv that parse back", "[report][io]") {
    SmallChip c;
    fs::path out = fs::temp_directory_path() / ("sotsim_report_test_" + std::to_string(::getpid()));
    fs::remove_all(out);
    Report(c.cfg, c.snapshot(), c.info).write((out / "sub").string());
    std::ifstream js(out / "sub" / "report.json");
    std::stringstream ss;
    ss << js.rdbuf();
    CHECK(sotsim::report::parse_json(ss.str()).at("macros").get<double>() == 2);
    CHECK(fs::exists(out / "sub" / "layers.csv"));
    std::size_t n = 0;
    for (auto& e : fs::directory_iterator(out / "sub")) { (void)e; ++n; }
    CHECK(n == 2);   // no temporaries left behind
    fs::remove_all(out);
}

TEST_CASE("report: failures leave no files (bad dir, missing tech entry, throwing writer)", "[report][io]") {
    SmallChip c;
    fs::path base = fs::temp_directory_path() / ("sotsim_atomic_test_" + std::to_string(::getpid()));
    fs::remove_all(base);
    fs::create_directories(base);

    // Output directory below a regular file: cannot be created.
    std::ofstream(base / "plainfile") << "x";
    CHECK_THROWS_WITH(Report(c.cfg, c.snapshot(), c.info).write((base / "plainfile" / "out").string()),
                      Catch::Contains("plainfile"));

    // A tech table without an action fails before anything is written.
    c.cfg.tech.energy.erase("bus_byte");
    CHECK_THROWS_WITH(Report(c.cfg, c.snapshot(), c.info), Catch::Contains("'bus_byte'"));
    CHECK(!fs::exists(base / "out2"));

    // A writer that fails halfway leaves the previous file intact and no temporary.
    fs::path target = base / "report.json";
    write_file_atomic(target.string(), std::string("old"));
    CHECK_THROWS(write_file_atomic(target.string(), [](std::ostream& os) {
        os << "partial";
        throw std::runtime_error("boom");
    }));
    std::ifstream in(target);
    std::string content;
    in >> content;
    CHECK(content == "old");
    std::size_t n = 0;
    for (auto& e : fs::directory_iterator(base)) { (void)e; ++n; }
    CHECK(n == 2);   // plainfile + report.json

    // Several files: if one cannot be written, none is.
    CHECK_THROWS(write_files_atomic({{(base / "a.txt").string(), "a"}, {(base / "nodir" / "b.txt").string(), "b"}}));
    CHECK(!fs::exists(base / "a.txt"));
    fs::remove_all(base);
}

TEST_CASE("report: each layer names its busiest resource and its busy fraction of the stage", "[report]") {
    SmallChip c;
    {
        Report r(c.cfg, c.snapshot(), c.info);
        const auto& l = r.figures().layers;
        REQUIRE(l.size() == 2);
        // fc1: macro0 3 us (its 1 us of programming is not inference) beats the tile's 1 us;
        // no sample times, so the window is the layer's 5 us span.
        CHECK(l[0].busiest_resource == "chip.tile0.macro0");
        CHECK(l[0].busiest_busy_s == Approx(3e-6));
        CHECK(l[0].busiest_busy_fraction == Approx(0.6));
        // fc2: the interconnect 4 us beats macro1 2 us.
        CHECK(l[1].busiest_resource == "chip.noc");
        CHECK(l[1].busiest_busy_fraction == Approx(0.8));
        const Json j = r.json();
        CHECK(j.at("layers").at(1).at("busiest_resource").at("name").get<std::string>() == "chip.noc");
        CHECK(j.at("layers").at(1).at("busiest_resource").at("busy_fraction").get<double>() == Approx(0.8));
    }
    // Layer by layer the layer is active only part of its span: the window is the time it
    // was active (the tile's per-run sum, 4.5 us of fc2's 5 us span).
    c.tile.sample_times[1] = {4.5e-6, 2};
    c.noc.busy[1] = 1.5e-6;
    Report r(c.cfg, c.snapshot(), c.info);
    CHECK(r.figures().layers[1].busiest_resource == "chip.tile0.macro1");
    CHECK(r.figures().layers[1].busiest_busy_fraction == Approx(2e-6 / 4.5e-6));
}
