#include "platform/report/Report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "platform/report/AtomicFile.h"
#include "platform/report/FigureUnits.h"

namespace sotsim::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// a / b, NaN when b is not positive (an undefined figure, shown as null / n/a).
double ratio(double a, double b) { return b > 0.0 ? a / b : kNaN; }

Json breakdown_json(const EnergyBreakdown& b) {
    Json o = Json::object();
    for (EnergyCategory c : all_categories()) o[category_name(c)] = b[c];
    return o;
}

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(); }

std::vector<std::string> split_dotted(const std::string& name) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : name) {
        if (c == '.') { out.push_back(cur); cur.clear(); }
        else cur += c;
    }
    out.push_back(cur);
    return out;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

std::string csv_number(double v) { return std::isfinite(v) ? format_number(v) : ""; }

std::string percent(double v) {
    if (!std::isfinite(v)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, "%.2f %%", 100.0 * v);
    return b;
}

std::string plain(double v, int prec = 3) {
    if (!std::isfinite(v)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, "%.*g", prec, v);
    return b;
}

}  // namespace

std::string si_format(double value, const std::string& unit) {
    if (!std::isfinite(value)) return "n/a";
    static const struct { double f; const char* p; } prefixes[] = {
        {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""},
        {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}, {1e-18, "a"}};
    double a = std::fabs(value);
    const char* p = "";
    double f = 1.0;
    if (a > 0.0) {
        f = 1e-18;
        p = "a";
        for (const auto& x : prefixes)
            if (a >= x.f * (1.0 - 5e-4)) { f = x.f; p = x.p; break; }
    }
    char b[48];
    std::snprintf(b, sizeof b, "%.3g %s%s", value / f, p, unit.c_str());
    return b;
}

MacroPeakFigures compute_macro_peak(const EnergyModel& em, const AreaModel& am, const MacroPeakSpec& spec) {
    if (spec.rows <= 0 || spec.cols_logical <= 0 || spec.weight_bits <= 0 || spec.input_bits <= 0)
        throw std::invalid_argument("macro peak: rows, columns and bit widths must be positive");
    if (!spec.measure_full_mvm) throw std::invalid_argument("macro peak: no MVM measurement function");
    MacroMvmCost cost = spec.measure_full_mvm();
    if (!(cost.latency_s > 0.0) || cost.vectors <= 0)
        throw std::invalid_argument("macro peak: measured MVM latency and vector count must be positive");
    MacroPeakFigures m;
    m.ops_1b_per_mvm = 2.0 * spec.rows * spec.cols_logical * spec.weight_bits * spec.input_bits;
    double leak_J = em.leakage_W(spec.macro_area_items) * cost.latency_s;
    m.energy_per_mvm_J = (em.energy_J(cost.actions) + leak_J) / cost.vectors;
    m.latency_per_mvm_s = cost.latency_s / cost.vectors;
    m.area_m2 = am.area_m2(spec.macro_area_items);
    m.tops_per_w_1b = ratio(m.ops_1b_per_mvm, m.energy_per_mvm_J) / 1e12;
    m.tops_per_mm2_1b = ratio(m.ops_1b_per_mvm / m.latency_per_mvm_s, m.area_m2 * 1e6) / 1e12;
    return m;
}

