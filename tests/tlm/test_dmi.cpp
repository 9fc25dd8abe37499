// DMI on the accelerator's plain memories (program memory), through the host socket and the
// interconnect: the granted range in host addresses, read-write when idle and read only
// during a run, pointers invalidated when a run starts and when the memory grows; registers
// and the global buffer are denied.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_initiator_socket.h>

#include <cstring>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;
namespace hm = sotsim::host_map;

namespace {
struct DmiHost : sc_module {
    tlm_utils::simple_initiator_socket<DmiHost> out{"out"};
    std::vector<std::pair<sc_dt::uint64, sc_dt::uint64>> invalidated;
    explicit DmiHost(sc_module_name n) : sc_module(n) {
        out.register_invalidate_direct_mem_ptr(this, &DmiHost::invalidate);
    }
    void invalidate(sc_dt::uint64 s, sc_dt::uint64 e) { invalidated.emplace_back(s, e); }
    bool dmi(std::uint64_t addr, tlm::tlm_dmi& d) {
        tlm::tlm_generic_payload t;
        t.set_address(addr);
        t.set_command(tlm::TLM_READ_COMMAND);
        d.init();
        return out->get_direct_mem_ptr(t, d);
    }
    bool covered(std::uint64_t a) const {
        for (auto [s, e] : invalidated)
            if (s <= a && a <= e) return true;
        return false;
    }
};
}  // namespace

TEST_CASE("program memory: DMI granted to the host, invalidated by runs and growth", "[tlm][dmi]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    DmiHost host("host");
    host.out.bind(acc.host);
    Program p;
    p.tile_code.resize(1);
    Instr layer;
    layer.op = OpCode::Layer;
    layer.layer = 0;
    p.tile_code[0] = {layer, Instr{}};
    acc.load_program(p, 1);
    sc_start(SC_ZERO_TIME);
    const std::vector<std::uint8_t> img = acc.image_of(p);

    tlm::tlm_dmi d;
    REQUIRE(host.dmi(hm::kProgBase + 64, d));
    CHECK(d.get_start_address() == hm::kProgBase);
    CHECK(d.get_end_address() == hm::kProgBase + img.size() - 1);
    CHECK(d.is_read_write_allowed());
    CHECK(d.get_read_latency() > SC_ZERO_TIME);
    unsigned char* mem = d.get_dmi_ptr();
    CHECK(std::memcmp(mem, img.data(), img.size()) == 0);  // the image, in host-address order

    // A write through the pointer is what a debug read over the socket sees.
    const std::uint64_t last = img.size() - 1;
    mem[last] = 0xA5;
    unsigned char back = 0;
    Access rd(tlm::TLM_READ_COMMAND, hm::kProgBase + last, &back, 1);
    REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == 1);
    CHECK(back == 0xA5);
    mem[last] = img[last];

    // Registers (side effects) and the global buffer (simulator layout) are not plain memory.
    CHECK_FALSE(host.dmi(hm::kCsrBase + hm::kStatus, d));
    CHECK(d.get_end_address() == hm::kCsrBase + hm::kCsrSize - 1);
    CHECK_FALSE(host.dmi(hm::kGbufBase, d));
    CHECK(d.get_granted_access() == tlm::tlm_dmi::DMI_ACCESS_NONE);
    // Beyond what was written: nothing to point at.
    CHECK_FALSE(host.dmi(hm::kProgBase + img.size() + 16, d));

    // Starting a run invalidates the read-write pointer; during the run DMI is read only.
    host.invalidated.clear();
    std::uint32_t run = hm::kCtrlRun;
    Access ctl(tlm::TLM_WRITE_COMMAND, hm::kCsrBase + hm::kControl, &run, 4);
    host.out->b_transport(ctl.t, ctl.delay);
    REQUIRE(ctl.t.is_response_ok());
    REQUIRE(acc.busy());
    CHECK(host.covered(hm::kProgBase));
    CHECK(host.covered(hm::kProgBase + img.size() - 1));
    REQUIRE(host.dmi(hm::kProgBase, d));
    CHECK(d.is_read_allowed());
    CHECK_FALSE(d.is_write_allowed());
    while (acc.busy()) sc_start();
    REQUIRE_FALSE(acc.failed());
    REQUIRE(host.dmi(hm::kProgBase, d));
    CHECK(d.is_read_write_allowed());

    // A write past the end grows the memory: every granted pointer is invalidated first.
    host.invalidated.clear();
    std::uint32_t word = 7;
    Access grow(tlm::TLM_WRITE_COMMAND, hm::kProgBase + img.size() + 4096, &word, 4);
    host.out->b_transport(grow.t, grow.delay);
    REQUIRE(grow.t.is_response_ok());
    CHECK(host.covered(hm::kProgBase));
    REQUIRE(host.dmi(hm::kProgBase, d));
    CHECK(d.get_end_address() == hm::kProgBase + img.size() + 4096 + 3);
}
