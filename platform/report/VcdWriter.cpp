#include "platform/report/VcdWriter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <stdexcept>

#include "platform/report/AtomicFile.h"

namespace sotsim::report {

namespace {

// VCD identifier codes: base-94 over printable ASCII '!'..'~'.
std::string id_code(std::size_t n) {
    std::string s;
    do {
        s += static_cast<char>('!' + n % 94);
        n /= 94;
    } while (n);
    return s;
}

// Scope and variable names must not contain whitespace (it separates VCD tokens).
std::string sanitize(const std::string& s) {
    std::string out = s.empty() ? std::string("_") : s;
    for (char& c : out)
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '$') c = '_';
    return out;
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : path) {
        if (c == '.') { parts.push_back(sanitize(cur)); cur.clear(); }
        else cur += c;
    }
    parts.push_back(sanitize(cur));
    return parts;
}

std::string power_leaf(int group) { return group < 0 ? "chip_power_W" : "tile" + std::to_string(group) + "_power_W"; }

}  // namespace

VcdWriter::VcdWriter(const TechConfig& tech, double power_window_s, std::string power_scope)
    : energy_(tech), power_scope_(std::move(power_scope)) {
    if (!(power_window_s > 0.0) || !std::isfinite(power_window_s))
        throw std::invalid_argument("vcd: sim.power_window must be positive");
    double ps = std::round(power_window_s * 1e12);
    if (ps < 1.0) throw std::invalid_argument("vcd: sim.power_window is below the 1 ps timescale");
    window_ps_ = static_cast<std::uint64_t>(ps);
}

int VcdWriter::declare(const std::string& path, int width) {
    if (width < 0 || width > 64) throw std::invalid_argument("vcd: signal '" + path + "' width must be 0..64");
    auto it = by_path_.find(path);
    if (it != by_path_.end()) {
        if (signals_[static_cast<std::size_t>(it->second)].width != width)
            throw std::invalid_argument("vcd: signal '" + path + "' declared twice with different widths");
        return it->second;
    }
    Signal s;
    s.path = path;
    std::vector<std::string> parts = split_path(path);
    s.leaf = parts.back();
    parts.pop_back();
    if (parts.empty()) parts.push_back("top");   // VCD variables belong to a scope
    s.scope = std::move(parts);
    s.width = width;
    s.id = id_code(signals_.size());
    int id = static_cast<int>(signals_.size());
    signals_.push_back(std::move(s));
    by_path_[path] = id;
    return id;
}

void VcdWriter::value(int signal, std::uint64_t t_ps, double v) {
    if (signal < 0 || static_cast<std::size_t>(signal) >= signals_.size())
        throw std::out_of_range("vcd: value for undeclared signal id " + std::to_string(signal));
    events_.push_back({t_ps, signal, v});
}

void VcdWriter::activity(int group, std::uint64_t t0, std::uint64_t t1, const ActionCounter& delta) {
    double e = energy_.energy_J(delta);
    if (e == 0.0) return;
    auto& windows = window_energy_J_[group];
    if (t1 <= t0) {   // instantaneous: all in the window containing t0
        windows[t0 / window_ps_] += e;
        return;
    }
    const double per_ps = e / static_cast<double>(t1 - t0);
    for (std::uint64_t w = t0 / window_ps_; w * window_ps_ < t1; ++w) {
        std::uint64_t a = std::max(t0, w * window_ps_), b = std::min(t1, (w + 1) * window_ps_);
        windows[w] += per_ps * static_cast<double>(b - a);
    }
}

void VcdWriter::set_group_leakage_W(int group, double watts) {
    if (!std::isfinite(watts) || watts < 0.0) throw std::invalid_argument("vcd: leakage power must be finite and >= 0");
    leakage_W_[group] = watts;
}

std::string VcdWriter::format_value(const Signal& s, double v) const {
    if (s.width == 0) {
        char b[40];
        std::snprintf(b, sizeof b, "r%.17g ", std::isfinite(v) ? v : 0.0);
        return b + s.id;
    }
    if (s.width == 1) return std::string(v != 0.0 ? "1" : "0") + s.id;
    // Integers: two's complement truncated to the width, binary without leading zeros.
    std::int64_t iv = std::isfinite(v) ? static_cast<std::int64_t>(std::llround(v)) : 0;
    std::uint64_t u = static_cast<std::uint64_t>(iv);
    if (s.width < 64) u &= (std::uint64_t{1} << s.width) - 1;
    std::string bits;
    do {
        bits += static_cast<char>('0' + (u & 1));
        u >>= 1;
    } while (u);
    std::reverse(bits.begin(), bits.end());
    return "b" + bits + " " + s.id;
}

