#include "models/noc/Interconnect.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace sotsim {

using namespace sc_core;

namespace {
const char* kDirName[4] = {"E", "W", "N", "S"};
}

Interconnect::Interconnect(sc_module_name name, const ChipConfig& cfg)
    : sc_module(name),
      from_initiators("from_initiators"),
      to_targets("to_targets"),
      cfg_(cfg),
      cycle_(tlmx::cycles(1, cfg.bus_clock)),
      hop_(tlmx::cycles(cfg.hop_cycles, cfg.bus_clock)),
      link_hop_(tlmx::cycles(cfg.link_hop_cycles, cfg.bus_clock)) {
    from_initiators.register_b_transport(this, &Interconnect::b_transport);
    from_initiators.register_transport_dbg(this, &Interconnect::transport_dbg);
    from_initiators.register_get_direct_mem_ptr(this, &Interconnect::get_direct_mem_ptr);
    to_targets.register_invalidate_direct_mem_ptr(this, &Interconnect::invalidate_direct_mem_ptr);
    if (cfg.interconnect == Topology::Mesh2d) {
        const int n = std::max(1, cfg.tiles);
        cols_ = cfg.mesh_cols > 0 ? cfg.mesh_cols : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
        rows_ = (n + cols_ - 1) / cols_;
        links_.resize(static_cast<std::size_t>(cols_ * rows_ * 4));
        for (int node = 0; node < cols_ * rows_; ++node)
            for (int d = 0; d < 4; ++d)
                links_[static_cast<std::size_t>(link_index(node, d))].name =
                    "x" + std::to_string(node % cols_) + "y" + std::to_string(node / cols_) + "_" + kDirName[d];
    }
}

void Interconnect::map_target(int target, std::uint64_t base, std::uint64_t size, const std::string& label,
                              int at_node) {
    for (const auto& r : routes_)
        if (base < r.base + r.size && r.base < base + size)
            throw std::runtime_error("interconnect: address range of " + label + " overlaps " + r.label);
    routes_.push_back({target, base, size, label, at_node});
}

void Interconnect::place_initiator(int id, int node) {
    if (id < 0 || node < 0) throw std::runtime_error("interconnect: negative initiator or node");
    if (initiator_node_.size() <= static_cast<std::size_t>(id)) initiator_node_.resize(static_cast<std::size_t>(id) + 1, 0);
    initiator_node_[static_cast<std::size_t>(id)] = node;
}

int Interconnect::node_of_initiator(int id) const {
    return id >= 0 && static_cast<std::size_t>(id) < initiator_node_.size() ? initiator_node_[static_cast<std::size_t>(id)]
                                                                           : 0;
}

void Interconnect::set_trace(TraceSink* sink) {
    tr_occupancy_.declare(sink, std::string(name()) + ".occupancy", 1);
    // Mesh: one occupancy wire per link that exists (inside the grid).
    for (int node = 0; node < cols_ * rows_ && !links_.empty(); ++node) {
        const int x = node % cols_, y = node / cols_;
        const bool exists[4] = {x + 1 < cols_, x > 0, y > 0, y + 1 < rows_};
        for (int d = 0; d < 4; ++d) {
            if (!exists[d]) continue;
            Link& l = links_[static_cast<std::size_t>(link_index(node, d))];
            l.trace.declare(sink, std::string(name()) + ".link_" + l.name, 1);
        }
    }
}

const Interconnect::Route* Interconnect::decode(std::uint64_t addr, std::uint64_t len) const {
    for (const auto& r : routes_)
        if (addr >= r.base && addr - r.base < r.size) return addr - r.base + len <= r.size ? &r : nullptr;
    return nullptr;
}

sc_time Interconnect::occupancy(std::uint64_t bytes) const {
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.bus_width_bits);
    return cycle_ * static_cast<double>((bytes * 8 + w - 1) / w);
}

std::vector<int> Interconnect::route(int a, int b) const {
    std::vector<int> out;
    int x = a % cols_, y = a / cols_;
    const int bx = b % cols_, by = b / cols_;
    while (x != bx) {  // X first
        const int d = bx > x ? 0 : 1;
        out.push_back(link_index(y * cols_ + x, d));
        x += d == 0 ? 1 : -1;
    }
    while (y != by) {
        const int d = by > y ? 3 : 2;  // S = increasing row
        out.push_back(link_index(y * cols_ + x, d));
        y += d == 3 ? 1 : -1;
    }
    return out;
}

