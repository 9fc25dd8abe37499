#include "platform/config/Validator.h"

#include "models/physics/TimeToDigital.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>

#include "models/common/Actions.h"
#include "models/physics/TimeToDigital.h"
#include "platform/config/ConfigLoader.h"
#include "platform/config/Schema.h"
#include "platform/config/Units.h"

namespace sotsim::config {
namespace {

// Upper bound on simulated cells (tiles x macros x rows x cols): each programmed cell keeps
// at least one double conductance, so 2^28 cells is already ~2 GB per copy.
constexpr double kMaxTotalCells = 268435456.0;
constexpr int kMaxMacros = 4096;

std::string quote(const std::string& s) { return "'" + s + "'"; }

class Validator {
public:
    explicit Validator(std::string source) : source_(std::move(source)) {}

    Config run(const TreeNode& root) {
        walk(root, "");
        derive_and_check();
        cfg_.source = source_;
        return cfg_;
    }

private:
    Config cfg_;
    std::string source_;
    std::map<std::string, SourceMark> marks_;   // key path -> mark of the value that set it

    [[noreturn]] void fail(const SourceMark& m, const std::string& msg) const {
        throw ConfigError(m.file.empty() ? source_ : m.file, m.line, m.col, msg);
    }

    // Mark of the first of `keys` that some file supplied, else the top-level file.
    SourceMark mark_for(std::initializer_list<const char*> keys) const {
        for (const char* k : keys) {
            auto it = marks_.find(k);
            if (it != marks_.end()) return it->second;
        }
        return SourceMark{source_, 0, 0};
    }

    void walk(const TreeNode& node, const std::string& prefix) {
        for (const auto& e : node.entries) {
            std::string path = prefix.empty() ? e.key : prefix + "." + e.key;
            if (prefix.empty() && e.key == "include") continue;
            if (const KeyInfo* k = find_key(path)) {
                assign(*k, e);
            } else if (is_section(path)) {
                if (e.value.kind == TreeNode::Kind::Map) {
                    walk(e.value, path);
                } else if (e.value.kind != TreeNode::Kind::Null) {
                    fail(e.value.mark, quote(path) + " is a section: expected a map of keys");
                }
            } else {
                std::string msg = "unknown key " + quote(path);
                std::string s = suggest(path);
                if (!s.empty()) msg += ", did you mean " + quote(s) + "?";
                fail(e.key_mark, msg);
            }
        }
    }

    double quantity(const KeyInfo& k, const std::string& path, const TreeNode& v) {
        if (v.kind != TreeNode::Kind::Scalar)
            fail(v.mark,
                 quote(path) + " expects a single value" + (k.unit != "1" ? " in " + k.unit : ""));
        double x = 0.0;
        try {
            x = parse_quantity_si(v.scalar, k.unit);
        } catch (const std::invalid_argument& ex) {
            fail(v.mark, path + ": " + ex.what());
        }
        if (!k.range.contains(x)) fail(v.mark, out_of_range(path, x, k));
        return x;
    }

    static std::string out_of_range(const std::string& path, double x, const KeyInfo& k) {
        std::string u = (k.unit == "1") ? "" : " " + k.unit;
        return path + " = " + format_real(x) + u + " is out of range (must be " + k.range.describe() + ")";
    }

    void assign(const KeyInfo& k, const TreeEntry& e) {
        const std::string& path = k.path;
        const TreeNode& v = e.value;
        marks_[path] = v.kind == TreeNode::Kind::Null ? e.key_mark : v.mark;
        if (v.kind == TreeNode::Kind::Null) fail(e.key_mark, "missing value for " + quote(path));
        if (k.kind == KeyKind::QuantityMap) return assign_map(k, e);
        if (k.kind == KeyKind::RealList) {
            if (v.kind != TreeNode::Kind::Seq)
                fail(v.mark, quote(path) + " expects a list, e.g. [10 kOhm, 20 kOhm]");
            std::vector<double>& out = k.list(cfg_);
            out.clear();
            for (const auto& item : v.items) out.push_back(quantity(k, path, item));
            return;
        }
        if (v.kind != TreeNode::Kind::Scalar)
            fail(v.mark, quote(path) + " expects a single value, got a " +
                             (v.kind == TreeNode::Kind::Map ? "map" : "list"));
        const std::string& t = v.scalar;
        switch (k.kind) {
            case KeyKind::Real: k.real(cfg_) = quantity(k, path, v); break;
            case KeyKind::Int: {
                double x = 0.0;
                if (!parse_plain_number(t, x) || x != std::floor(x) || std::fabs(x) > 2147483647.0)
                    fail(v.mark, quote(path) + " expects an integer, got " + quote(t));
                if (!k.range.contains(x)) fail(v.mark, out_of_range(path, x, k));
                k.integer(cfg_) = static_cast<int>(x);
                break;
            }
            case KeyKind::UInt64: {
                bool digits = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
                    return c >= '0' && c <= '9';
                });
                std::uint64_t x = 0;
                bool overflow = false;
                // Digits only: a non-digit would otherwise enter the overflow test as a
                // negative digit value (found by the ubsan preset's integer checks).
                if (digits) for (char c : t) {
                    const auto d = static_cast<std::uint64_t>(c - '0');
                    if (x > (std::numeric_limits<std::uint64_t>::max() - d) / 10) { overflow = true; break; }
                    x = x * 10 + d;
                }
                if (!digits || overflow)
                    fail(v.mark, quote(path) + " expects a non-negative 64-bit integer, got " + quote(t));
                k.u64(cfg_) = x;
                break;
            }
            case KeyKind::Bool: {
                std::string l = t;
                std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
                if (l == "true" || l == "yes" || l == "on") k.boolean(cfg_) = true;
                else if (l == "false" || l == "no" || l == "off") k.boolean(cfg_) = false;
                else fail(v.mark, quote(path) + " expects true or false, got " + quote(t));
                break;
            }
            case KeyKind::Choice: {
                if (std::find(k.choices.begin(), k.choices.end(), t) == k.choices.end()) {
                    std::string list, best;
                    std::size_t best_d = std::string::npos;
                    for (const auto& c : k.choices) {
                        list += (list.empty() ? "" : ", ") + c;
                        std::size_t d = edit_distance(t, c);
                        if (d < best_d) { best_d = d; best = c; }
                    }
                    std::string msg = "invalid value " + quote(t) + " for " + quote(path) +
                                      " (expected one of " + list + ")";
                    if (best_d <= 2) msg += ", did you mean " + quote(best) + "?";
                    fail(v.mark, msg);
                }
                k.choice_set(cfg_, t);
                break;
            }
            case KeyKind::String: k.str(cfg_) = t; break;
            default: break;
        }
    }

