// LocalBuffer: a tile's SRAM scratchpad (size, ports, bytes per port per cycle).
// Tightly coupled to its TileController (direct calls, no TLM socket): the controller
// asks for port time; a request of N modelled bytes holds the earliest-free port for
// ceil(N / width) tile-clock cycles (a reservation calendar per port). Counts buffer_read_byte /
// buffer_write_byte at the tensor's modelled precision.
#pragma once

#include <systemc>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"
#include "models/tile/TensorStore.h"

namespace sotsim {

class LocalBuffer : public sc_core::sc_module, public StatsSource {
public:
    LocalBuffer(sc_core::sc_module_name name, const TileConfig& cfg, int tile);

    TensorStore& store() { return store_; }
    void set_trace(TraceSink* sink) { sink_ = sink; }

    // Reserve a port for moving `bytes` starting no earlier than `arrival` (absolute time);
    // returns the completion time. `layer` attributes the traffic.
    sc_core::sc_time read(const sc_core::sc_time& arrival, std::uint64_t bytes, int layer);
    sc_core::sc_time write(const sc_core::sc_time& arrival, std::uint64_t bytes, int layer);
    sc_core::sc_time port_time(std::uint64_t bytes) const;

    std::string component_kind() const override { return "local_buffer"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    std::map<int, double> layer_busy_s() const override { return ports_.layer_busy_s(); }
    std::map<std::string, double> area_items() const override { return {{"sram_byte", cfg_.buffer_bytes}}; }
    int power_group() const override { return tile_; }
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    sc_core::sc_time access(const sc_core::sc_time& arrival, std::uint64_t bytes, int layer, ActionId action);

    const TileConfig cfg_;  // held by value
    int tile_;
    PortBank ports_;
    TensorStore store_;
    LayeredActions actions_;
    TraceSink* sink_ = nullptr;
};

}  // namespace sotsim
