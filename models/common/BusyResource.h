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
//
// The calendar is a sorted vector, not a std::map: nearly every booking lands at its end
// (requests come roughly in time order) and pruning drops its front, so a map allocated
// and freed a node per reservation (several per transaction of a streamed run) for what a
// vector does in place. The dropped front is compacted once it is half the vector.
#pragma once

#include <systemc>

#include <algorithm>
#include <cstddef>
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
        auto it = after(t);
        if (it != first()) {
            auto prev = std::prev(it);
            if (prev->end > t) t = prev->end;
        }
        // Every later interval that would overlap [t, t + duration) pushes t behind it.
        for (; it != busy_.end() && it->start < t + duration; ++it)
            if (it->end > t) t = it->end;
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
        auto it = after(t);
        return it != first() && std::prev(it)->end > t;
    }
    // Booked intervals still held (merged where they touch); for tests and traces.
    std::size_t intervals() const { return busy_.size() - head_; }

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

    struct Interval {
        sc_core::sc_time start, end;
    };
    using Iter = std::vector<Interval>::const_iterator;
    Iter first() const { return busy_.begin() + static_cast<std::ptrdiff_t>(head_); }
    // The first interval starting after t (the calendar is sorted by start).
    Iter after(const sc_core::sc_time& t) const {
        return std::upper_bound(first(), busy_.cend(), t, [](const sc_core::sc_time& v, const Interval& i) { return v < i.start; });
    }
    void insert(const sc_core::sc_time& s, const sc_core::sc_time& e) {
        // The gap search guarantees [s, e) overlaps nothing; merge with touching neighbours.
        sc_core::sc_time end = e;
        auto next = std::lower_bound(first(), busy_.cend(), e, [](const Interval& i, const sc_core::sc_time& v) { return i.start < v; });
        auto at = static_cast<std::size_t>(next - busy_.cbegin());
        if (next != busy_.cend() && next->start == e) {
            end = next->end;
            busy_.erase(next);
        }
        if (at > head_ && busy_[at - 1].end == s) {
            busy_[at - 1].end = end;
            return;
        }
        busy_.insert(busy_.begin() + static_cast<std::ptrdiff_t>(at), Interval{s, end});
    }
    void prune() {
        const sc_core::sc_time now = sc_core::sc_time_stamp();
        while (head_ < busy_.size() && busy_[head_].end <= now) ++head_;
        if (head_ == busy_.size()) {
            busy_.clear();
            head_ = 0;
        } else if (head_ >= 32 && 2 * head_ >= busy_.size()) {
            busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    std::vector<Interval> busy_;   // [head_, size): disjoint, sorted by start; before head_: dropped
    std::size_t head_ = 0;
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
