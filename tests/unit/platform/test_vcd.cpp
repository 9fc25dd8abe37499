#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "FakeStatsSource.h"
#include "platform/report/VcdWriter.h"

using namespace sotsim;
using namespace sotsim::report;
namespace fs = std::filesystem;

namespace {

// Minimal VCD reader: variables (full dotted path -> id/type) and value changes per id.
struct ParsedVcd {
    std::string timescale;
    std::map<std::string, std::string> id_of;     // "chip.tile0.macro0.busy" -> id
    std::map<std::string, std::string> type_of;   // id -> wire/integer/real
    std::vector<std::uint64_t> times;             // every #t in order
    std::map<std::string, std::vector<std::pair<std::uint64_t, std::string>>> changes;   // id -> (t, value)
    bool dumpvars = false;
};

ParsedVcd parse_vcd(const std::string& text) {
    ParsedVcd p;
    std::istringstream is(text);
    std::string tok;
    std::vector<std::string> scope;
    std::uint64_t t = 0;
    bool defs_done = false;
    while (is >> tok) {
        if (tok == "$timescale") {
            std::string a, b;
            is >> a;
            if (a != "1ps") is >> b;
            p.timescale = a + b;
            is >> tok;   // $end
        } else if (tok == "$scope") {
            std::string kind, name, end;
            is >> kind >> name >> end;
            REQUIRE(kind == "module");
            scope.push_back(name);
        } else if (tok == "$upscope") {
            is >> tok;
            REQUIRE(!scope.empty());
            scope.pop_back();
        } else if (tok == "$var") {
            std::string type, width, id, name, end;
            is >> type >> width >> id >> name >> end;
            REQUIRE(end == "$end");
            std::string path;
            for (const auto& s : scope) path += s + ".";
            p.id_of[path + name] = id;
            p.type_of[id] = type;
        } else if (tok == "$enddefinitions") {
            is >> tok;
            REQUIRE(scope.empty());
            defs_done = true;
        } else if (tok == "$date" || tok == "$version" || tok == "$comment") {
            while (is >> tok && tok != "$end") {}
        } else if (tok == "$dumpvars") {
            p.dumpvars = true;
        } else if (tok == "$end") {
        } else if (tok[0] == '#') {
            REQUIRE(defs_done);
            t = std::stoull(tok.substr(1));
            p.times.push_back(t);
        } else if (tok[0] == 'b' || tok[0] == 'r') {
            std::string id;
            is >> id;
            p.changes[id].push_back({t, tok.substr(1)});
        } else {
            p.changes[tok.substr(1)].push_back({t, tok.substr(0, 1)});
        }
    }
    return p;
}

double value_at(const ParsedVcd& p, const std::string& id, std::uint64_t t) {
    double v = 0.0;
    for (const auto& [tt, s] : p.changes.at(id)) {
        if (tt > t) break;
        v = s.find_first_not_of("01") == std::string::npos && p.type_of.at(id) != "real"
                ? static_cast<double>(std::stoull(s, nullptr, 2))
                : std::stod(s);
    }
    return v;
}

std::string tmp_path(const std::string& leaf) {
    return (fs::temp_directory_path() / (leaf + "_" + std::to_string(::getpid()))).string();
}

}  // namespace

TEST_CASE("vcd: out-of-order decoupled events are written sorted, last value wins", "[report][vcd]") {
    VcdWriter w(test::test_tech(), 100e-9);
    int busy0 = w.declare("chip.tile0.macro0.busy", 1);
    int mvm0 = w.declare("chip.tile0.macro0.mvm_count", 32);
    int busy1 = w.declare("chip.tile0.macro1.busy", 1);
    int layer = w.declare("chip.layer", 16);
    CHECK(w.declare("chip.tile0.macro0.busy", 1) == busy0);
    CHECK_THROWS_WITH(w.declare("chip.tile0.macro0.busy", 8), Catch::Contains("chip.tile0.macro0.busy"));
    CHECK_THROWS_AS(w.value(99, 0, 1), std::out_of_range);

    // macro1 runs ahead in its local time and records first (temporal decoupling).
    w.value(busy1, 5000, 1);
    w.value(busy1, 9000, 0);
    w.value(busy0, 2000, 1);
    w.value(mvm0, 2000, 1);
    w.value(busy0, 7000, 0);
    w.value(layer, 0, 3);
    w.value(mvm0, 7000, 2);
    w.value(mvm0, 7000, 3);   // same time: last value wins
    w.value(busy0, 12000, 1);
    w.value(busy0, 12000, 1); // no change: not dumped twice

    std::ostringstream os;
    w.write(os, 20000);
    ParsedVcd p = parse_vcd(os.str());
    CHECK(p.timescale == "1ps");
    CHECK(p.dumpvars);
    for (std::size_t i = 1; i < p.times.size(); ++i) CHECK(p.times[i] > p.times[i - 1]);
    CHECK(p.times.front() == 0);
    CHECK(p.times.back() == 20000);
    const std::string b0 = p.id_of.at("chip.tile0.macro0.busy"), m0 = p.id_of.at("chip.tile0.macro0.mvm_count"),
                      b1 = p.id_of.at("chip.tile0.macro1.busy"), ly = p.id_of.at("chip.layer");
    CHECK(p.type_of.at(b0) == "wire");
    CHECK(p.type_of.at(m0) == "integer");
    CHECK(value_at(p, ly, 0) == 3);   // t = 0 records go into $dumpvars
    CHECK(value_at(p, b0, 1999) == 0);
    CHECK(value_at(p, b0, 2000) == 1);
    CHECK(value_at(p, b0, 7000) == 0);
    CHECK(value_at(p, b0, 12000) == 1);
    CHECK(value_at(p, m0, 7000) == 3);
    CHECK(value_at(p, b1, 5000) == 1);
    CHECK(value_at(p, b1, 9000) == 0);
    std::size_t changes_at_12000 = 0;
    for (const auto& [t, v] : p.changes.at(b0)) changes_at_12000 += t == 12000;
    CHECK(changes_at_12000 == 1);
}