// Mesh: the data enters at router `from` and leaves at router `to`.
void Interconnect::cross_mesh(tlm::tlm_generic_payload& t, sc_time& delay, int from, int to) {
    const std::uint64_t bytes = tlmx::modelled_bytes(t);
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.link_width_bits);
    const sc_time occ = cycle_ * static_cast<double>((bytes * 8 + w - 1) / w);
    sc_time head = sc_time_stamp() + delay + link_hop_;  // through the source router
    sc_time tail = head + occ;                           // no link: straight to the local port
    const std::vector<int> path = route(from, to);
    for (int li : path) {
        Link& l = links_[static_cast<std::size_t>(li)];
        const auto g = l.busy.reserve(head, occ, tlmx::layer_of(t));
        l.trace.record(g.start, 1);
        l.trace.record(g.end, 0);
        head = g.start + link_hop_;
        tail = g.end + link_hop_;
    }
    delay = tail - sc_time_stamp();
    actions_.add(tlmx::layer_of(t), action::kMeshLinkByte, static_cast<double>(bytes * path.size()));
}

// Reserve the data path for the payload's modelled bytes from router `from` to router `to`
// (mesh) or on the shared path (bus); advance `delay` to the moment the data has crossed.
void Interconnect::cross(tlm::tlm_generic_payload& t, sc_time& delay, int from, int to) {
    if (!links_.empty()) return cross_mesh(t, delay, from, to);
    const std::uint64_t bytes = tlmx::modelled_bytes(t);
    auto g = path_.reserve(sc_time_stamp() + delay, occupancy(bytes), tlmx::layer_of(t));
    delay = g.end + hop_ - sc_time_stamp();
    actions_.add(tlmx::layer_of(t), action::kBusByte, static_cast<double>(bytes));
    tr_occupancy_.record(g.start, 1);
    tr_occupancy_.record(g.end, 0);
}

void Interconnect::b_transport(int id, tlm::tlm_generic_payload& t, sc_time& delay) {
    const std::uint64_t addr = t.get_address();
    const Route* r = decode(addr, t.get_data_length());
    if (!r) return tlmx::address_error(t);
    ++transactions_;
    const int src = node_of_initiator(id), dst = r->node >= 0 ? r->node : 0;
    if (t.is_write()) {
        // A multicast write (a tile's multicast Send): one transfer to every receiver.
        if (auto* mc = t.get_extension<tlmx::MulticastExtension>()) cross_multicast(t, delay, src, *mc);
        else cross(t, delay, src, dst);
    }
    t.set_address(addr - r->base);
    to_targets[r->target]->b_transport(t, delay);
    t.set_address(addr);
    if (!t.is_read() || !t.is_response_ok()) return;
    if (auto* mc = t.get_extension<tlmx::MulticastExtension>()) return cross_multicast(t, delay, dst, *mc);
    cross(t, delay, dst, src);
}

// A read answered once and delivered to several initiators. Bus: the shared path carries
// the data once (one occupancy, bus_byte per byte once) and every receiver takes it off the
// path. Mesh: the data follows the union of the XY routes from the target's router (a
// multicast tree, as a NoC with tree-based multicast forks it at the routers where the
// routes part); each link of the tree is reserved and counted once, a branch starts when
// the link before it passed the head on.
void Interconnect::cross_multicast(tlm::tlm_generic_payload& t, sc_time& delay, int from,
                                   tlmx::MulticastExtension& mc) {
    const std::uint64_t bytes = tlmx::modelled_bytes(t);
    const int layer = tlmx::layer_of(t);
    mc.arrival.assign(mc.initiators.size(), SC_ZERO_TIME);
    sc_time last = sc_time_stamp() + delay;
    if (links_.empty()) {
        const auto g = path_.reserve(sc_time_stamp() + delay, occupancy(bytes), layer);
        actions_.add(layer, action::kBusByte, static_cast<double>(bytes));
        tr_occupancy_.record(g.start, 1);
        tr_occupancy_.record(g.end, 0);
        for (auto& a : mc.arrival) a = g.end + hop_;
        delay = g.end + hop_ - sc_time_stamp();
        return;
    }
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.link_width_bits);
    const sc_time occ = cycle_ * static_cast<double>((bytes * 8 + w - 1) / w);
    std::map<int, std::pair<sc_time, sc_time>> tree;  // link -> (head, tail) after crossing it
    std::size_t links = 0;
    for (std::size_t i = 0; i < mc.initiators.size(); ++i) {
        sc_time head = sc_time_stamp() + delay + link_hop_;
        sc_time tail = head + occ;
        for (int li : route(from, node_of_initiator(mc.initiators[i]))) {
            auto it = tree.find(li);
            if (it == tree.end()) {
                Link& l = links_[static_cast<std::size_t>(li)];
                const auto g = l.busy.reserve(head, occ, layer);
                l.trace.record(g.start, 1);
                l.trace.record(g.end, 0);
                it = tree.emplace(li, std::make_pair(g.start + link_hop_, g.end + link_hop_)).first;
                ++links;
            }
            head = it->second.first;
            tail = it->second.second;
        }
        mc.arrival[i] = tail;
        last = std::max(last, tail);
    }
    delay = last - sc_time_stamp();
    actions_.add(layer, action::kMeshLinkByte, static_cast<double>(bytes * links));
}