Report::Report(const Config& cfg, const Collection& end, const RunInfo& info)
    : cfg_(cfg), info_(info), inference_(difference(end, info.after_programming)) {
    EnergyModel em(cfg);
    AreaModel am(cfg.tech);
    const double t_inf = info.inference_time_s;

    auto macros = inference_.of_kind("macro");
    fig_.macros = macros.empty() ? cfg.total_macros() : static_cast<int>(macros.size());
    fig_.latency_s = info.latency_s > 0.0 ? info.latency_s : kNaN;
    fig_.throughput_inf_per_s = info.samples > 0 ? ratio(info.samples, t_inf) : kNaN;

    // Per component: inference dynamic energy + leakage x inference time, area.
    for (const auto& c : inference_.components) {
        ComponentFigures f;
        f.name = c.name;
        f.kind = c.kind;
        f.energy = em.energy(c.actions);
        f.leakage_W = em.leakage_W(c.area_items);
        f.energy[EnergyCategory::Leakage] += f.leakage_W * t_inf;
        f.area_m2 = am.area_m2(c.area_items);
        fig_.energy += f.energy;
        fig_.leakage_W += f.leakage_W;
        fig_.area_m2 += f.area_m2;
        fig_.components.push_back(std::move(f));
    }
    fig_.energy_total_J = fig_.energy.total_J();
    fig_.energy_per_inference_J = info.samples > 0 ? fig_.energy_total_J / info.samples : kNaN;

    fig_.programming_time_s = info.programming_time_s;
    fig_.programming_energy_J =
        em.energy_J(info.after_programming.total_actions) + fig_.leakage_W * info.programming_time_s;

    fig_.ops = 2.0 * info.macs_per_inference * info.samples;
    fig_.tops = ratio(fig_.ops, t_inf) / 1e12;
    fig_.tops_per_w = ratio(fig_.ops, fig_.energy_total_J) / 1e12;
    fig_.tops_per_mm2 = ratio(fig_.tops, fig_.area_m2 * 1e6);

    // Utilization: mean fraction of the inference phase each macro was busy.
    // Also over the macros the program mapped (held a block): the chip-wide mean hides how
    // busy the macros that do the work are when a small network occupies few of them.
    double busy = 0.0, busy_mapped = 0.0;
    int reporting = 0, mapped = 0;
    for (const auto* m : macros) {
        double b_end = m->stat("busy_time_s", kNaN);
        if (!std::isfinite(b_end)) continue;
        double b_prog = 0.0;
        if (const auto* p = info.after_programming.find(m->name)) b_prog = p->stat("busy_time_s", 0.0);
        busy += b_end - b_prog;
        ++reporting;
        if (m->stat("programs", 0.0) > 0) {
            busy_mapped += b_end - b_prog;
            ++mapped;
        }
    }
    fig_.utilization = reporting > 0 ? ratio(busy / reporting, t_inf) : kNaN;
    fig_.mapped_macros = mapped;
    fig_.utilization_mapped = mapped > 0 ? ratio(busy_mapped / mapped, t_inf) : kNaN;

    if (info.macro_peak) fig_.macro_peak = compute_macro_peak(em, am, *info.macro_peak);

    // Layers: every index the runtime described or a component attributed actions to.
    std::set<int> ids;
    for (std::size_t i = 0; i < info.layers.size(); ++i) ids.insert(static_cast<int>(i));
    for (const auto& kv : inference_.layer_actions) ids.insert(kv.first);
    for (const auto& kv : inference_.layer_spans) ids.insert(kv.first);
    for (int id : ids) {
        LayerFigures l;
        l.index = id;
        if (id >= 0 && static_cast<std::size_t>(id) < info.layers.size()) {
            const LayerInfo& li = info.layers[static_cast<std::size_t>(id)];
            l.name = li.name;
            l.kind = li.kind;
            l.mvms = li.mvms;
            l.rewrites = li.rewrites;
            l.macs_per_sample = li.macs_per_sample;
            l.macs = li.macs_per_sample * info.samples;
            l.blocks = li.blocks;
            l.weight_bits = li.weight_bits;
            l.input_bits = li.input_bits;
            l.weight_precision = li.weight_precision;
            l.input_precision = li.input_precision;
        }
        if (auto it = inference_.layer_actions.find(id); it != inference_.layer_actions.end())
            l.energy = em.energy(it->second);
        if (auto it = inference_.layer_spans.find(id); it != inference_.layer_spans.end())
            l.latency_s = it->second.second - it->second.first;
        if (auto it = inference_.layer_sample_latency.find(id); it != inference_.layer_sample_latency.end())
            l.sample_latency_s = it->second;
        // Pipelined, every sample leaves the layer once per run: the span over the samples
        // is the interval at which the stage delivers (the slowest stage's time in steady
        // state, plus the fill of each run). Layer by layer it is the layer's share per sample.
        l.stage_time_s = info.samples > 0 ? l.latency_s / info.samples : kNaN;
        busiest_resource(l);
        fig_.layers.push_back(std::move(l));
    }
    for (EnergyCategory c : all_categories()) {
        if (c == EnergyCategory::Leakage) continue;
        double in_layers = 0.0;
        for (const auto& l : fig_.layers) in_layers += l.energy[c];
        const double rest = fig_.energy[c] - in_layers;
        // Rounding of the two sums is not energy: below 1e-9 of the category it is zero.
        fig_.outside_layers[c] = std::fabs(rest) <= 1e-9 * std::fabs(fig_.energy[c]) ? 0.0 : rest;
    }
}

