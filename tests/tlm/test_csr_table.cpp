// CsrTable (models/common/CsrTable.h): the one register decode of MramMacro and
// Accelerator. Response status per access kind and offset, and debug access that neither
// calls write callbacks nor changes state -- on the table itself and through both targets.
#include <catch2/catch.hpp>

#include "models/common/CsrTable.h"
#include "models/macro/MramMacro.h"
#include "platform/accelerator/Accelerator.h"
#include "platform/accelerator/HostMap.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;
namespace hm = sotsim::host_map;
namespace mm = sotsim::macro_map;

namespace {
struct Rw {
    tlm::tlm_response_status status;
    std::uint32_t value;
};
Rw csr(tlmx::CsrTable& table, tlm::tlm_command cmd, std::uint64_t off, std::uint32_t v, bool debug, unsigned len = 4) {
    std::uint32_t buf[2] = {v, 0};
    tlm::tlm_generic_payload t;
    tlmx::prepare(t, cmd, off, buf, len);
    table.access(t, off, SC_ZERO_TIME, debug);
    return {t.get_response_status(), buf[0]};
}
// One Mvm on tile 0 (its macro is never programmed: the run would fail, but only the start matters here).
Program one_instruction() {
    Program p;
    p.tile_code.resize(1);
    Instr mvm;
    mvm.op = OpCode::Mvm;
    mvm.macro = 0;
    mvm.src = add_tensor(p, "x", Location::Local, 0, 1, 16, 32);
    mvm.dst = add_tensor(p, "y", Location::Local, 0, 1, 8, 32);
    p.tile_code[0].push_back(mvm);
    return p;
}
constexpr auto R = tlm::TLM_READ_COMMAND;
constexpr auto W = tlm::TLM_WRITE_COMMAND;

struct RwDriver : sc_module {
    tlm_utils::simple_initiator_socket<RwDriver> out{"out"};
    explicit RwDriver(sc_module_name n) : sc_module(n) {}
    Rw go(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t v, bool debug, unsigned len = 4) {
        std::uint32_t buf[2] = {v, 0};
        Access a(cmd, addr, buf, len);
        if (debug)
            out->transport_dbg(a.t);
        else
            out->b_transport(a.t, a.delay);
        return {a.t.get_response_status(), buf[0]};
    }
};
}  // namespace

