#include "models/tile/GlobalBuffer.h"

#include "models/common/Transpose.h"

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
    // Stored as its window image: row-major, i.e. the column-major width x rows transpose
    // (a sample's row is contiguous, as the host writes it and a streamed Load reads it).
    store_.allocate(id, cols, rows, bits, cfg_.global_buffer_bytes * std::max(1, samples), "global buffer", true, -1,
                    /*transposed=*/true);
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
    auto img = e.data.transpose();   // the tensor, rows x width
    const int rows = s.rows > 0 ? s.rows : static_cast<int>(img.rows());
    if (s.col0 < 0 || s.cols < 1 || s.col0 + s.cols > img.cols()) return tlmx::address_error(t), 0;
    if (s.row0 < 0 || s.row0 + rows > img.rows()) return tlmx::address_error(t), 0;
    if (t.get_data_length() != 4ull * rows * s.cols) return tlmx::burst_error(t), 0;
    // The payload is the slice row-major (one row of the tensor after the other), or
    // column-major (column after column). The stored block is the slice's transpose
    // (cols x rows, column-major): a row-major payload is its image column by column, a
    // column-major one its transposition.
    float* buf = reinterpret_cast<float*>(t.get_data_ptr());
    auto block = e.data.block(s.col0, s.row0, s.cols, rows);
    if (s.column_major) {
        if (t.is_read()) to_row_major(block, buf, rows);
        else from_row_major(buf, rows, block);
    } else if (t.is_read()) {
        copy_columns(block.data(), block.outerStride(), buf, s.cols, s.cols, rows);
    } else {
        copy_columns(buf, s.cols, block.data(), block.outerStride(), s.cols, rows);
    }
    return (static_cast<std::uint64_t>(rows) * s.cols * e.bits + 7) / 8;
}

std::uint64_t GlobalBuffer::move(tlm::tlm_generic_payload& t, bool debug) {
    if (!t.is_read() && !t.is_write()) return tlmx::command_error(t), 0;
    if (auto* s = t.get_extension<TensorSliceExtension>()) {
        if (!tlmx::plain_access(t, debug)) return 0;
        return move_slice(t, *s);
    }
    // Plain memory access (host, debugger): any byte address and length inside one tensor's
    // float32 image, with byte enables (ignored by debug transport, as TLM-2.0 specifies).
    // The image is the stored tensor itself (row-major).
    const std::uint64_t a = t.get_address(), len = t.get_data_length();
    if (len == 0 || t.get_data_ptr() == nullptr) return tlmx::burst_error(t), 0;
    if (!debug && t.get_streaming_width() != len) return tlmx::burst_error(t), 0;
    const Region* r = region_at(a);
    if (!r || a + len > r->base + r->bytes) return tlmx::address_error(t), 0;
    const unsigned char* be = debug ? nullptr : t.get_byte_enable_ptr();
    const std::uint64_t be_len = be ? t.get_byte_enable_length() : 0;
    if (be && be_len == 0) return tlmx::byte_enable_error(t), 0;
    auto& e = store_.at(r->id);
    const std::uint64_t off0 = a - r->base, off1 = off0 + len;
    unsigned char* p = t.get_data_ptr();
    unsigned char* image = reinterpret_cast<unsigned char*>(e.data.data()) + off0;
    if (!be) {
        if (t.is_read()) std::memcpy(p, image, len);
        else std::memcpy(image, p, len);
    } else {
        for (std::uint64_t i = 0; i < len; ++i) {
            if (be[i % be_len] != TLM_BYTE_ENABLED) continue;  // disabled lane: untouched both ways
            if (t.is_read()) p[i] = image[i];
            else image[i] = p[i];
        }
    }
    // Traffic at the tensor's modelled precision, per touched value.
    const std::uint64_t words = (off1 + 3) / 4 - off0 / 4;
    return (words * static_cast<std::uint64_t>(e.bits) + 7) / 8;
}

void GlobalBuffer::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    const std::uint64_t bytes = move(t, false);
    if (bytes == 0) return;
    const std::uint64_t w = static_cast<std::uint64_t>(cfg_.gbuf_width_bytes);
    const sc_time arrival = sc_time_stamp() + delay;
    auto g = port_busy_.reserve(arrival, tlmx::cycles(static_cast<double>((bytes + w - 1) / w), cfg_.bus_clock),
                                tlmx::layer_of(t));
    delay = g.end - sc_time_stamp();
    count_activity(actions_, tlmx::layer_of(t), sink_, -1, g.start, g.end,
                   t.is_read() ? action::kGbufRead : action::kGbufWrite, static_cast<double>(bytes));
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