// The layer's busiest resource: the component whose timed resource the layer occupied
// longest (tree order breaks ties), over the layer's stage window.
void Report::busiest_resource(LayerFigures& l) const {
    for (const auto& c : inference_.components) {
        auto it = c.layer_busy_s.find(l.index);
        if (it == c.layer_busy_s.end() || !(it->second > l.busiest_busy_s)) continue;
        l.busiest_resource = c.name;
        l.busiest_busy_s = it->second;
    }
    if (l.busiest_resource.empty()) return;
    double window = l.latency_s;
    if (auto it = inference_.layer_active_s.find(l.index); it != inference_.layer_active_s.end() && it->second > 0)
        window = std::min(window, it->second);
    l.busiest_busy_fraction = window > 0 ? l.busiest_busy_s / window : kNaN;
}

Json Report::json() const {
    const ReportFigures& f = fig_;
    Json r = Json::object();
    r["macros"] = f.macros;
    r["latency_s"] = f.latency_s;
    r["throughput_inf_per_s"] = f.throughput_inf_per_s;
    Json& e = r["energy_J"];
    e["total"] = f.energy_total_J;
    e["per_inference"] = f.energy_per_inference_J;
    e["breakdown"] = breakdown_json(f.energy);
    e["breakdown_per_inference"] = breakdown_json(f.energy.scaled(info_.samples > 0 ? 1.0 / info_.samples : kNaN));
    e["outside_layers"] = f.outside_layers.total_J();
    e["outside_layers_breakdown"] = breakdown_json(f.outside_layers);
    r["leakage_W"] = f.leakage_W;
    Json& p = r["programming"];
    p["time_s"] = f.programming_time_s;
    p["energy_J"] = f.programming_energy_J;
    r["area_mm2"] = f.area_m2 * 1e6;
    r["tops"] = f.tops;
    r["tops_per_w"] = f.tops_per_w;
    r["tops_per_mm2"] = f.tops_per_mm2;
    Json& conv = r["op_convention"];
    conv["ops_per_mac"] = 2;
    conv["weight_bits"] = info_.weight_bits;
    conv["input_bits"] = info_.input_bits;
    r["utilization"] = f.utilization;
    r["utilization_mapped"] = f.utilization_mapped;
    r["mapped_macros"] = static_cast<double>(f.mapped_macros);
    Json& mp = r["macro_peak"];
    if (f.macro_peak) {
        mp["tops_per_w_1b"] = f.macro_peak->tops_per_w_1b;
        mp["tops_per_mm2_1b"] = f.macro_peak->tops_per_mm2_1b;
        mp["ops_1b_per_mvm"] = f.macro_peak->ops_1b_per_mvm;
        mp["energy_per_mvm"] = quantity(f.macro_peak->energy_per_mvm_J, "J");
        mp["latency_per_mvm"] = quantity(f.macro_peak->latency_per_mvm_s, "s");
        mp["area"] = quantity(f.macro_peak->area_m2, "m^2");
    } else {
        mp["tops_per_w_1b"] = Json();
        mp["tops_per_mm2_1b"] = Json();
    }
    Json& acc = r["accuracy"];
    acc["hardware"] = optional_json(info_.accuracy_hardware);
    acc["float_reference"] = optional_json(info_.accuracy_float_reference);
    acc["quantized_reference"] = optional_json(info_.accuracy_quantized_reference);
    acc["samples"] = info_.samples;
    r["run"] = Json::object();
    r["run"]["samples"] = info_.samples;
    r["run"]["batch"] = info_.batch;
    r["run"]["inference_time"] = quantity(info_.inference_time_s, "s");
    r["run"]["macs_per_inference"] = info_.macs_per_inference;
    // The unit of every scalar figure above, so readers need not parse names.
    Json& units = r["units"];
    units = Json::object();
    for (const auto& fu : figure_units()) units[fu.path] = fu.unit;
    r["config_file"] = info_.config_path;
    r["config"] = info_.config_yaml.empty() ? Json() : json_from_yaml(info_.config_yaml);
    r["seed"] = static_cast<unsigned long long>(info_.seed);
    r["version"] = info_.version;
    r["model"]["path"] = info_.model_path;
    r["model"]["hash"] = info_.model_hash;
    if (!info_.dataset_name.empty()) {
        Json& ds = r["dataset"];
        ds["name"] = info_.dataset_name;
        ds["split"] = info_.dataset_split;
        ds["samples"] = info_.samples;
        ds["files"] = Json::array();
        for (const auto& [path, hash] : info_.dataset_files) {
            Json f;
            f["path"] = path;
            f["sha256"] = hash;
            ds["files"].push_back(f);
        }
    }

    // Components as a tree following the dotted hierarchical names.
    Json comps = Json::object();
    for (std::size_t i = 0; i < inference_.components.size(); ++i) {
        const ComponentEntry& c = inference_.components[i];
        const ComponentFigures& cf = f.components[i];
        std::vector<std::string> path = split_dotted(c.name);
        Json* level = &comps;
        for (std::size_t k = 0; k + 1 < path.size(); ++k) level = &(*level)[path[k]]["children"];
        Json& n = (*level)[path.back()];
        n["kind"] = c.kind;
        if (c.power_group >= 0) n["power_group"] = c.power_group;
        n["energy_J"]["total"] = cf.energy.total_J();
        n["energy_J"]["breakdown"] = breakdown_json(cf.energy);
        n["leakage"] = quantity(cf.leakage_W, "W");
        n["area"] = quantity(cf.area_m2, "m^2");
        Json& st = n["stats"];
        st = Json::object();
        for (const auto& s : c.stats) st[s.name] = quantity(s.value, s.unit);
        Json& ac = n["actions"];
        ac = Json::object();
        c.actions.for_each_count([&](const std::string& k, double v) { ac[k] = v; });
        Json& ai = n["instances"];
        ai = Json::object();
        for (const auto& [k, v] : c.area_items) ai[k] = v;
    }
    r["components"] = std::move(comps);

    Json layers = Json::array();
    for (const auto& l : f.layers) {
        Json o = Json::object();
        o["index"] = l.index;
        o["name"] = l.name;
        o["kind"] = l.kind;
        o["latency_s"] = l.latency_s;
        o["sample_latency_s"] = l.sample_latency_s;
        o["stage_time_s"] = l.stage_time_s;
        Json& b = o["busiest_resource"];
        b = Json::object();
        b["name"] = l.busiest_resource;
        b["busy_s"] = l.busiest_busy_s;
        b["busy_fraction"] = l.busiest_busy_fraction;
        o["energy_J"] = l.energy.total_J();
        o["energy_breakdown_J"] = breakdown_json(l.energy);
        o["mvms"] = l.mvms;
        o["rewrites"] = l.rewrites;
        o["blocks"] = l.blocks;
        o["macs"] = l.macs;
        o["macs_per_sample"] = l.macs_per_sample;
        o["weight_bits"] = l.weight_bits;
        o["input_bits"] = l.input_bits;
        o["weight_precision"] = l.weight_precision;
        o["input_precision"] = l.input_precision;
        layers.push_back(std::move(o));
    }
    r["layers"] = std::move(layers);
    return r;
}

