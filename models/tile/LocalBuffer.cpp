#include "models/tile/LocalBuffer.h"

namespace sotsim {

using namespace sc_core;

LocalBuffer::LocalBuffer(sc_module_name name, const TileConfig& cfg, int tile)
    : sc_module(name), cfg_(cfg), tile_(tile), ports_(cfg.buffer_ports) {}

sc_time LocalBuffer::port_time(std::uint64_t bytes) const {
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.buffer_width_bytes);
    return tlmx::cycles(static_cast<double>((bytes + w - 1) / w), cfg_.clock);
}

sc_time LocalBuffer::access(const sc_time& arrival, std::uint64_t bytes, int layer, ActionId action) {
    if (bytes == 0) return arrival;
    auto g = ports_.reserve(arrival, port_time(bytes), layer);
    count_activity(actions_, layer, sink_, tile_, g.start, g.end, action, static_cast<double>(bytes));
    return g.end;
}

sc_time LocalBuffer::read(const sc_time& arrival, std::uint64_t bytes, int layer) {
    return access(arrival, bytes, layer, action::kBufRead);
}
sc_time LocalBuffer::write(const sc_time& arrival, std::uint64_t bytes, int layer) {
    return access(arrival, bytes, layer, action::kBufWrite);
}

std::vector<StatValue> LocalBuffer::stats() const {
    return {{"busy_time_s", ports_.busy_time().to_seconds(), "s", "port busy time summed over ports"},
            {"queue_wait_s", ports_.wait_time().to_seconds(), "s", "time requests waited for a port"},
            {"used_bytes", static_cast<double>(store_.used_bytes()), "B", "modelled bytes allocated"},
            {"capacity_bytes", cfg_.buffer_bytes, "B", "SRAM size"}};
}

}  // namespace sotsim
