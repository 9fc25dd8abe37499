// TLM-2.0 payload conventions shared by every sotsim target and initiator.
//
//  * Every b_transport / transport_dbg ends with an explicit response status; errors are
//    reported through the payload, never through asserts.
//  * `delay` follows the loosely-timed convention: it is relative to sc_time_stamp() and
//    targets only add to it (they never call wait()), so initiators can keep one local
//    time per outstanding request (dispatch to several targets, then join).
//  * Functional data may be stored as float32 while the hardware moves fewer bits
//    (1-bit activations, 4-bit weights): a TrafficExtension carries the *modelled* byte
//    count, which buses and buffers use for timing and energy. Without it, data_length is
//    the modelled size.
//  * A LayerExtension carries the network layer on whose behalf a transaction runs, so
//    targets can attribute their actions to layers (StatsSource::layer_actions()).
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <vector>

namespace sotsim::tlmx {

// ---- response helpers ---------------------------------------------------------------
inline void ok(tlm::tlm_generic_payload& t) { t.set_response_status(tlm::TLM_OK_RESPONSE); }
inline void address_error(tlm::tlm_generic_payload& t) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}
inline void command_error(tlm::tlm_generic_payload& t) {
    t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
}
inline void burst_error(tlm::tlm_generic_payload& t) {
    t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
}
inline void byte_enable_error(tlm::tlm_generic_payload& t) {
    t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
}
inline void generic_error(tlm::tlm_generic_payload& t) {
    t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
}

// Common preconditions of our targets: no byte enables, no streaming (streaming width
// must equal the data length). Sets the response and returns false when violated.
// Debug transport ignores byte enables and streaming width (TLM-2.0 rules for
// transport_dbg), so `debug` only checks that there is data.
inline bool plain_access(tlm::tlm_generic_payload& t, bool debug = false) {
    if (debug) {
        if (t.get_data_length() == 0 || t.get_data_ptr() == nullptr) {
            burst_error(t);
            return false;
        }
        return true;
    }
    if (t.get_byte_enable_ptr() != nullptr) {
        byte_enable_error(t);
        return false;
    }
    if (t.get_streaming_width() != t.get_data_length() || t.get_data_length() == 0) {
        burst_error(t);
        return false;
    }
    return true;
}

// ---- extensions -----------------------------------------------------------------------
// Network layer the transaction belongs to (-1 = none, e.g. setup or host traffic).
struct LayerExtension : tlm::tlm_extension<LayerExtension> {
    int layer = -1;
    explicit LayerExtension(int l = -1) : layer(l) {}
    tlm::tlm_extension_base* clone() const override { return new LayerExtension(layer); }
    void copy_from(const tlm::tlm_extension_base& e) override {
        layer = static_cast<const LayerExtension&>(e).layer;
    }
};

// Bytes the hardware really moves for this transaction (data stored as float32 but
// modelled at `bits` per value).
struct TrafficExtension : tlm::tlm_extension<TrafficExtension> {
    std::uint64_t bytes = 0;
    explicit TrafficExtension(std::uint64_t b = 0) : bytes(b) {}
    tlm::tlm_extension_base* clone() const override { return new TrafficExtension(bytes); }
    void copy_from(const tlm::tlm_extension_base& e) override {
        bytes = static_cast<const TrafficExtension&>(e).bytes;
    }
};

// A multicast read (a tile controller's multicast Load): the interconnect delivers the
// target's answer to every initiator in `initiators` in one transfer (bus: one occupancy
// of the shared path; mesh: the union of the XY routes, each link once) and writes each
// destination's absolute arrival time into `arrival` (same order). On a write (a multicast
// Send) the same transfer carries the initiator's data to the tiles in `initiators` (tile i
// is interconnect node i) before the addressed target accepts it.
struct MulticastExtension : tlm::tlm_extension<MulticastExtension> {
    std::vector<int> initiators;
    std::vector<sc_core::sc_time> arrival;
    tlm::tlm_extension_base* clone() const override { return new MulticastExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const MulticastExtension&>(e); }
};

inline int layer_of(const tlm::tlm_generic_payload& t) {
    auto* e = t.get_extension<LayerExtension>();
    return e ? e->layer : -1;
}
inline std::uint64_t modelled_bytes(const tlm::tlm_generic_payload& t) {
    auto* e = t.get_extension<TrafficExtension>();
    return e ? e->bytes : t.get_data_length();
}
// Bytes of `values` values at `bits` each, rounded up to whole bytes.
inline std::uint64_t bytes_at(std::uint64_t values, int bits) {
    return (values * static_cast<std::uint64_t>(bits) + 7) / 8;
}

// ---- time ----------------------------------------------------------------------------
inline sc_core::sc_time seconds(double s) { return sc_core::sc_time(s, sc_core::SC_SEC); }
inline std::uint64_t to_ps(const sc_core::sc_time& t) {
    return static_cast<std::uint64_t>(t.to_seconds() * 1e12 + 0.5);
}
// `n` cycles of a clock at `hz`.
inline sc_core::sc_time cycles(double n, double hz) { return seconds(n / hz); }

}  // namespace sotsim::tlmx
