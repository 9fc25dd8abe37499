// Point expansion (grid / zip x seeds), seed derivation, point ids and the child's arguments.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "platform/sweep/Sweep.h"

#include "models/physics/Rng.h"
#include "platform/config/ConfigLoader.h"
#include "platform/sweep/SweepText.h"

namespace sotsim::sweep {

std::uint64_t derive_seed(std::uint64_t base, int repeat) {
    if (repeat == 0) return base;
    // splitmix64: consecutive repeats give statistically independent streams even for
    // small consecutive base seeds; 53 bits keep the seed exact in JSON and in Python.
    const std::uint64_t z = phys::splitmix64_mix(base + static_cast<std::uint64_t>(repeat) * 0x9E3779B97F4A7C15ull);
    return z & ((1ull << 53) - 1);
}

namespace {

// Combinations as index vectors into each parameter's value list, in point order.
std::vector<std::vector<std::size_t>> combinations(const SweepSpec& spec) {
    const auto& params = spec.parameters;
    std::vector<std::vector<std::size_t>> out;
    if (params.empty()) return {{}};
    if (spec.mode == SweepMode::Zip) {
        for (std::size_t i = 0; i < params.front().values.size(); ++i)
            out.emplace_back(params.size(), i);
        return out;
    }
    std::vector<std::size_t> idx(params.size(), 0);
    for (;;) {
        out.push_back(idx);
        // Odometer: the last parameter varies fastest, the first slowest.
        std::size_t k = params.size();
        while (k > 0) {
            --k;
            if (++idx[k] < params[k].values.size()) break;
            idx[k] = 0;
            if (k == 0) return out;
        }
    }
}

std::uint64_t combination_base_seed(const SweepSpec& spec, const std::vector<std::string>& values) {
    for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
        if (spec.parameters[i].key != "sim.seed") continue;
        // Already validated by the config loader as an unsigned 64-bit integer.
        return std::strtoull(values[i].c_str(), nullptr, 10);
    }
    return spec.base_seed;
}

std::string point_id(std::size_t index, std::size_t total, const SweepSpec& spec,
                     const std::vector<std::string>& values, std::uint64_t seed) {
    std::string canon;
    for (std::size_t i = 0; i < values.size(); ++i) canon += spec.parameters[i].key + "=" + values[i] + "\n";
    canon += "seed=" + std::to_string(seed) + "\n";
    int width = 4;
    for (std::size_t n = total; n >= 10000; n /= 10) ++width;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%0*zu-%08llx", width, index,
                  static_cast<unsigned long long>(fnv1a64(canon) >> 32));
    return buf;
}

}  // namespace

std::vector<SweepPoint> expand(const SweepSpec& spec) {
    const auto combos = combinations(spec);
    const std::size_t total = combos.size() * static_cast<std::size_t>(spec.seeds);
    std::vector<SweepPoint> points;
    points.reserve(total);
    for (const auto& combo : combos) {
        std::vector<std::string> values, csv;
        for (std::size_t i = 0; i < combo.size(); ++i) {
            values.push_back(spec.parameters[i].values[combo[i]].text);
            csv.push_back(spec.parameters[i].values[combo[i]].csv);
        }
        const std::uint64_t base = combination_base_seed(spec, values);
        for (int k = 0; k < spec.seeds; ++k) {
            SweepPoint p;
            p.index = points.size();
            p.values = values;
            p.csv_values = csv;
            p.repeat = k;
            p.seed = derive_seed(base, k);
            p.id = point_id(p.index, total, spec, values, p.seed);
            points.push_back(std::move(p));
        }
    }
    return points;
}

std::vector<std::string> SweepParameter::keys() const {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t plus = key.find('+', start);
        out.push_back(key.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
        if (plus == std::string::npos) break;
        start = plus + 1;
    }
    return out;
}

std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& point) {
    std::vector<std::string> out = spec.set;
    for (std::size_t i = 0; i < point.values.size(); ++i)
        for (const std::string& key : spec.parameters[i].keys()) out.push_back(key + "=" + point.values[i]);
    return out;
}

std::string point_config_yaml(const SweepSpec& spec, const SweepPoint& point) {
    // As `sotsim run` builds it: --set overrides, then --seed as the last one, then --ideal.
    std::vector<std::string> overrides = point_overrides(spec, point);
    overrides.push_back("sim.seed=" + std::to_string(point.seed));
    Config cfg = config::load_config(spec.base, overrides);
    if (spec.ideal) cfg = make_ideal(cfg);
    return config::to_yaml(cfg);
}

std::vector<std::size_t> parse_point_list(const std::string& text, std::size_t total) {
    std::vector<std::size_t> out;
    auto number = [&](const std::string& s) -> std::size_t {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18)
            throw SweepError("--points '" + text + "': '" + s + "' is not a point index");
        const std::size_t v = std::stoull(s);
        if (v >= total)
            throw SweepError("--points '" + text + "': point " + s + " does not exist (the sweep has " +
                             std::to_string(total) + " points, 0-" + std::to_string(total - 1) + ")");
        return v;
    };
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        const std::string item = text.substr(start, comma - start);
        const std::size_t dash = item.find('-');
        const std::size_t a = number(item.substr(0, dash));
        const std::size_t b = dash == std::string::npos ? a : number(item.substr(dash + 1));
        if (b < a) throw SweepError("--points '" + text + "': range '" + item + "' runs backwards");
        for (std::size_t i = a; i <= b; ++i) out.push_back(i);
        start = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string format_point_list(const std::vector<std::size_t>& idx) {
    std::string out;
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
        out += (out.empty() ? "" : ",") + std::to_string(idx[i]);
        if (j > i) out += "-" + std::to_string(idx[j]);
        i = j + 1;
    }
    return out;
}

std::vector<std::string> runner_arguments(const SweepSpec& spec, const SweepPoint& point,
                                          const std::string& out_dir) {
    std::vector<std::string> args = {"run", "-c", spec.base};
    for (const auto& s : point_overrides(spec, point)) args.insert(args.end(), {"--set", s});
    args.insert(args.end(), {"--seed", std::to_string(point.seed), "-w", spec.workload.model,
                             "--dataset", spec.workload.dataset});
    if (!spec.workload.labels.empty()) args.insert(args.end(), {"--labels", spec.workload.labels});
    args.insert(args.end(), {"--split", spec.workload.split, "--samples", std::to_string(spec.workload.samples)});
    if (spec.ideal) args.push_back("--ideal");
    args.insert(args.end(), {"-o", out_dir, "-q"});
    return args;
}

int exit_status(const SweepSummary& summary) {
    if (summary.interrupted) return 130;
    return summary.failed > 0 ? 1 : 0;
}

}  // namespace sotsim::sweep
