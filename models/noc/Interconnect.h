// Interconnect: the network between tiles, the global buffer, program memory and the host
// port, in one of two topologies (chip.interconnect):
//
//  * shared_bus: every initiator and target hangs off one router, so every transaction
//    crosses exactly one hop. A transaction of N modelled bytes occupies the shared data
//    path for ceil(8N / bus_width_bits) bus cycles, starting at the first free gap at or
//    after its arrival (reservation calendar, models/common/BusyResource.h); the router adds
//    hop_cycles of latency that does not occupy the path. Counts bus_byte per transaction.
//  * mesh_2d: one router per tile on a grid of mesh_cols columns (tile i at column
//    i % mesh_cols, row i / mesh_cols); the global buffer, program memory and the host port
//    sit at router 0. Data goes X first, then Y (deadlock-free dimension order). Every
//    directed link has its own calendar and carries ceil(8N / link_width_bits) bus cycles
//    per transfer; each router on the way adds link_hop_cycles (cut-through: the head moves
//    on after one router latency, so a transfer over n links arrives (n + 1) router
//    latencies + one link occupancy after it entered, without contention). Counts
//    mesh_link_byte per byte and link crossed.
//
// Write data crosses before the target is called, read data after it answered; actions
// are attributed to the transaction's layer. A read carrying a tlmx::MulticastExtension is
// delivered to every initiator it lists in one transfer (bus: one occupancy; mesh: the
// union of the XY routes, each link once) with each one's arrival time.
//
// Sockets: `from_initiators` (multi target: tiles, host port) and `to_targets` (multi
// initiator). Targets are bound in order and placed in the address map with map_target().
// DMI requests go to the target that holds the address (the granted range is translated
// back to interconnect addresses and clipped to the target's window; one hop latency is
// added); a target's invalidation is translated and passed to every initiator.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

#include "models/common/BusyResource.h"
#include "models/common/Stats.h"
#include "models/common/TlmUtil.h"
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
    // `at_node` >= 0: the target sits behind the router port of the initiator placed at that
    // mesh node (a tile's inbox), so it adds no router port; -1: its own port at router 0.
    void map_target(int target, std::uint64_t base, std::uint64_t size, const std::string& label,
                    int at_node = -1);
    // Mesh node of initiator `id` (binding order); unplaced initiators sit at node 0.
    void place_initiator(int id, int node);
    // Time the data path is held by a transfer of `bytes` modelled bytes.
    sc_core::sc_time occupancy(std::uint64_t bytes) const;
    sc_core::sc_time hop_latency() const { return hop_; }

    void set_trace(TraceSink* sink);

    std::string component_kind() const override { return "interconnect"; }
    const ActionCounter& actions() const override { return actions_.total(); }
    std::vector<StatValue> stats() const override;
    // Bus: the shared path; mesh: per layer, the link that layer occupied longest.
    std::map<int, double> layer_busy_s() const override;
    // One router port per initiator and per target binding.
    std::map<std::string, double> area_items() const override;
    const std::map<int, ActionCounter>* layer_actions() const override { return &actions_.by_layer(); }

private:
    struct Route {
        int target;
        std::uint64_t base, size;
        std::string label;
        int node;
    };
    struct Link {
        BusyResource busy;
        TraceChannel trace;
        std::string name;      // "x0y1_E"
    };
    int node_of_initiator(int id) const;
    // Links of the XY route from node a to node b, in order.
    std::vector<int> route(int a, int b) const;
    void cross_mesh(tlm::tlm_generic_payload& t, sc_core::sc_time& delay, int from, int to);
    void cross_multicast(tlm::tlm_generic_payload& t, sc_core::sc_time& delay, int from, tlmx::MulticastExtension& mc);
    int link_index(int node, int dir) const { return node * 4 + dir; }  // dir: 0 E, 1 W, 2 N, 3 S
    void end_of_elaboration() override;
    void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& t);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& t, tlm::tlm_dmi& d);
    void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);
    const Route* decode(std::uint64_t addr, std::uint64_t len) const;
    void cross(tlm::tlm_generic_payload& t, sc_core::sc_time& delay, int from, int to);

    const ChipConfig cfg_;  // held by value
    sc_core::sc_time cycle_, hop_;
    std::vector<Route> routes_;
    BusyResource path_;
    LayeredActions actions_;
    std::uint64_t transactions_ = 0;
    int router_ports_ = 0;
    TraceChannel tr_occupancy_;
    // mesh_2d
    int cols_ = 1, rows_ = 1;
    sc_core::sc_time link_hop_;
    std::vector<Link> links_;              // 4 per node (unused at the grid edges)
    std::vector<int> initiator_node_;
};

}  // namespace sotsim