unsigned Interconnect::transport_dbg(int id, tlm::tlm_generic_payload& t) {
    (void)id;
    const std::uint64_t addr = t.get_address();
    const Route* r = decode(addr, t.get_data_length());
    if (!r) {
        tlmx::address_error(t);
        return 0;
    }
    t.set_address(addr - r->base);
    const unsigned n = to_targets[r->target]->transport_dbg(t);
    t.set_address(addr);
    return n;
}

bool Interconnect::get_direct_mem_ptr(int id, tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) {
    (void)id;
    const std::uint64_t addr = t.get_address();
    const Route* r = decode(addr, 1);
    if (!r) {  // nothing mapped here: deny just this address
        d.set_start_address(addr);
        d.set_end_address(addr);
        d.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        return false;
    }
    t.set_address(addr - r->base);
    const bool granted = to_targets[r->target]->get_direct_mem_ptr(t, d);
    t.set_address(addr);
    d.set_start_address(r->base + std::min<std::uint64_t>(d.get_start_address(), r->size - 1));
    d.set_end_address(r->base + std::min<std::uint64_t>(d.get_end_address(), r->size - 1));
    if (!granted) d.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    if (granted) {
        d.set_read_latency(d.get_read_latency() + hop_);
        d.set_write_latency(d.get_write_latency() + hop_);
    }
    return granted;
}

void Interconnect::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const Route& r : routes_) {
        if (r.target != target || start >= r.size) continue;
        const sc_dt::uint64 s = r.base + start, e = r.base + std::min<sc_dt::uint64>(end, r.size - 1);
        for (unsigned i = 0; i < from_initiators.size(); ++i) from_initiators[i]->invalidate_direct_mem_ptr(s, e);
    }
}

std::vector<StatValue> Interconnect::stats() const {
    if (links_.empty())
        return {{"busy_time_s", path_.busy_time().to_seconds(), "s", "time the data path carried data"},
                {"queue_wait_s", path_.wait_time().to_seconds(), "s", "time transfers waited for the data path"},
                {"transactions", static_cast<double>(transactions_), "1", "routed transactions"}};
    // Mesh: the busiest link is the one that limits throughput.
    sc_time busiest = SC_ZERO_TIME, wait = SC_ZERO_TIME, total = SC_ZERO_TIME;
    for (const auto& l : links_) {
        if (l.busy.busy_time() > busiest) busiest = l.busy.busy_time();
        wait += l.busy.wait_time();
        total += l.busy.busy_time();
    }
    return {{"busy_time_s", busiest.to_seconds(), "s", "busy time of the busiest mesh link"},
            {"link_busy_total_s", total.to_seconds(), "s", "busy time summed over all mesh links"},
            {"queue_wait_s", wait.to_seconds(), "s", "time transfers waited for mesh links"},
            {"transactions", static_cast<double>(transactions_), "1", "routed transactions"}};
}

std::map<int, double> Interconnect::layer_busy_s() const {
    if (links_.empty()) return path_.layer_busy_s();
    std::map<int, double> busiest;  // per layer, the link it occupied longest
    for (const auto& l : links_)
        for (const auto& [layer, s] : l.busy.layer_busy_s()) busiest[layer] = std::max(busiest[layer], s);
    return busiest;
}

std::map<std::string, double> Interconnect::area_items() const {
    return {{"router", static_cast<double>(router_ports_)}};
}

void Interconnect::end_of_elaboration() {
    int shared = 0;
    for (const auto& r : routes_) shared += r.node >= 0 ? 1 : 0;
    router_ports_ = static_cast<int>(from_initiators.size() + to_targets.size()) - shared;
    if (!links_.empty()) {
        // A mesh router also has one port per link to a neighbour.
        for (int node = 0; node < cols_ * rows_; ++node) {
            const int x = node % cols_, y = node / cols_;
            router_ports_ += (x + 1 < cols_) + (x > 0) + (y > 0) + (y + 1 < rows_);
        }
    }
}

}  // namespace sotsim
