#include "models/noc/Interconnect.h"

#include <stdexcept>

namespace sotsim {

using namespace sc_core;

Interconnect::Interconnect(sc_module_name name, const ChipConfig& cfg)
    : sc_module(name),
      from_initiators("from_initiators"),
      to_targets("to_targets"),
      cfg_(cfg),
      cycle_(tlmx::cycles(1, cfg.bus_clock)),
      hop_(tlmx::cycles(cfg.hop_cycles, cfg.bus_clock)) {
    from_initiators.register_b_transport(this, &Interconnect::b_transport);
    from_initiators.register_transport_dbg(this, &Interconnect::transport_dbg);
}

void Interconnect::map_target(int target, std::uint64_t base, std::uint64_t size, const std::string& label) {
    for (const auto& r : routes_)
        if (base < r.base + r.size && r.base < base + size)
            throw std::runtime_error("interconnect: address range of " + label + " overlaps " + r.label);
    routes_.push_back({target, base, size, label});
}

void Interconnect::set_trace(TraceSink* sink) { tr_occupancy_.declare(sink, std::string(name()) + ".occupancy", 1); }

const Interconnect::Route* Interconnect::decode(std::uint64_t addr, std::uint64_t len) const {
    for (const auto& r : routes_)
        if (addr >= r.base && addr - r.base < r.size) return addr - r.base + len <= r.size ? &r : nullptr;
    return nullptr;
}

sc_time Interconnect::occupancy(std::uint64_t bytes) const {
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.bus_width_bits);
    return cycle_ * static_cast<double>((bytes * 8 + w - 1) / w);
}

// Reserve the data path for the payload's modelled bytes; advance `delay` to the moment
// the data has crossed (path occupancy + router latency).
void Interconnect::cross(tlm::tlm_generic_payload& t, sc_time& delay) {
    const std::uint64_t bytes = tlmx::modelled_bytes(t);
    auto g = path_.reserve(sc_time_stamp() + delay, occupancy(bytes));
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
    if (t.is_write()) cross(t, delay);
    t.set_address(addr - r->base);
    to_targets[r->target]->b_transport(t, delay);
    t.set_address(addr);
    if (t.is_read() && t.is_response_ok()) cross(t, delay);
}

unsigned Interconnect::transport_dbg(int id, tlm::tlm_generic_payload& t) {
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

std::vector<StatValue> Interconnect::stats() const {
    return {{"busy_time_s", path_.busy_time().to_seconds(), "s", "time the data path carried data"},
            {"queue_wait_s", path_.wait_time().to_seconds(), "s", "time transfers waited for the data path"},
            {"transactions", static_cast<double>(transactions_), "1", "routed transactions"}};
}

std::map<std::string, double> Interconnect::area_items() const {
    return {{"router", static_cast<double>(router_ports_)}};
}

void Interconnect::end_of_elaboration() {
    router_ports_ = static_cast<int>(from_initiators.size() + to_targets.size());
}

}  // namespace sotsim