void VcdWriter::write(std::ostream& os, std::uint64_t end_ps) const {
    // Power signals are derived here, after all activity is known.
    std::vector<Signal> sigs = signals_;
    std::vector<Event> evs = events_;
    std::map<int, int> power_sig;
    std::set<int> groups;
    for (const auto& kv : window_energy_J_) groups.insert(kv.first);
    for (const auto& kv : leakage_W_) groups.insert(kv.first);
    std::uint64_t last_t = end_ps;
    for (const auto& e : evs) last_t = std::max(last_t, e.t_ps);
    for (const auto& kv : window_energy_J_)
        if (!kv.second.empty()) last_t = std::max(last_t, (kv.second.rbegin()->first + 1) * window_ps_);
    for (int g : groups) {
        Signal s;
        s.path = power_scope_ + "." + power_leaf(g);
        s.scope = split_path(power_scope_);
        s.leaf = power_leaf(g);
        s.width = 0;
        s.id = id_code(sigs.size());
        int id = static_cast<int>(sigs.size());
        sigs.push_back(s);
        power_sig[g] = id;
        double leak = leakage_W_.count(g) ? leakage_W_.at(g) : 0.0;
        auto wit = window_energy_J_.find(g);
        const std::uint64_t n_windows = (last_t + window_ps_ - 1) / window_ps_;
        const double window_s = static_cast<double>(window_ps_) * 1e-12;
        for (std::uint64_t w = 0; w < n_windows; ++w) {
            double e = 0.0;
            if (wit != window_energy_J_.end()) {
                auto it = wit->second.find(w);
                if (it != wit->second.end()) e = it->second;
            }
            evs.push_back({w * window_ps_, id, leak + e / window_s});
        }
        // After the last window the group is idle (only leakage).
        evs.push_back({n_windows * window_ps_, id, leak});
        last_t = std::max(last_t, n_windows * window_ps_);
    }

    std::stable_sort(evs.begin(), evs.end(), [](const Event& a, const Event& b) { return a.t_ps < b.t_ps; });

    os << "$date\n  (deterministic trace)\n$end\n";
    os << "$version\n  sotsim VcdWriter\n$end\n";
    os << "$timescale 1 ps $end\n";

    // Scopes: emit signals grouped by scope path, in first-declaration order, opening and
    // closing $scope blocks so each path prefix is a single module.
    std::vector<std::size_t> order(sigs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    {
        // Sort by scope path following first appearance of each prefix (a tree in
        // declaration order).
        std::map<std::vector<std::string>, std::size_t> first_seen;
        for (std::size_t i = 0; i < sigs.size(); ++i)
            for (std::size_t k = 1; k <= sigs[i].scope.size(); ++k) {
                std::vector<std::string> prefix(sigs[i].scope.begin(), sigs[i].scope.begin() + static_cast<long>(k));
                first_seen.emplace(prefix, first_seen.size());
            }
        auto key = [&](std::size_t i) {
            std::vector<std::size_t> k;
            for (std::size_t d = 1; d <= sigs[i].scope.size(); ++d)
                k.push_back(first_seen.at(std::vector<std::string>(sigs[i].scope.begin(),
                                                                   sigs[i].scope.begin() + static_cast<long>(d))));
            return k;
        };
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    }
    std::vector<std::string> open;
    for (std::size_t i : order) {
        const Signal& s = sigs[i];
        std::size_t common = 0;
        while (common < open.size() && common < s.scope.size() && open[common] == s.scope[common]) ++common;
        while (open.size() > common) { os << "$upscope $end\n"; open.pop_back(); }
        while (open.size() < s.scope.size()) {
            os << "$scope module " << s.scope[open.size()] << " $end\n";
            open.push_back(s.scope[open.size()]);
        }
        if (s.width == 0) os << "$var real 64 " << s.id << ' ' << s.leaf << " $end\n";
        else if (s.width == 1) os << "$var wire 1 " << s.id << ' ' << s.leaf << " $end\n";
        else os << "$var integer " << s.width << ' ' << s.id << ' ' << s.leaf << " $end\n";
    }
    while (!open.empty()) { os << "$upscope $end\n"; open.pop_back(); }
    os << "$enddefinitions $end\n";

    // Initial values: zero, overridden by whatever is recorded at t = 0 (last wins).
    std::vector<double> current(sigs.size(), 0.0);
    std::size_t i = 0;
    while (i < evs.size() && evs[i].t_ps == 0) { current[static_cast<std::size_t>(evs[i].signal)] = evs[i].v; ++i; }
    os << "#0\n$dumpvars\n";
    for (std::size_t s = 0; s < sigs.size(); ++s) os << format_value(sigs[s], current[s]) << '\n';
    os << "$end\n";

    std::uint64_t last_written = 0;
    std::vector<std::string> shown(sigs.size());
    for (std::size_t s = 0; s < sigs.size(); ++s) shown[s] = format_value(sigs[s], current[s]);
    while (i < evs.size()) {
        std::uint64_t t = evs[i].t_ps;
        // Last value per signal at this time, in the order signals first change.
        std::vector<int> touched;
        std::map<int, double> last;
        for (; i < evs.size() && evs[i].t_ps == t; ++i) {
            if (!last.count(evs[i].signal)) touched.push_back(evs[i].signal);
            last[evs[i].signal] = evs[i].v;
        }
        std::string block;
        for (int sidx : touched) {
            auto su = static_cast<std::size_t>(sidx);
            std::string text = format_value(sigs[su], last[sidx]);
            if (text == shown[su]) continue;   // no change: nothing to dump
            shown[su] = text;
            block += text;
            block += '\n';
        }
        if (block.empty()) continue;
        os << '#' << t << '\n' << block;
        last_written = t;
    }
    if (last_t > last_written) os << '#' << last_t << '\n';
}

void VcdWriter::write_file(const std::string& path, std::uint64_t end_ps) const {
    write_file_atomic(path, [&](std::ostream& os) { write(os, end_ps); });
}

}  // namespace sotsim::report
