// Reservation calendar (models/common/BusyResource.h): analytic contention cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "models/common/BusyResource.h"

using sotsim::BusyResource;
using sotsim::PortBank;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {
sc_time ns(double v) { return sc_time(v, SC_NS); }
}

TEST_CASE("Simultaneous requests serialise: start k*d, total wait d*N(N-1)/2") {
    BusyResource r;
    const int n = 7;
    for (int k = 0; k < n; ++k) {
        const auto g = r.reserve(ns(0), ns(10));
        CHECK(g.start == ns(10.0 * k));
        CHECK(g.end == ns(10.0 * (k + 1)));
    }
    CHECK(r.wait_time() == ns(10.0 * n * (n - 1) / 2));
    CHECK(r.busy_time() == ns(10.0 * n));
    CHECK(r.intervals() == 1);  // back-to-back reservations merge
}

TEST_CASE("An earlier request uses the gap in front of a reservation booked ahead in time") {
    // The quantum effect: a tile far ahead in local time books [100, 110) first.
    BusyResource r;
    r.reserve(ns(100), ns(10));
    const auto fits = r.reserve(ns(0), ns(10));
    CHECK(fits.start == ns(0));
    CHECK(fits.wait() == sc_core::SC_ZERO_TIME);
    // A request that does not fit the remaining gap [10, 100) goes behind [100, 110).
    const auto big = r.reserve(ns(20), ns(85));
    CHECK(big.start == ns(110));
    // One that fits exactly fills it.
    const auto exact = r.reserve(ns(10), ns(90));
    CHECK(exact.start == ns(10));
    CHECK(r.intervals() == 1);  // [0, 195) is one busy stretch now
    CHECK(r.busy_at(ns(150)));
    CHECK_FALSE(r.busy_at(ns(195)));
}

TEST_CASE("Requests that do not overlap in time never wait, whatever order they are booked in") {
    // Period 25 ns, duration 10 ns: a free resource in simulated time. Booking order is a
    // shuffle (what different quanta / process orders produce); no request may wait.
    std::vector<int> order(200);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 gen(7);
    std::shuffle(order.begin(), order.end(), gen);
    BusyResource r;
    for (int k : order) {
        const auto g = r.reserve(ns(25.0 * k), ns(10));
        CHECK(g.start == ns(25.0 * k));
    }
    CHECK(r.wait_time() == sc_core::SC_ZERO_TIME);
}

TEST_CASE("Saturated resource: makespan N*d and mean wait as for a FIFO queue") {
    // Arrivals every 5 ns, service 10 ns: utilisation 2, the queue grows linearly.
    // Booked in time order, request k starts at 10k and waits 10k - 5k = 5k.
    BusyResource r;
    const int n = 50;
    for (int k = 0; k < n; ++k) CHECK(r.reserve(ns(5.0 * k), ns(10)).start == ns(10.0 * k));
    CHECK(r.wait_time() == ns(5.0 * n * (n - 1) / 2));
}

TEST_CASE("A port bank serves as many simultaneous requests as it has ports") {
    PortBank b(2);
    std::vector<sc_time> starts;
    for (int k = 0; k < 5; ++k) starts.push_back(b.reserve(ns(0), ns(10)).start);
    CHECK(starts == std::vector<sc_time>{ns(0), ns(0), ns(10), ns(10), ns(20)});
    // An earlier request takes the port with a gap in front, not the least loaded one.
    PortBank c(2);
    c.reserve(ns(100), ns(10));   // port 0: [100, 110)
    c.reserve(ns(0), ns(50));     // port 0 gap [0, 100) fits: [0, 50)
    CHECK(c.reserve(ns(60), ns(30)).start == ns(60));  // port 0 gap [50, 100) again
    CHECK(c.reserve(ns(60), ns(30)).start == ns(60));  // port 1
    CHECK(c.wait_time() == sc_core::SC_ZERO_TIME);
}

TEST_CASE("Busy time is kept per layer and sums to the total; a port bank reports its mean port") {
    BusyResource r;
    r.reserve(ns(0), ns(10), 0);
    r.reserve(ns(0), ns(30), 1);   // queued behind layer 0: waiting is not busy time
    r.reserve(ns(5), ns(5));       // no layer
    const auto per = r.layer_busy_s();
    REQUIRE(per.size() == 3);
    CHECK(per.at(0) == Approx(10e-9));
    CHECK(per.at(1) == Approx(30e-9));
    CHECK(per.at(-1) == Approx(5e-9));
    CHECK(per.at(0) + per.at(1) + per.at(-1) == Approx(r.busy_time().to_seconds()));
    CHECK(r.layer_busy_s(2.0).at(1) == Approx(15e-9));

    PortBank bank(2);
    bank.reserve(ns(0), ns(10), 3);
    bank.reserve(ns(0), ns(10), 3);   // the second port, simultaneous
    bank.reserve(ns(0), ns(20), 4);
    const auto b = bank.layer_busy_s();
    CHECK(b.at(3) == Approx(10e-9));  // 20 ns of port time over 2 ports: one port's full 10 ns
    CHECK(b.at(4) == Approx(10e-9));
}
