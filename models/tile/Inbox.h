// Inbox: the receiving end of a tile's activation channels in a pipelined program.
//
// A channel is (sending tile, receiving local tensor, destination column): one message per
// sample. The sender's Send delivers a message over the interconnect (TLM write carrying a
// StreamExtension); the receiver's Receive takes it and marks its slot free at the time
// the data left the slot. A channel holds chip.pipeline_depth samples: the sender of sample
// s waits until sample s - depth was consumed (credits return on handshake wires, no bus
// traffic). All times are absolute simulated times, so the result does not depend on the
// order in which the SystemC kernel runs the tiles or on the quantum.
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace sotsim {

// On a Send's write into the receiver's inbox window: which channel and sample.
struct StreamExtension : tlm::tlm_extension<StreamExtension> {
    int from = -1, tensor = -1, c0 = 0;
    int rows = 0, cols = 0;
    std::uint64_t sample = 0;
    tlm::tlm_extension_base* clone() const override { return new StreamExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const StreamExtension&>(e); }
};

class ActivationInbox {
public:
    struct Key {
        int from, tensor, c0;
        bool operator<(const Key& o) const { return std::tie(from, tensor, c0) < std::tie(o.from, o.tensor, o.c0); }
    };
    struct Message {
        std::vector<float> data;   // rows x cols, row major
        int rows = 0, cols = 0;
        sc_core::sc_time arrival;  // when the last byte arrived
    };

    // Called before any tile of a run starts (senders may deliver before the receiver runs).
    void reset() { channels_.clear(); }

    // Sender: whether sample `s` may enter channel `k`; `free_at` = when its slot was freed.
    bool slot_free(const Key& k, std::uint64_t s, int depth, sc_core::sc_time& free_at) const {
        free_at = sc_core::SC_ZERO_TIME;
        if (s < static_cast<std::uint64_t>(depth)) return true;
        auto it = channels_.find(k);
        const std::uint64_t prev = s - static_cast<std::uint64_t>(depth);
        if (it == channels_.end() || it->second.consumed.size() <= prev) return false;
        free_at = it->second.consumed[prev];
        return true;
    }
    void deliver(const Key& k, std::uint64_t s, Message m) {
        channels_[k].pending[s] = std::move(m);
        arrived_.notify();
    }

    // Receiver.
    bool has(const Key& k, std::uint64_t s) const {
        auto it = channels_.find(k);
        return it != channels_.end() && it->second.pending.count(s) != 0;
    }
    Message take(const Key& k, std::uint64_t s) {
        auto& ch = channels_[k];
        Message m = std::move(ch.pending.at(s));
        ch.pending.erase(s);
        return m;
    }
    // Samples are consumed in order on each channel.
    void consumed(const Key& k, const sc_core::sc_time& at) {
        channels_[k].consumed.push_back(at);
        freed_.notify();
    }

    // Wake every tile waiting on this inbox (a run is being aborted).
    void wake() {
        arrived_.notify();
        freed_.notify();
    }

    const sc_core::sc_event& arrived_event() const { return arrived_; }
    const sc_core::sc_event& freed_event() const { return freed_; }

private:
    struct Channel {
        std::map<std::uint64_t, Message> pending;  // delivered, not yet received
        std::vector<sc_core::sc_time> consumed;    // per sample: when its slot was freed
    };
    std::map<Key, Channel> channels_;
    sc_core::sc_event arrived_, freed_;
};

}  // namespace sotsim
