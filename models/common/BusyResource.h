// Reservation calendar of a shared resource (bus, link, buffer port, ADC bank, macro).
//
// A request arriving at absolute time `arrival` (the initiator's decoupled local time)
// starts at the first gap of the calendar, at or after `arrival`, that is long enough for
// `duration`, and holds the resource for `duration`. Contention thus shows up as latency
// without cycle stepping.
//
// Why a calendar and not a busy-until counter: under temporal decoupling an initiator runs
// ahead of the kernel by up to a quantum, so a tile far ahead in local time can book a port
// in the future before another tile asks for it earlier in simulated time. With a single
// busy-until the earlier request would queue behind the later one, and results would depend
// on sim.quantum and on process order; the calendar lets it use the gap in front.
//
// Intervals ending at or before the kernel time are dropped: in a loosely-timed model no
// request can arrive before sc_time_stamp() (delays are never negative).
#pragma once

#include <systemc>

#include <cstdint>
#include <iterator>
#include <map>
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

    // The start a reservation of `duration` arriving at `arrival` would get (no booking).
    sc_core::sc_time earliest_start(const sc_core::sc_time& arrival, const sc_core::sc_time& duration) const {
        sc_core::sc_time t = arrival;
        auto it = busy_.upper_bound(t);
        if (it != busy_.begin()) {
            auto prev = std::prev(it);
            if (prev->second > t) t = prev->second;
        }
        // Every later interval that would overlap [t, t + duration) pushes t behind it.
        for (; it != busy_.end() && it->first < t + duration; ++it)
            if (it->second > t) t = it->second;
        return t;
    }

    // `layer`: the network layer the work belongs to (-1: none), for per-layer busy time.
    Grant reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration, int layer = -1) {
        prune();
        return book(arrival, duration, layer);
    }
    // reserve() for a request booked after the kernel time passed its arrival (a deferred
    // program, MacroMap.h): nothing was booked since it arrived, and the intervals that
    // prune() would now drop ended before it, so keeping them gives the grant reserve()
    // would have given at the arrival.
    Grant reserve_late(const sc_core::sc_time& arrival, const sc_core::sc_time& duration, int layer = -1) {
        return book(arrival, duration, layer);
    }

    // End of the latest reservation made so far.
    const sc_core::sc_time& busy_until() const { return last_end_; }
    const sc_core::sc_time& busy_time() const { return busy_time_; }
    // Busy time per layer (key -1: work outside any layer); sums to busy_time().
    const std::map<int, sc_core::sc_time>& layer_busy() const { return layer_busy_; }
    // Per layer in seconds, divided by `units` (a bank of identical ports: its mean port).
    std::map<int, double> layer_busy_s(double units = 1.0) const {
        std::map<int, double> out;
        for (const auto& [l, t] : layer_busy_) out[l] = t.to_seconds() / units;
        return out;
    }
    // Total time requests spent queued behind other reservations.
    const sc_core::sc_time& wait_time() const { return wait_time_; }
    std::uint64_t grants() const { return grants_; }
    bool busy_at(const sc_core::sc_time& t) const {
        auto it = busy_.upper_bound(t);
        return it != busy_.begin() && std::prev(it)->second > t;
    }
    // Booked intervals still held (merged where they touch); for tests and traces.
    std::size_t intervals() const { return busy_.size(); }

private:
    Grant book(const sc_core::sc_time& arrival, const sc_core::sc_time& duration, int layer) {
        Grant g;
        g.arrival = arrival;
        g.start = earliest_start(arrival, duration);
        g.end = g.start + duration;
        if (duration > sc_core::SC_ZERO_TIME) insert(g.start, g.end);
        busy_time_ += duration;
        layer_busy_[layer] += duration;
        ++grants_;
        if (g.start > arrival) wait_time_ += g.start - arrival;
        if (g.end > last_end_) last_end_ = g.end;
        return g;
    }

    void insert(const sc_core::sc_time& s, const sc_core::sc_time& e) {
        // The gap search guarantees [s, e) overlaps nothing; merge with touching neighbours.
        sc_core::sc_time start = s, end = e;
        auto next = busy_.lower_bound(e);
        if (next != busy_.end() && next->first == e) {
            end = next->second;
            next = busy_.erase(next);
        }
        if (next != busy_.begin()) {
            auto prev = std::prev(next);
            if (prev->second == s) {
                prev->second = end;
                return;
            }
        }
        busy_.emplace_hint(next, start, end);
    }
    void prune() {
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        while (!busy_.empty() && busy_.begin()->second <= now) busy_.erase(busy_.begin());
    }

    std::map<sc_core::sc_time, sc_core::sc_time> busy_;   // start -> end, disjoint
    sc_core::sc_time last_end_ = sc_core::SC_ZERO_TIME;
    sc_core::sc_time busy_time_ = sc_core::SC_ZERO_TIME;
    std::map<int, sc_core::sc_time> layer_busy_;
    sc_core::sc_time wait_time_ = sc_core::SC_ZERO_TIME;
    std::uint64_t grants_ = 0;
};

// A bank of identical ports (SRAM ports): a request takes the port where it starts first
// (the lowest index on ties, so the choice is deterministic).
class PortBank {
public:
    explicit PortBank(int ports = 1) : ports_(ports > 0 ? ports : 1) {}
    BusyResource::Grant reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration, int layer = -1) {
        std::size_t best = 0;
        sc_core::sc_time best_start = ports_[0].earliest_start(arrival, duration);
        for (std::size_t i = 1; i < ports_.size() && best_start > arrival; ++i) {
            const sc_core::sc_time s = ports_[i].earliest_start(arrival, duration);
            if (s < best_start) {
                best = i;
                best_start = s;
            }
        }
        return ports_[best].reserve(arrival, duration, layer);
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
    // Per layer, the mean port's busy time in seconds (fraction of the bank's capacity).
    std::map<int, double> layer_busy_s() const {
        std::map<int, double> out;
        for (const auto& p : ports_)
            for (const auto& [l, s] : p.layer_busy_s(static_cast<double>(ports_.size()))) out[l] += s;
        return out;
    }
    int size() const { return static_cast<int>(ports_.size()); }

private:
    std::vector<BusyResource> ports_;
};

}  // namespace sotsim
