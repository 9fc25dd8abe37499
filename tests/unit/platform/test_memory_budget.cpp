// The host memory budget follows the machine (issue 15, item 6): half of MemAvailable, at
// most 4 GB, unless sim.memory_budget sets it; the batch is capped so one batch's tensors fit.
#include "platform/host/HostDriver.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace sotsim;

namespace {

// MemAvailable in bytes, read independently of the code under test (0: not reported).
double mem_available() {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string key, unit;
        double kib = 0;
        if (ls >> key >> kib >> unit && key == "MemAvailable:" && unit == "kB") return kib * 1024.0;
    }
    return 0;
}

}  // namespace

TEST_CASE("memory budget: half of the available memory, at most 4 GB, or sim.memory_budget", "[host][memory]") {
    Config cfg;
    cfg.sim.memory_budget = 0;
    const double avail = mem_available();
    const double budget = host::memory_budget(cfg);
    if (avail > 0) {
        // MemAvailable moves between the two reads; 5 % of it covers that.
        CHECK(budget == Approx(std::min(4e9, 0.5 * avail)).epsilon(0.05));
    } else {
        CHECK(budget == 1e9);
    }
    CHECK(budget <= 4e9);
    cfg.sim.memory_budget = 123456789;
    CHECK(host::memory_budget(cfg) == 123456789);
}

TEST_CASE("memory budget: the batch shrinks so that one batch's tensors fit", "[host][memory]") {
    Config cfg;
    cfg.sim.batch = 256;
    Program p;
    TensorDecl a;
    a.rows_per_sample = 49;  // e.g. 7x7 output positions
    a.width = 128;
    TensorDecl b;
    b.width = 10;
    p.tensors = {a, b};
    const double per_sample = (49.0 * 128 + 10) * sizeof(float);
    CHECK(host::bytes_per_sample(cfg, p) == per_sample);
    host::HostOptions opt;
    opt.memory_budget_bytes = 40 * per_sample + 1;
    CHECK(host::choose_batch(cfg, p, 1000, opt) == 40);
    CHECK(host::choose_batch(cfg, p, 30, opt) == 30);        // never more than the samples
    opt.memory_budget_bytes = 1;
    CHECK(host::choose_batch(cfg, p, 1000, opt) == 1);       // at least one sample
    opt.memory_budget_bytes = 1e12;
    CHECK(host::choose_batch(cfg, p, 1000, opt) == 256);     // sim.batch
    opt.max_batch = 64;
    CHECK(host::choose_batch(cfg, p, 1000, opt) == 64);      // --batch
}
