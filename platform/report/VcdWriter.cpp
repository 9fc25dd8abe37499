#include "platform/report/VcdWriter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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

}  // namespace

std::string VcdWriter::power_leaf(int group) { return group < 0 ? "shared_W" : "tile" + std::to_string(group) + "_W"; }

void VcdWriter::add_comment(const std::string& text) {
    // "$end" inside a comment would close it early.
    std::string t = text;
    for (std::size_t p = t.find("$end"); p != std::string::npos; p = t.find("$end", p)) t.replace(p, 1, "_");
    comments_.push_back(std::move(t));
}

void VcdWriter::hide_scope(const std::string& scope) { hidden_scopes_.push_back(scope + "."); }

bool VcdWriter::hidden(const std::string& path) const {
    for (const auto& h : hidden_scopes_)
        if (path.compare(0, h.size(), h) == 0) return true;
    return false;
}

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
    if (std::isnan(v)) return (s.width == 1 ? std::string("x") : std::string("bx ")) + s.id;
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

void VcdWriter::materialize(std::vector<Signal>& sigs, std::vector<Event>& evs, std::uint64_t& last_t,
                            std::uint64_t end_ps) const {
    // Power signals are derived here, after all activity is known.
    sigs = signals_;
    evs = events_;
    std::set<int> groups;
    for (const auto& kv : window_energy_J_) groups.insert(kv.first);
    for (const auto& kv : leakage_W_) groups.insert(kv.first);
    last_t = end_ps;
    for (const auto& e : evs) last_t = std::max(last_t, e.t_ps);
    for (const auto& kv : window_energy_J_)
        if (!kv.second.empty()) last_t = std::max(last_t, (kv.second.rbegin()->first + 1) * window_ps_);
    if (groups.empty()) return;
    const std::uint64_t n_windows = (last_t + window_ps_ - 1) / window_ps_;
    const double window_s = static_cast<double>(window_ps_) * 1e-12;
    auto add_signal = [&](const std::string& leaf) {
        Signal s;
        s.path = power_scope_ + "." + leaf;
        s.scope = split_path(power_scope_);
        s.leaf = leaf;
        s.width = 0;
        s.id = id_code(sigs.size());
        sigs.push_back(s);
        return static_cast<int>(sigs.size() - 1);
    };
    // The chip total first (the signal a reader looks for), then one per group.
    const int total = add_signal(kTotalPowerLeaf);
    std::vector<double> total_W(n_windows + 1, 0.0);
    for (int g : groups) {
        const int id = add_signal(power_leaf(g));
        double leak = leakage_W_.count(g) ? leakage_W_.at(g) : 0.0;
        auto wit = window_energy_J_.find(g);
        for (std::uint64_t w = 0; w < n_windows; ++w) {
            double e = 0.0;
            if (wit != window_energy_J_.end()) {
                auto it = wit->second.find(w);
                if (it != wit->second.end()) e = it->second;
            }
            evs.push_back({w * window_ps_, id, leak + e / window_s});
            total_W[w] += leak + e / window_s;
        }
        // After the last window the group is idle (only leakage).
        evs.push_back({n_windows * window_ps_, id, leak});
        total_W[n_windows] += leak;
    }
    for (std::uint64_t w = 0; w <= n_windows; ++w) evs.push_back({w * window_ps_, total, total_W[w]});
    last_t = std::max(last_t, n_windows * window_ps_);
}

std::vector<VcdWriter::Written> VcdWriter::written_signals() const {
    std::vector<Signal> sigs;
    std::vector<Event> evs;
    std::uint64_t last_t = 0;
    materialize(sigs, evs, last_t, 0);
    std::vector<Written> out;
    for (const auto& s : sigs)
        if (!hidden(s.path)) out.push_back({s.path, s.width});
    return out;
}

void VcdWriter::write(std::ostream& os, std::uint64_t end_ps) const {
    std::vector<Signal> all;
    std::vector<Event> all_evs;
    std::uint64_t last_t = 0;
    materialize(all, all_evs, last_t, end_ps);
    // Hidden scopes: renumber the kept signals so identifier codes stay dense.
    std::vector<int> keep_id(all.size(), -1);
    std::vector<Signal> sigs;
    for (std::size_t k = 0; k < all.size(); ++k) {
        if (hidden(all[k].path)) continue;
        keep_id[k] = static_cast<int>(sigs.size());
        sigs.push_back(all[k]);
        sigs.back().id = id_code(sigs.size() - 1);
    }
    std::vector<Event> evs;
    evs.reserve(all_evs.size());
    for (const auto& e : all_evs)
        if (keep_id[static_cast<std::size_t>(e.signal)] >= 0)
            evs.push_back({e.t_ps, keep_id[static_cast<std::size_t>(e.signal)], e.v});

    std::stable_sort(evs.begin(), evs.end(), [](const Event& a, const Event& b) { return a.t_ps < b.t_ps; });

    for (const auto& c : comments_) os << "$comment\n  " << c << "\n$end\n";
    os << "$date\n  (deterministic trace)\n$end\n";
    os << "$version\n  sotsim " SOTSIM_VERSION "\n$end\n";
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

    // Initial values: zero (or unknown), overridden by what is recorded at t = 0.
    std::vector<double> current(sigs.size(), 0.0);
    for (std::size_t k = 0; k < sigs.size(); ++k)
        if (sigs[k].width > 1 &&
            std::find(unknown_leaves_.begin(), unknown_leaves_.end(), sigs[k].leaf) != unknown_leaves_.end())
            current[k] = std::numeric_limits<double>::quiet_NaN();
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