TEST_CASE("vcd: tile power is activity energy averaged over power windows", "[report][vcd]") {
    TechConfig tech = test::test_tech();
    VcdWriter w(tech, 100e-9);   // 100 ns = 100000 ps windows
    ActionCounter ac;
    ac.add("adc_conversion", 1000);   // 1000 x 50 fJ = 50 pJ
    // Spread over [50 ns, 250 ns): 1/4 in window 0, 1/2 in window 1, 1/4 in window 2.
    w.activity(0, 50000, 250000, ac);
    ActionCounter ac2;
    ac2.add("bus_byte", 100);          // 800 fJ, instantaneous at 120 ns -> window 1
    w.activity(-1, 120000, 120000, ac2);
    w.set_group_leakage_W(0, 1e-6);
    ActionCounter unknown;
    unknown.add("teleport");
    CHECK_THROWS_WITH(w.activity(0, 0, 10, unknown), Catch::Contains("teleport"));

    std::ostringstream os;
    w.write(os);
    ParsedVcd p = parse_vcd(os.str());
    const std::string pw = p.id_of.at("power.tile0_W"), chip = p.id_of.at("power.shared_W");
    CHECK(p.type_of.at(pw) == "real");
    const double E = 50e-12, T = 100e-9;
    CHECK(value_at(p, pw, 0) == Approx(1e-6 + 0.25 * E / T).epsilon(1e-12));
    CHECK(value_at(p, pw, 100000) == Approx(1e-6 + 0.5 * E / T).epsilon(1e-12));
    CHECK(value_at(p, pw, 250000) == Approx(1e-6 + 0.25 * E / T).epsilon(1e-12));
    CHECK(value_at(p, pw, 300000) == Approx(1e-6).epsilon(1e-12));   // idle: leakage only
    CHECK(value_at(p, chip, 0) == 0.0);
    CHECK(value_at(p, chip, 150000) == Approx(800e-15 / T).epsilon(1e-12));
    CHECK(value_at(p, chip, 200000) == 0.0);
    // Energy conservation: sum of window power x window length equals the activity energy.
    double e = 0;
    for (std::uint64_t t = 0; t < 300000; t += 100000) e += (value_at(p, pw, t) - 1e-6) * T;
    CHECK(e == Approx(E).epsilon(1e-12));
}

TEST_CASE("vcd: GTKWave's vcd2fst accepts the trace", "[report][vcd]") {
    if (std::system("command -v vcd2fst >/dev/null 2>&1") != 0) {
        WARN("vcd2fst not installed: skipped");
        return;
    }
    VcdWriter w(test::test_tech(), 10e-9);
    int busy = w.declare("chip.tile0.macro0.busy", 1);
    int cnt = w.declare("chip.tile0.macro0.mvm_count", 32);
    int adc = w.declare("chip.tile0.macro0.adc_bank0.active", 1);
    int bus = w.declare("chip.noc.occupancy", 0);
    int layer = w.declare("chip.layer", 16);
    int top = w.declare("done", 1);
    for (int i = 0; i < 50; ++i) {
        std::uint64_t t = 1000 + 7000u * static_cast<unsigned>(49 - i);   // reverse order on purpose
        w.value(busy, t, 1);
        w.value(busy, t + 3000, 0);
        w.value(adc, t + 1000, 1);
        w.value(adc, t + 2500, 0);
        w.value(cnt, t + 3000, 49 - i + 1);
        w.value(bus, t, 0.25 * (i % 4));
        ActionCounter ac;
        ac.add("adc_conversion", 64);
        w.activity(0, t, t + 3000, ac);
    }
    w.value(layer, 0, 0);
    w.value(layer, 200000, 1);
    w.value(top, 360000, 1);
    const std::string vcd = tmp_path("sotsim_trace") + ".vcd", fst = tmp_path("sotsim_trace") + ".fst";
    w.write_file(vcd, 400000);
    const std::string cmd = "vcd2fst " + vcd + " " + fst + " >/dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    CHECK(fs::exists(fst));
    CHECK(fs::file_size(fst) > 0);
    fs::remove(vcd);
    fs::remove(fst);
}

