// Stats and observers. Models implement StatsSource; the report layer walks the SystemC
// module tree (sc_object hierarchy) and dynamic_casts each object to StatsSource.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/common/Actions.h"

namespace sotsim {

struct StatValue {
    std::string name;
    double value = 0.0;
    std::string unit;          // "s", "J", "1", "B", ...
    std::string description;
};

class StatsSource {
public:
    virtual ~StatsSource() = default;
    virtual std::string component_kind() const = 0;   // "macro", "tile", "interconnect", "global_buffer", ...
    virtual const ActionCounter& actions() const = 0;
    virtual std::vector<StatValue> stats() const = 0;  // busy_time_s, transactions, ...
    // Component instances for area and leakage: tech.area / tech.leakage key -> count
    // (e.g. {"mtj_cell": 65536, "adc": 32, "row_driver": 256}).
    virtual std::map<std::string, double> area_items() const = 0;
    virtual int power_group() const { return -1; }     // tile index for per-tile power, -1 = chip
    // Actions attributed to network layers (layer index -> counts); the tile controller tags
    // each transaction with its current layer. nullptr when the component does not track it.
    virtual const std::map<int, ActionCounter>* layer_actions() const { return nullptr; }
    // Per-layer [start, end) simulated time seen by this component, seconds (tile controllers).
    virtual const std::map<int, std::pair<double, double>>* layer_spans() const { return nullptr; }
    // Per layer: (sum over samples of the time one sample spent in the layer on this
    // component, number of samples), seconds (tile controllers; in a layer-by-layer program
    // all samples of a run pass together and count as one).
    virtual const std::map<int, std::pair<double, double>>* layer_sample_times() const { return nullptr; }
    // Per layer: the time this component's resource was occupied by the layer's work,
    // seconds (a bank of n ports: summed over ports / n; a mesh: its busiest link; key -1:
    // work outside any layer). Empty when the component has no timed resource. The report
    // names each layer's busiest resource from it (an observer: nothing here changes timing).
    virtual std::map<int, double> layer_busy_s() const { return {}; }
};

// Area / leakage component keys (tech.area in m^2 per instance, tech.leakage in W per
// instance): mtj_cell (per cell), row_driver (per row), write_driver (per column), adc,
// sense_amp, tdc, neuron (per instance), macro_control (per macro), sram_byte (per byte of
// local and global buffer), digital_unit (per tile), tile_control (per tile), router (per
// router port), host_interface (per chip).

// Observer for time-resolved traces (VCD). Models declare signals at elaboration and
// record values with their *decoupled local* timestamps; the writer sorts before output.
class TraceSink {
public:
    virtual ~TraceSink() = default;
    // width 1 = wire, >1 = integer of that many bits, 0 = real. Path like "chip.tile0.macro3.busy".
    virtual int declare(const std::string& path, int width) = 0;
    virtual void value(int signal, std::uint64_t t_ps, double v) = 0;
    // Activity of a power group spread uniformly over [t0_ps, t1_ps); the writer turns it into
    // joules through the energy model and averages power over sim.power_window.
    virtual void activity(int power_group, std::uint64_t t0_ps, std::uint64_t t1_ps,
                          const ActionCounter& delta) = 0;
};

}  // namespace sotsim