    void assign_map(const KeyInfo& k, const TreeEntry& e) {
        const TreeNode& v = e.value;
        if (v.kind != TreeNode::Kind::Map)
            fail(v.mark, quote(k.path) + " expects a map of name: value");
        const bool energy = k.path == "tech.energy";
        const auto& known = energy ? known_actions() : known_components();
        std::map<std::string, double>& out = k.map(cfg_);
        for (const auto& item : v.entries) {
            std::string path = k.path + "." + item.key;
            // New names are allowed (models may add actions/components); a near miss of a
            // known name is a typo that would otherwise surface only as a missing entry.
            if (std::find(known.begin(), known.end(), item.key) == known.end()) {
                for (const auto& n : known) {
                    if (edit_distance(item.key, n) <= 2) {
                        fail(item.key_mark, std::string("unknown ") + (energy ? "action " : "component ") +
                                                quote(item.key) + " in " + k.path +
                                                ", did you mean " + quote(n) + "?");
                    }
                }
            }
            marks_[path] = item.value.mark;
            if (item.value.kind == TreeNode::Kind::Null) fail(item.key_mark, "missing value for " + quote(path));
            out[item.key] = quantity(k, path, item.value);
        }
    }

    void derive_and_check() {
        DeviceConfig& d = cfg_.device;
        ArrayConfig& a = cfg_.array;
        PeripheryConfig& p = cfg_.periphery;

        // r_p from resistance-area product and pillar diameter.
        if ((d.ra > 0.0) != (d.diameter > 0.0))
            fail(mark_for({"device.ra", "device.diameter"}),
                 "device.ra and device.diameter must be given together (r_p = ra / (pi d^2 / 4))");
        if (d.ra > 0.0) {
            double from_ra = d.ra / (M_PI * d.diameter * d.diameter / 4.0);
            // An explicit r_p that disagrees would otherwise be silently ignored (e.g. a sweep).
            if (marks_.count("device.r_p") && std::fabs(d.r_p - from_ra) > 1e-9 * from_ra)
                fail(mark_for({"device.r_p"}),
                     "device.r_p = " + format_real(d.r_p) + " Ohm conflicts with device.ra / device.diameter (" +
                         format_real(from_ra) + " Ohm): give one or the other");
            d.r_p = from_ra;
        }

        if (d.stuck_p_rate + d.stuck_ap_rate > 1.0)
            fail(mark_for({"device.stuck_ap_rate", "device.stuck_p_rate"}),
                 "device.stuck_p_rate + device.stuck_ap_rate exceeds 1");

        for (std::size_t i = 1; i < d.level_resistances.size(); ++i)
            if (!(d.level_resistances[i] > d.level_resistances[i - 1]))
                fail(mark_for({"device.level_resistances"}),
                     "device.level_resistances must be strictly ascending (entry " + std::to_string(i) +
                         ": " + format_real(d.level_resistances[i]) + " Ohm after " +
                         format_real(d.level_resistances[i - 1]) + " Ohm)");
        if (d.level_resistances.size() == 1)
            fail(mark_for({"device.level_resistances"}), "device.level_resistances needs at least 2 levels");

        if (a.multibit == MultiBitMode::MultiLevel && d.stack < 2 && d.level_resistances.size() < 3)
            fail(mark_for({"array.multibit", "device.stack"}),
                 "array.multibit = multi_level needs more than 2 levels per cell: set device.stack >= 2 "
                 "or give device.level_resistances with at least 3 entries");

        if (a.summation == Summation::Resistance && p.readout != ReadoutKind::Tdc)
            fail(mark_for({"array.summation", "periphery.readout"}),
                 "array.summation = resistance is read in the time domain: it needs periphery.readout = tdc");
        if (p.readout == ReadoutKind::Tdc && a.summation != Summation::Resistance)
            fail(mark_for({"periphery.readout", "array.summation"}),
                 "periphery.readout = tdc reads a resistance-summation column: it needs array.summation = resistance");

        if (a.cell == CellKind::Xnor2T2Mtj) {
            if (a.summation != Summation::Resistance)
                fail(mark_for({"array.cell", "array.summation"}),
                     "array.cell = xnor_2t2mtj is a resistance-summation bit cell: it needs array.summation = resistance");
            if (a.multibit != MultiBitMode::BitSlice || d.stack != 1 || !d.level_resistances.empty())
                fail(mark_for({"array.cell", "device.stack", "array.multibit"}),
                     "array.cell = xnor_2t2mtj holds one bit in a weight/complement MTJ pair: it needs device.stack = 1 "
                     "(no explicit levels) and array.multibit = bit_slice");
        }
        if (a.summation == Summation::Resistance && p.readout == ReadoutKind::Tdc) {
            // The counter window and the read frame (one macro clock) it must fit in.
            const phys::DelayRange nom = phys::TimeToDigital::nominal_delays(cfg_);
            const double t0 = p.tdc.t_start > 0.0 ? p.tdc.t_start : nom.t_min;
            const double t1 = p.tdc.t_full > 0.0 ? p.tdc.t_full : nom.t_max;
            if (!(t1 > t0))
                fail(mark_for({"periphery.tdc.t_full", "periphery.tdc.t_start"}),
                     "periphery.tdc window is empty: t_full = " + format_real(t1) + " s must exceed t_start = " +
                         format_real(t0) + " s");
            if (t1 < nom.t_min || t0 > nom.t_max)
                fail(mark_for({"periphery.tdc.t_start", "periphery.tdc.t_full", "array.c_cell"}),
                     "periphery.tdc window [" + format_real(t0) + ", " + format_real(t1) +
                         "] s misses the column's nominal delay range [" + format_real(nom.t_min) + ", " +
                         format_real(nom.t_max) + "] s (array.rows x R x array.rows x array.c_cell): every read would clip");
            const double frame = 1.0 / cfg_.macro.clock;
            if (t1 > frame * (1.0 + 1e-9))
                fail(mark_for({"periphery.tdc.t_full", "macro.clock", "array.c_cell"}),
                     "periphery.tdc full-scale delay " + format_real(t1) + " s does not fit the read frame 1 / macro.clock = " +
                         format_real(frame) + " s");
        }

        if (a.weight_encoding == WeightEncoding::Differential && a.cols % 2 != 0)
            fail(mark_for({"array.cols", "array.weight_encoding"}),
                 "array.weight_encoding = differential pairs columns: array.cols = " + std::to_string(a.cols) +
                     " must be even");
        if (a.weight_encoding == WeightEncoding::Reference && a.cols < 2)
            fail(mark_for({"array.cols", "array.weight_encoding"}),
                 "array.weight_encoding = reference needs at least 2 columns (one is the reference)");

        if (p.adc.cols_per_adc > a.cols)
            fail(mark_for({"periphery.adc.cols_per_adc", "array.cols"}),
                 "periphery.adc.cols_per_adc = " + std::to_string(p.adc.cols_per_adc) +
                     " exceeds array.cols = " + std::to_string(a.cols));

        if ((p.input.encoding == InputEncoding::Binary || p.input.encoding == InputEncoding::Signed) &&
            p.input.bits != 1)
            fail(mark_for({"periphery.input.bits", "periphery.input.encoding"}),
                 "periphery.input.encoding = binary/signed carries 1 bit per input: periphery.input.bits must be 1 "
                 "(use bit_serial or pwm for multi-bit inputs)");

        if (p.input.encoding == InputEncoding::Pwm && p.input.bits > 12)
            fail(mark_for({"periphery.input.bits"}),
                 "periphery.input.encoding = pwm with more than 12 bits needs > 4096 time slots per input");

        long long macros = static_cast<long long>(cfg_.chip.tiles) * cfg_.tile.macros;
        if (macros > kMaxMacros)
            fail(mark_for({"tile.macros", "chip.tiles"}),
                 "chip.tiles x tile.macros = " + std::to_string(macros) + " macros exceeds the limit of " +
                     std::to_string(kMaxMacros));
        double cells = static_cast<double>(macros) * a.rows * a.cols;
        if (cells > kMaxTotalCells)
            fail(mark_for({"array.rows", "array.cols", "tile.macros", "chip.tiles"}),
                 "chip.tiles x tile.macros x array.rows x array.cols = " + format_real(cells) +
                     " cells exceeds the " + format_real(kMaxTotalCells) +
                     " a simulation can hold in memory");
    }
};

}  // namespace

Config validate_tree(const TreeNode& root, const std::string& source) {
    return Validator(source).run(root);
}

}  // namespace sotsim::config