TEST_CASE("csr table: response status by access and offset; writes store, callbacks apply or refuse", "[tlm][csr]") {
    tlmx::CsrTable t;
    int writes = 0;
    std::uint32_t state = 7;
    t.add({"ID", 0x0, tlmx::CsrAccess::RO, 0xABCD, {}, {}})
        .add({"GO", 0x4, tlmx::CsrAccess::WO, 0, {}, [&](std::uint32_t v, const sc_time&) {
                  ++writes;
                  return v != 0xDEAD;  // refused value
              }})
        .add({"SCRATCH", 0x8, tlmx::CsrAccess::RW, 0x55, {}, {}})
        .add({"STATE", 0x10, tlmx::CsrAccess::RW, 0, [&](const sc_time&) { return state; },
              [&](std::uint32_t v, const sc_time&) {
                  state = v;
                  return true;
              }});
    CHECK_THROWS_AS(t.add({"DUP", 0x8, tlmx::CsrAccess::RO, 0, {}, {}}), std::logic_error);
    CHECK_THROWS_AS(t.add({"ODD", 0x2, tlmx::CsrAccess::RO, 0, {}, {}}), std::logic_error);

    CHECK(csr(t, R, 0x0, 0, false).value == 0xABCDu);                                 // reset of a constant
    CHECK(csr(t, W, 0x0, 1, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);        // RO written
    CHECK(csr(t, R, 0x0, 0, false).value == 0xABCDu);
    CHECK(csr(t, R, 0x4, 0, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);        // WO read
    CHECK(csr(t, R, 0xC, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);        // reserved (hole)
    CHECK(csr(t, W, 0x40, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);       // past the table
    CHECK(csr(t, R, 0x9, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);        // misaligned
    CHECK(csr(t, R, 0x8, 0, false, 8).status == tlm::TLM_BURST_ERROR_RESPONSE);       // not 4 bytes
    CHECK(csr(t, R, 0x8, 0, false).value == 0x55u);                                   // reset of a stored RW
    CHECK(csr(t, W, 0x8, 0x1234, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(csr(t, R, 0x8, 0, false).value == 0x1234u);
    CHECK(csr(t, W, 0x4, 1, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(csr(t, W, 0x4, 0xDEAD, false).status == tlm::TLM_GENERIC_ERROR_RESPONSE);   // callback refused
    CHECK(writes == 2);
    CHECK(csr(t, W, 0x10, 9, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(state == 9u);

    // Debug: reads through the same decode and read callbacks, writes refused before any callback.
    CHECK(csr(t, R, 0x10, 0, true).value == 9u);
    CHECK(csr(t, R, 0x4, 0, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(csr(t, R, 0xC, 0, true).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(csr(t, W, 0x4, 1, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(csr(t, W, 0x8, 0x99, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(csr(t, W, 0x10, 3, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(writes == 2);
    CHECK(state == 9u);
    CHECK(csr(t, R, 0x8, 0, false).value == 0x1234u);
}

TEST_CASE("csr table: the accelerator's registers answer by the table, debug writes change nothing", "[tlm][csr][chip]") {
    const Config cfg = small_config();
    RwDriver host("host");
    Accelerator acc("chip", cfg);
    host.out.bind(acc.host);
    sc_start(SC_ZERO_TIME);  // tile threads reach their wait before a RUN is started
    CHECK(host.go(R, hm::kId, 0, false).value == hm::kIdValue);
    CHECK(host.go(R, hm::kTiles, 0, true).value == static_cast<std::uint32_t>(cfg.chip.tiles));
    CHECK(host.go(R, hm::kMacros, 0, true).value == static_cast<std::uint32_t>(cfg.total_macros()));
    CHECK(host.go(W, hm::kId, 1, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);       // RO
    CHECK(host.go(W, hm::kStatus, 0, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);   // RO
    CHECK(host.go(R, hm::kControl, 0, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);  // WO
    CHECK(host.go(R, hm::kImageSize + 4, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // reserved
    CHECK(host.go(R, hm::kCsrSize - 4, 0, true).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(host.go(R, hm::kStatus + 1, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // misaligned
    CHECK(host.go(R, hm::kStatus, 0, false, 8).status == tlm::TLM_BURST_ERROR_RESPONSE);
    // IRQ_ENABLE: stored by a normal write, untouched by debug writes, read back by debug.
    CHECK(host.go(W, hm::kIrqEnable, 1, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(host.go(W, hm::kIrqEnable, 0, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(host.go(R, hm::kIrqEnable, 0, true).value == 1u);
    CHECK(host.go(W, hm::kImageSize, 64, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(host.go(R, hm::kImageSize, 0, true).value == 0u);
    // A program loaded: a debug RUN does not start it, a real one does.
    acc.load_program(one_instruction(), 1);
    CHECK(host.go(W, hm::kControl, hm::kCtrlRun, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK_FALSE(acc.busy());
    CHECK(host.go(W, hm::kBatch, 2, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(host.go(R, hm::kBatch, 0, true).value == 1u);
    CHECK(host.go(W, hm::kControl, hm::kCtrlRun | hm::kCtrlSetup, false).status == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK_FALSE(acc.busy());
    CHECK(host.go(W, hm::kControl, hm::kCtrlRun, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(acc.busy());
    CHECK(host.go(R, hm::kStatus, 0, true).value == hm::kStatusBusy);
    CHECK(host.go(W, hm::kImageSize, 64, false).status == tlm::TLM_GENERIC_ERROR_RESPONSE);  // busy: refused
}

TEST_CASE("csr table: the macro's registers answer by the table, a debug CONTROL write clears nothing", "[tlm][csr][macro]") {
    const Config cfg = small_config();
    RwDriver drv("drv");
    MramMacro macro("macro", cfg, 0, 0);
    drv.out.bind(macro.cfg);
    CHECK(drv.go(R, mm::kId, 0, true).value == mm::kIdValue);
    CHECK(drv.go(R, mm::kRows, 0, false).value == static_cast<std::uint32_t>(cfg.array.rows));
    CHECK(drv.go(W, mm::kRows, 1, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);      // RO, counted as an error
    CHECK(drv.go(R, mm::kControl, 0, false).status == tlm::TLM_COMMAND_ERROR_RESPONSE);   // WO, counted
    CHECK(drv.go(R, mm::kControl + 4, 0, false).status == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // reserved, counted
    CHECK(drv.go(W, mm::kActiveRows, 4, false).status == tlm::TLM_GENERIC_ERROR_RESPONSE);  // nothing programmed
    CHECK(drv.go(R, mm::kErrorCount, 0, true).value == 4u);
    CHECK(drv.go(R, mm::kStatus, 0, true).value == mm::kStatusError);
    CHECK(drv.go(W, mm::kControl, 1, true).status == tlm::TLM_COMMAND_ERROR_RESPONSE);  // debug: refused, not counted
    CHECK(drv.go(R, mm::kErrorCount, 0, true).value == 4u);
    CHECK(drv.go(W, mm::kControl, 1, false).status == tlm::TLM_OK_RESPONSE);
    CHECK(drv.go(R, mm::kErrorCount, 0, true).value == 0u);
    CHECK(drv.go(R, mm::kStatus, 0, false).value == 0u);
}
