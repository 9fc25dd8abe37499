// Reservation calendar (models/common/BusyResource.h) while simulated time passes: pruning
// drops what ended before the kernel time, and that never changes a grant. Each request is
// checked against a brute-force calendar that keeps every interval: the earliest start at
// or after the arrival where the whole request fits between what is booked. One booking far
// ahead keeps the calendar from emptying, so its dropped front is compacted (tens of times).
#include <catch2/catch.hpp>

#include <systemc>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "models/common/BusyResource.h"

using namespace sc_core;

namespace {
sc_time ns(double v) { return sc_time(v, SC_NS); }

// Every booked interval, never pruned or merged.
struct Oracle {
    std::vector<std::pair<sc_time, sc_time>> booked;
    bool free_at(const sc_time& t, const sc_time& d) const {
        for (const auto& [s, e] : booked)
            if (s < t + d && t < e) return false;
        return true;
    }
    sc_time book(const sc_time& arrival, const sc_time& d) {
        // The earliest start is the arrival or the end of a booked interval after it.
        std::vector<sc_time> cand{arrival};
        for (const auto& b : booked)
            if (b.second > arrival) cand.push_back(b.second);
        std::sort(cand.begin(), cand.end());
        for (const auto& t : cand)
            if (free_at(t, d)) {
                if (d > SC_ZERO_TIME) booked.emplace_back(t, t + d);
                return t;
            }
        return sc_time_stamp();   // not reached: the latest end is always free
    }
};

struct Booker : sc_module {
    sotsim::BusyResource calendar;
    Oracle oracle;
    int checked = 0, mismatches = 0;
    std::size_t most_held = 0;
    SC_HAS_PROCESS(Booker);
    explicit Booker(sc_module_name n) : sc_module(n) { SC_THREAD(run); }
    void run() {
        std::mt19937 gen(5);
        std::uniform_int_distribution<int> ahead(0, 400), len(1, 30), step(0, 60);
        // One booking far ahead stays held the whole run: what ended piles up in front of
        // it until the calendar compacts.
        oracle.book(ns(1e6), ns(1));
        calendar.reserve(ns(1e6), ns(1));
        for (int i = 0; i < 3000; ++i) {
            // Arrivals up to 400 ns ahead of the kernel (a decoupled initiator), in any order.
            const sc_time arrival = sc_time_stamp() + ns(ahead(gen)), d = ns(len(gen));
            const sc_time want = oracle.book(arrival, d);
            const auto g = calendar.reserve(arrival, d);
            ++checked;
            if (g.start != want || g.end != want + d) ++mismatches;
            most_held = std::max(most_held, calendar.intervals());
            wait(ns(step(gen)));
        }
    }
};
}  // namespace

TEST_CASE("busy calendar: grants as booked against every interval while time passes; what ended is dropped",
          "[busy]") {
    Booker b("booker");
    sc_start();
    CHECK(b.checked == 3000);
    CHECK(b.mismatches == 0);
    // The run spans ~90 us with ~3000 intervals booked; only those ending after the kernel
    // time are held (the requests reach 400 ns ahead), plus the one far ahead.
    CHECK(b.oracle.booked.size() > 1000);
    CHECK(b.most_held < 100);
    CHECK(b.calendar.busy_time() == [&] {
        sc_time s = SC_ZERO_TIME;
        for (const auto& [st, e] : b.oracle.booked) s += e - st;
        return s;
    }());
}