std::string Report::layers_csv() const {
    std::ostringstream os;
    os << "index,name,kind,latency_s,sample_latency_s,stage_time_s,energy_J,mvms,rewrites,macs,busiest_resource,"
          "busiest_busy_fraction\n";
    for (const auto& l : fig_.layers)
        os << l.index << ',' << csv_field(l.name) << ',' << csv_field(l.kind) << ',' << csv_number(l.latency_s)
           << ',' << csv_number(l.sample_latency_s) << ',' << csv_number(l.stage_time_s)
           << ',' << csv_number(l.energy.total_J()) << ',' << csv_number(l.mvms) << ',' << l.rewrites << ','
           << csv_number(l.macs) << ',' << csv_field(l.busiest_resource) << ',' << csv_number(l.busiest_busy_fraction)
           << '\n';
    return os.str();
}

std::string Report::summary() const {
    const ReportFigures& f = fig_;
    std::ostringstream os;
    auto acc = [](const std::optional<double>& v) { return v ? percent(*v) : std::string("n/a"); };
    os << "sotsim " << info_.version << "  seed " << info_.seed << "  " << f.macros << " macros\n";
    if (!info_.config_path.empty()) os << "  config        " << info_.config_path << "\n";
    if (!info_.model_path.empty())
        os << "  model         " << info_.model_path
           << (info_.model_hash.empty() ? "" : "  (sha256 " + info_.model_hash.substr(0, 12) + "...)") << "\n";
    if (!info_.dataset_name.empty())
        os << "  dataset       " << info_.dataset_name << " " << info_.dataset_split << ", first " << info_.samples
           << " samples\n";
    os << "  accuracy      hardware " << acc(info_.accuracy_hardware) << "   float reference "
       << acc(info_.accuracy_float_reference);
    if (info_.accuracy_quantized_reference) os << "   quantized " << acc(info_.accuracy_quantized_reference);
    os << "   (" << info_.samples << " samples)\n";
    // Two different times: one sample alone through the chip, and the run's time per sample
    // with batches streaming (1/throughput), which is shorter when layers overlap.
    os << "  latency       " << si_format(f.latency_s, "s") << "   (one sample alone: input written to result read)\n";
    os << "  throughput    " << plain(f.throughput_inf_per_s, 4) << " inferences/s   (1/throughput = "
       << si_format(ratio(1.0, f.throughput_inf_per_s), "s") << " per inference over the run, batch " << info_.batch
       << ")\n";
    os << "  energy        " << si_format(f.energy_per_inference_J, "J") << " / inference   (total "
       << si_format(f.energy_total_J, "J") << ")\n";
    for (EnergyCategory c : all_categories()) {
        char line[96];
        std::snprintf(line, sizeof line, "    %-15s %12s  %7s\n", category_name(c),
                      si_format(ratio(f.energy[c], info_.samples), "J").c_str(),
                      percent(ratio(f.energy[c], f.energy_total_J)).c_str());
        os << line;
    }
    {
        // Part of the dynamic energy above, not a tenth category: what no layer caused.
        char line[128];
        std::snprintf(line, sizeof line, "    %-15s %12s  %7s  (of the rows above: host I/O, buffer + bus)\n",
                      "outside layers", si_format(ratio(f.outside_layers.total_J(), info_.samples), "J").c_str(),
                      percent(ratio(f.outside_layers.total_J(), f.energy_total_J)).c_str());
        os << line;
    }
    os << "  TOPS          " << plain(f.tops, 4) << "   (1 MAC = 2 ops, " << info_.weight_bits << "b weights x "
       << info_.input_bits << "b inputs)\n";
    os << "  TOPS/W        " << plain(f.tops_per_w, 4) << "\n";
    os << "  TOPS/mm^2     " << plain(f.tops_per_mm2, 4) << "\n";
    os << "  area          " << plain(f.area_m2 * 1e6, 4) << " mm^2\n";
    os << "  utilization   " << percent(f.utilization) << " (mean macro busy time); " << percent(f.utilization_mapped)
       << " of the " << f.mapped_macros << " mapped macros\n";
    os << "  programming   " << si_format(f.programming_time_s, "s") << ", " << si_format(f.programming_energy_J, "J")
       << " (not in inference figures)\n";
    if (f.macro_peak)
        os << "  macro peak    " << plain(f.macro_peak->tops_per_w_1b, 4) << " TOPS/W, "
           << plain(f.macro_peak->tops_per_mm2_1b, 4) << " TOPS/mm^2 (one macro, 1b x 1b ops)\n";
    return os.str();
}

std::vector<std::pair<std::string, std::string>> Report::outputs(const std::string& out_dir) const {
    namespace fs = std::filesystem;
    return {{(fs::path(out_dir) / "report.json").string(), dump_json(json(), 2) + "\n"},
            {(fs::path(out_dir) / "layers.csv").string(), layers_csv()}};
}

void Report::write(const std::string& out_dir) const {
    OutputBatch b;
    b.add(outputs(out_dir));
    b.commit();
}

}  // namespace sotsim::report
