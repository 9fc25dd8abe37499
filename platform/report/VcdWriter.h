// VCD trace writer: the TraceSink the models record into (models/common/Stats.h).
//
// Models record values with their decoupled *local* timestamps, so events arrive out of
// time order; the writer buffers them and sorts (stably: for one signal at one time the
// last recorded value wins) before writing. Output: timescale 1 ps, one $scope module per
// component of a dotted path, wires (width 1), integers (width > 1), reals (width 0), an
// initial $dumpvars and strictly increasing #timestamps, as GTKWave / vcd2fst expect.
//
// Power: activity() reports (power group, [t0, t1), action counts). The energy of those
// counts (through EnergyModel) is spread uniformly over [t0, t1) and split over the fixed
// windows of length sim.power_window it overlaps; each window's mean power becomes a
// `real` signal "<power_scope>.tile<g>_power_W" (g = -1: "chip_power_W"), plus any static
// power set with set_group_leakage_W.
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

    EnergyModel energy_;
    std::uint64_t window_ps_;
    std::string power_scope_;
    std::vector<Signal> signals_;
    std::map<std::string, int> by_path_;
    std::vector<Event> events_;
    // power group -> window index -> joules
    std::map<int, std::map<std::uint64_t, double>> window_energy_J_;
    std::map<int, double> leakage_W_;
};

}  // namespace sotsim::report