TEST_CASE("vcd: bad window and write failure are clear errors", "[report][vcd]") {
    CHECK_THROWS_WITH(VcdWriter(test::test_tech(), 0.0), Catch::Contains("power_window"));
    CHECK_THROWS_WITH(VcdWriter(test::test_tech(), 1e-14), Catch::Contains("power_window"));
    VcdWriter w(test::test_tech(), 100e-9);
    w.declare("a.b", 1);
    CHECK_THROWS_WITH(w.write_file("/nonexistent_dir_sotsim/trace.vcd"), Catch::Contains("trace.vcd"));
    CHECK_THROWS_WITH(w.declare("a.c", 65), Catch::Contains("a.c"));
}

TEST_CASE("vcd: chip total power is the sum of every group, leakage of idle groups included", "[report][vcd]") {
    VcdWriter w(test::test_tech(), 100e-9);
    ActionCounter ac;
    ac.add("adc_conversion", 1000);             // 50 pJ in window 0 of tile 0
    w.activity(0, 0, 100000, ac);
    ActionCounter bus;
    bus.add("bus_byte", 100);                   // 800 fJ in window 1, shared
    w.activity(-1, 150000, 150000, bus);
    w.set_group_leakage_W(0, 1e-6);
    w.set_group_leakage_W(3, 2e-6);             // an idle tile: leakage only
    std::ostringstream os;
    w.write(os);
    ParsedVcd p = parse_vcd(os.str());
    const std::string total = p.id_of.at("power.total_W"), idle = p.id_of.at("power.tile3_W");
    const double T = 100e-9;
    CHECK(value_at(p, idle, 0) == Approx(2e-6));
    CHECK(value_at(p, total, 0) == Approx(3e-6 + 50e-12 / T).epsilon(1e-12));
    CHECK(value_at(p, total, 100000) == Approx(3e-6 + 800e-15 / T).epsilon(1e-12));
    CHECK(value_at(p, total, 250000) == Approx(3e-6).epsilon(1e-12));
}

TEST_CASE("vcd: header comments, hidden scopes, layer id unknown before the first layer", "[report][vcd]") {
    VcdWriter w(test::test_tech(), 10e-9);
    w.add_comment("config chip.yaml");
    w.add_comment("a $end inside");
    int used = w.declare("chip.tile0.macro0.busy", 1);
    int unused = w.declare("chip.tile0.macro1.busy", 1);
    int layer = w.declare("chip.tile0.layer", 16);
    int count = w.declare("chip.tile0.macro0.mvm_count", 32);
    w.hide_scope("chip.tile0.macro1");
    w.start_unknown("layer");
    w.value(used, 1000, 1);
    w.value(unused, 1000, 1);
    w.value(layer, 2000, 0);
    std::ostringstream os;
    w.write(os, 5000);
    const std::string text = os.str();
    CHECK(text.rfind("$comment\n  config chip.yaml\n$end\n", 0) == 0);
    CHECK(text.find("a _end inside") != std::string::npos);
    ParsedVcd p = parse_vcd(text);
    CHECK(p.id_of.count("chip.tile0.macro0.busy") == 1);
    CHECK(p.id_of.count("chip.tile0.macro1.busy") == 0);
    const std::string l = p.id_of.at("chip.tile0.layer");
    REQUIRE(p.changes.at(l).size() == 2);
    CHECK(p.changes.at(l)[0] == std::make_pair(std::uint64_t{0}, std::string("x")));   // "bx" at #0
    CHECK(p.changes.at(l)[1] == std::make_pair(std::uint64_t{2000}, std::string("0")));
    CHECK(p.changes.at(p.id_of.at("chip.tile0.macro0.mvm_count"))[0].second == "0");   // counters start at 0
    (void)count;
    // The view lists what the file holds, not what was declared.
    std::vector<std::string> written;
    for (const auto& s : w.written_signals()) written.push_back(s.path);
    CHECK(std::find(written.begin(), written.end(), "chip.tile0.macro1.busy") == written.end());
    CHECK(std::find(written.begin(), written.end(), "chip.tile0.layer") != written.end());
}
