#include "models/tile/GlobalBuffer.h"

#include <algorithm>

#include <cstring>
#include <stdexcept>

namespace sotsim {

using namespace sc_core;

GlobalBuffer::GlobalBuffer(sc_module_name name, const ChipConfig& cfg) : sc_module(name), port("port"), cfg_(cfg) {
    port.register_b_transport(this, &GlobalBuffer::b_transport);
    port.register_transport_dbg(this, &GlobalBuffer::transport_dbg);
}

void GlobalBuffer::clear() {
    store_.clear();
    regions_.clear();
    next_base_ = 0;
}

std::uint64_t GlobalBuffer::allocate(int id, int rows, int cols, int bits, int samples) {
    // The SRAM holds the tensors of one sample at a time: the simulator batches samples for
    // speed, the hardware streams them (as the tile buffers do).
    store_.allocate(id, rows, cols, bits, cfg_.global_buffer_bytes * std::max(1, samples), "global buffer");
    for (auto& r : regions_)
        if (r.id == id) throw std::runtime_error("global buffer: tensor " + std::to_string(id) + " allocated twice");
    const std::uint64_t bytes = 4ull * static_cast<std::uint64_t>(rows) * cols;
    regions_.push_back({id, next_base_, bytes});
    const std::uint64_t base = next_base_;
    next_base_ = (next_base_ + bytes + 0xFFF) & ~std::uint64_t{0xFFF};
    return base;
}

std::uint64_t GlobalBuffer::tensor_base(int id) const {
    for (const auto& r : regions_)
        if (r.id == id) return r.base;
    throw std::runtime_error("global buffer: tensor " + std::to_string(id) + " is not a global tensor");
}

const GlobalBuffer::Region* GlobalBuffer::region_at(std::uint64_t addr) const {
    for (const auto& r : regions_)
        if (addr >= r.base && addr < r.base + r.bytes) return &r;
    return nullptr;
}

std::uint64_t GlobalBuffer::move_slice(tlm::tlm_generic_payload& t, const TensorSliceExtension& s) {
    const Region* r = region_at(t.get_address());
    if (!r || r->id != s.tensor || r->base != t.get_address()) return tlmx::address_error(t), 0;
    auto& e = store_.at(s.tensor);
    const int rows = static_cast<int>(e.data.rows());
    if (s.col0 < 0 || s.cols < 1 || s.col0 + s.cols > e.data.cols()) return tlmx::address_error(t), 0;
    if (t.get_data_length() != 4ull * rows * s.cols) return tlmx::burst_error(t), 0;
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<RowMajorF> buf(reinterpret_cast<float*>(t.get_data_ptr()), rows, s.cols);
    if (t.is_read()) buf = e.data.middleCols(s.col0, s.cols);
    else e.data.middleCols(s.col0, s.cols) = buf;
    return (static_cast<std::uint64_t>(rows) * s.cols * e.bits + 7) / 8;
}

std::uint64_t GlobalBuffer::move(tlm::tlm_generic_payload& t, bool debug) {
    if (!t.is_read() && !t.is_write()) return tlmx::command_error(t), 0;
    if (!tlmx::plain_access(t, debug)) return 0;
    if (auto* s = t.get_extension<TensorSliceExtension>()) return move_slice(t, *s);
    const std::uint64_t a = t.get_address(), len = t.get_data_length();
    const Region* r = region_at(a);
    if (!r || a + len > r->base + r->bytes) return tlmx::address_error(t), 0;
    if ((a - r->base) % 4 != 0 || len % 4 != 0) return tlmx::burst_error(t), 0;
    auto& e = store_.at(r->id);
    const std::uint64_t cols = static_cast<std::uint64_t>(e.data.cols());
    const std::uint64_t k0 = (a - r->base) / 4;
    auto* p = reinterpret_cast<float*>(t.get_data_ptr());
    for (std::uint64_t k = 0; k < len / 4; ++k) {
        float& v = e.data(static_cast<Eigen::Index>((k0 + k) / cols), static_cast<Eigen::Index>((k0 + k) % cols));
        if (t.is_read()) std::memcpy(p + k, &v, 4);
        else std::memcpy(&v, p + k, 4);
    }
    return (len / 4 * static_cast<std::uint64_t>(e.bits) + 7) / 8;
}

void GlobalBuffer::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    const std::uint64_t bytes = move(t, false);
    if (bytes == 0) return;
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.gbuf_width_bytes);
    const sc_time arrival = sc_time_stamp() + delay;
    auto g = port_busy_.reserve(arrival, tlmx::cycles(static_cast<double>((bytes + w - 1) / w), cfg_.bus_clock));
    delay = g.end - sc_time_stamp();
    ActionCounter delta;
    delta.add(t.is_read() ? action::kGbufRead : action::kGbufWrite, static_cast<double>(bytes));
    actions_.merge(tlmx::layer_of(t), delta);
    trace_activity(sink_, -1, g.start, g.end, delta);
    tlmx::ok(t);
}

unsigned GlobalBuffer::transport_dbg(tlm::tlm_generic_payload& t) {
    if (move(t, true) == 0) return 0;
    tlmx::ok(t);
    return t.get_data_length();
}

std::vector<StatValue> GlobalBuffer::stats() const {
    return {{"busy_time_s", port_busy_.busy_time().to_seconds(), "s", "port busy time"},
            {"queue_wait_s", port_busy_.wait_time().to_seconds(), "s", "time requests waited for the port"},
            {"used_bytes", static_cast<double>(store_.used_bytes()), "B", "modelled bytes allocated"},
            {"capacity_bytes", cfg_.global_buffer_bytes, "B", "SRAM size"}};
}

}  // namespace sotsim
