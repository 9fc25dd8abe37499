// Interconnect: the chip router between tiles, the global buffer, program memory and the
// host port. Star topology: every initiator and target hangs off one router, so every
// transaction crosses exactly one hop.
//
// Timing (loosely timed, reservation calendar): a transaction of N modelled bytes occupies
// the shared data path for ceil(8N / bus_width_bits) bus cycles, starting at the first
// free gap at or after its arrival (models/common/BusyResource.h); the router adds hop_cycles of pipeline latency that does not
// occupy the path. Write data crosses before the target is called, read data after it
// answered. Counts bus_byte (modelled bytes) per transaction, attributed to its layer.
//
// Sockets: `from_initiators` (multi target: tiles, host port) and `to_targets` (multi
// initiator). Targets are bound in order and placed in the address map with map_target().
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/Trace.h"
#include "models/config/Config.h"

namespace sotsim {

class Interconnect : public sc_core::sc_module, public StatsSource {
public:
    tlm_utils::multi_passthrough_target_socket<Interconnect> from_initiators;
    tlm_utils::multi_passthrough_initiator_socket<Interconnect> to_targets;

    Interconnect(sc_core::sc_module_name name, const ChipConfig& cfg);

    // Route [base, base+size) to the `target`-th binding of to_targets; the target sees
    // addresses relative to `base`. Overlapping ranges are a configuration error (throws).
    void map_target(int target, std::uint64_t base, std::uint64_t size, const std::string& label);
    // Time the data path is held by a transfer of `bytes` modelled bytes.
    sc_core::sc_time occupancy(std::uint64_t bytes) const;
    sc_core::sc_time hop_latency() const { return hop_; }

    void set_trace(TraceSink* sink);

    std::string component_kind() const override { return "interconnect"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    // One router port per initiator and per target binding.
    std::map<std::string, double> area_items() const override;
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    struct Route {
        int target;
        std::uint64_t base, size;
        std::string label;
    };
    void end_of_elaboration() override;
    void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& t);
    const Route* decode(std::uint64_t addr, std::uint64_t len) const;
    void cross(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);

    const ChipConfig& cfg_;
    sc_core::sc_time cycle_, hop_;
    std::vector<Route> routes_;
    BusyResource path_;
    LayeredActions actions_;
    std::uint64_t transactions_ = 0;
    int router_ports_ = 0;
    TraceChannel tr_occupancy_;
};

}  // namespace sotsim
