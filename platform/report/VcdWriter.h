// VCD trace writer: the TraceSink the models record into (models/common/Stats.h).
//
// Models record values with their decoupled *local* timestamps, so events arrive out of
// time order; the writer buffers them and sorts (stably: for one signal at one time the
// last recorded value wins) before writing. Output: timescale 1 ps, one $scope module per
// component of a dotted path, wires (width 1), integers (width > 1), reals (width 0), an
// initial $dumpvars and strictly increasing #timestamps, as GTKWave / vcd2fst expect.
// Signals start at 0, or unknown (x) for the integer leaves named with start_unknown()
// (the layer id: "no layer yet" is not layer 0). A NaN value of a wire/integer writes x.
// Header: $comment lines (version, seed, config, model: add_comment) before $date.
// hide_scope() leaves a module's signals out of the file (unmapped macros by default).
//
// Power: activity() reports (power group, [t0, t1), action counts). The energy of those
// counts (through EnergyModel) is spread uniformly over [t0, t1) and split over the fixed
// windows of length sim.power_window it overlaps; each window's mean power becomes a
// `real` signal "<power_scope>.tile<g>_W" (g = -1, components outside tiles: "shared_W"),
// plus the static power set with set_group_leakage_W, and "<power_scope>.total_W" is
// their sum: the chip's power.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "models/common/Stats.h"
#include "platform/report/EnergyModel.h"

namespace sotsim::report {

class VcdWriter : public TraceSink {
public:
    // `power_window_s` > 0 (sim.power_window). Power signals live under `power_scope`.
    VcdWriter(const TechConfig& tech, double power_window_s, std::string power_scope = "power");

    // Declaring the same path twice returns the same id (the width must match, else
    // std::invalid_argument). width: 1 wire, 2..64 integer, 0 real.
    int declare(const std::string& path, int width) override;
    // Unknown signal ids throw std::out_of_range.
    void value(int signal, std::uint64_t t_ps, double v) override;
    void activity(int power_group, std::uint64_t t0_ps, std::uint64_t t1_ps, const ActionCounter& delta) override;

    // Static power of a group (leakage of its components), added to every window up to the
    // end of the trace. Optional.
    void set_group_leakage_W(int power_group, double watts);

    // One "$comment ... $end" block per call, in order, at the top of the file.
    void add_comment(const std::string& text);
    // Integer signals named `leaf` (e.g. "layer") start unknown (x) until their first
    // recorded value, so "no layer yet" is not shown as layer 0; others start at 0.
    void start_unknown(const std::string& leaf) { unknown_leaves_.push_back(leaf); }
    // Signals whose dotted path starts with "<scope>." are not written (still accepted).
    void hide_scope(const std::string& scope);

    // A signal as it appears in the written file (power signals included), for views.
    struct Written {
        std::string path;   // dotted, e.g. "chip.tile0.macro3.busy", "power.total_W"
        int width;          // 1 wire, 2..64 integer, 0 real
    };
    // Every signal write() emits, in file order.
    std::vector<Written> written_signals() const;
    const std::string& power_scope() const { return power_scope_; }
    static std::string power_leaf(int power_group);   // "tile3_W", "shared_W"
    static constexpr const char* kTotalPowerLeaf = "total_W";

    std::size_t signal_count() const { return signals_.size(); }
    std::size_t event_count() const { return events_.size(); }

    // Writes the whole trace. `end_ps` (if later than every event) closes the trace with a
    // final timestamp, so the last values are visible for a duration.
    void write(std::ostream& os, std::uint64_t end_ps = 0) const;
    // Atomic file write (temp + rename); throws std::runtime_error naming the path.
    void write_file(const std::string& path, std::uint64_t end_ps = 0) const;

private:
    struct Signal {
        std::string path;
        std::vector<std::string> scope;   // dotted path minus the leaf
        std::string leaf;
        int width = 1;
        std::string id;                   // VCD identifier code
    };
    struct Event {
        std::uint64_t t_ps;
        int signal;
        double v;
    };

    std::string format_value(const Signal& s, double v) const;
    bool hidden(const std::string& path) const;
    // Declared plus power signals (not yet filtered by hide_scope), and all their events.
    void materialize(std::vector<Signal>& sigs, std::vector<Event>& evs, std::uint64_t& last_t,
                     std::uint64_t end_ps) const;

    EnergyModel energy_;
    std::uint64_t window_ps_;
    std::string power_scope_;
    std::vector<Signal> signals_;
    std::map<std::string, int> by_path_;
    std::vector<Event> events_;
    // power group -> window index -> joules
    std::map<int, std::map<std::uint64_t, double>> window_energy_J_;
    std::map<int, double> leakage_W_;
    std::vector<std::string> comments_;
    std::vector<std::string> hidden_scopes_;
    std::vector<std::string> unknown_leaves_;
};

}  // namespace sotsim::report
