// The 2-D mesh interconnect: XY routes, (hops + 1) router latencies + one link occupancy
// without contention, a shared link queues, per-link byte counts.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_target_socket.h>

#include <cmath>

#include "models/noc/Interconnect.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {
struct Initiator : sc_module {
    tlm_utils::simple_initiator_socket<Initiator> out{"out"};
    explicit Initiator(sc_module_name n) : sc_module(n) {}
};
struct InstantTarget : sc_module {
    tlm_utils::simple_target_socket<InstantTarget> in{"in"};
    explicit InstantTarget(sc_module_name n) : sc_module(n) { in.register_b_transport(this, &InstantTarget::bt); }
    void bt(tlm::tlm_generic_payload& t, sc_time&) { t.set_response_status(tlm::TLM_OK_RESPONSE); }
};
}  // namespace

TEST_CASE("mesh: latency is (hops + 1) router latencies plus one link occupancy", "[tlm][noc][mesh]") {
    // 3 x 3 routers. Initiators at nodes 0, 4 (centre), 8 (far corner) and 2; the target
    // (memory) at node 0, a second target behind node 6.
    Config cfg = small_config();
    cfg.chip.tiles = 9;
    cfg.chip.interconnect = Topology::Mesh2d;
    cfg.chip.mesh_cols = 3;
    cfg.chip.link_width_bits = 64;
    cfg.chip.link_hop_cycles = 2;
    Initiator i0("i0"), i4("i4"), i8("i8"), i2("i2");
    Interconnect noc("noc", cfg.chip);
    InstantTarget mem("mem"), t6("t6");
    for (auto* i : {&i0, &i4, &i8, &i2}) i->out.bind(noc.from_initiators);
    noc.place_initiator(0, 0);
    noc.place_initiator(1, 4);
    noc.place_initiator(2, 8);
    noc.place_initiator(3, 2);
    noc.to_targets.bind(mem.in);
    noc.to_targets.bind(t6.in);
    noc.map_target(0, 0x1000, 0x1000, "mem");
    noc.map_target(1, 0x2000, 0x1000, "t6", 6);
    sc_start(SC_ZERO_TIME);

    const sc_time cycle(1.0 / cfg.chip.bus_clock, SC_SEC);
    const sc_time hop = cycle * cfg.chip.link_hop_cycles;
    std::vector<unsigned char> buf(100);
    const sc_time occ = cycle * std::ceil(100.0 * 8 / cfg.chip.link_width_bits);  // 13 cycles of 64 bit
    auto write = [&](Initiator& i, std::uint64_t addr, const sc_time& at) {
        Access w(tlm::TLM_WRITE_COMMAND, addr, buf.data(), 100);
        w.delay = at;
        i.out->b_transport(w.t, w.delay);
        REQUIRE(w.t.is_response_ok());
        return w.delay - at;
    };
    // Transfers spaced far apart: no contention, latency from the hop count alone.
    const sc_time gap = cycle * 1000.0;
    CHECK(write(i0, 0x1000, SC_ZERO_TIME) == hop + occ);               // same router: 0 links
    CHECK(write(i4, 0x1000, gap) == hop * 3.0 + occ);                  // (1,1) -> (0,0): 2 links
    CHECK(write(i8, 0x1000, gap * 2.0) == hop * 5.0 + occ);            // (2,2) -> (0,0): 4 links
    CHECK(write(i2, 0x2000, gap * 3.0) == hop * 5.0 + occ);            // (2,0) -> (0,2): 4 links
    CHECK(noc.actions().get(action::kMeshLinkByte) == 100.0 * (0 + 2 + 4 + 4));

    // Reads carry the data back from the target's router: the same hop count.
    Access r(tlm::TLM_READ_COMMAND, 0x1000, buf.data(), 100);
    r.delay = gap * 4.0;
    i8.out->b_transport(r.t, r.delay);
    CHECK(r.delay - gap * 4.0 == hop * 5.0 + occ);
}

TEST_CASE("mesh: transfers sharing a link queue, disjoint routes do not", "[tlm][noc][mesh]") {
    Config cfg = small_config();
    cfg.chip.tiles = 4;
    cfg.chip.interconnect = Topology::Mesh2d;  // 2 x 2 (mesh_cols 0 = ceil(sqrt(4)))
    cfg.chip.link_width_bits = 64;
    cfg.chip.link_hop_cycles = 1;
    Initiator a("a"), b("b"), c("c");
    Interconnect noc("noc", cfg.chip);
    InstantTarget mem("mem"), t3("t3");
    for (auto* i : {&a, &b, &c}) i->out.bind(noc.from_initiators);
    noc.place_initiator(0, 1);  // a at (1,0)
    noc.place_initiator(1, 1);  // b at (1,0) too: same first link to node 0
    noc.place_initiator(2, 2);  // c at (0,1): to node 3 it goes east, a link nobody else uses
    noc.to_targets.bind(mem.in);
    noc.to_targets.bind(t3.in);
    noc.map_target(0, 0x1000, 0x1000, "mem");
    noc.map_target(1, 0x2000, 0x1000, "t3", 3);
    sc_start(SC_ZERO_TIME);
    const sc_time cycle(1.0 / cfg.chip.bus_clock, SC_SEC);
    const sc_time hop = cycle * cfg.chip.link_hop_cycles;
    std::vector<unsigned char> buf(64);
    const sc_time occ = cycle * 8.0;  // 64 B over 64-bit links
    Access wa(tlm::TLM_WRITE_COMMAND, 0x1000, buf.data(), 64), wb(tlm::TLM_WRITE_COMMAND, 0x1000, buf.data(), 64),
        wc(tlm::TLM_WRITE_COMMAND, 0x2000, buf.data(), 64);
    a.out->b_transport(wa.t, wa.delay);
    b.out->b_transport(wb.t, wb.delay);
    c.out->b_transport(wc.t, wc.delay);
    CHECK(wa.delay == hop * 2.0 + occ);
    CHECK(wb.delay == hop * 2.0 + occ + occ);  // queued one occupancy behind a on link (1,0)->(0,0)
    CHECK(wc.delay == hop * 2.0 + occ);        // (0,1)->(1,1): its own link
    // The stats name the busiest link: it carried both transfers.
    CHECK(noc.stats()[0].value == Approx((occ * 2.0).to_seconds()));
}
