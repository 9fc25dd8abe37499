// Busy-until reservation of a shared resource (bus, buffer port, ADC bank, macro).
//
// A request arriving at absolute time `arrival` (initiator's decoupled local time) starts
// at max(arrival, busy_until) and holds the resource for `duration`. Contention thus shows
// up as latency without cycle stepping. Reservations are granted in call order, which in
// a loosely-timed model is the (deterministic) SystemC process order.
#pragma once

#include <systemc>

#include <cstdint>
#include <vector>

namespace sotsim {

class BusyResource {
public:
    struct Grant {
        sc_core::sc_time start;
        sc_core::sc_time end;
        sc_core::sc_time wait() const { return start - arrival; }
        sc_core::sc_time arrival;
    };

    Grant reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration) {
        Grant g;
        g.arrival = arrival;
        g.start = arrival > busy_until_ ? arrival : busy_until_;
        g.end = g.start + duration;
        busy_until_ = g.end;
        busy_time_ += duration;
        ++grants_;
        if (g.start > arrival) wait_time_ += g.start - arrival;
        return g;
    }

    const sc_core::sc_time& busy_until() const { return busy_until_; }
    const sc_core::sc_time& busy_time() const { return busy_time_; }
    // Total time requests spent queued behind earlier reservations.
    const sc_core::sc_time& wait_time() const { return wait_time_; }
    std::uint64_t grants() const { return grants_; }
    bool busy_at(const sc_core::sc_time& t) const { return t < busy_until_; }

private:
    sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
    sc_core::sc_time busy_time_ = sc_core::SC_ZERO_TIME;
    sc_core::sc_time wait_time_ = sc_core::SC_ZERO_TIME;
    std::uint64_t grants_ = 0;
};

// A bank of identical ports (SRAM ports): a request takes the port that frees first.
class PortBank {
public:
    explicit PortBank(int ports = 1) : ports_(ports > 0 ? ports : 1) {}
    BusyResource::Grant reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < ports_.size(); ++i)
            if (ports_[i].busy_until() < ports_[best].busy_until()) best = i;
        return ports_[best].reserve(arrival, duration);
    }
    sc_core::sc_time busy_time() const {
        sc_core::sc_time s = sc_core::SC_ZERO_TIME;
        for (const auto& p : ports_) s += p.busy_time();
        return s;
    }
    sc_core::sc_time wait_time() const {
        sc_core::sc_time s = sc_core::SC_ZERO_TIME;
        for (const auto& p : ports_) s += p.wait_time();
        return s;
    }
    int size() const { return static_cast<int>(ports_.size()); }

private:
    std::vector<BusyResource> ports_;
};

}  // namespace sotsim
