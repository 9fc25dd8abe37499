// Loading a program image over the host socket (IMAGE_SIZE + CONTROL.LOAD) and running it
// from program memory: the chip answers as docs/memory-map.md says, a corrupt image is
// refused (STATUS.ERROR names the offset) and the previous program keeps working, program
// memory cannot change under a run, and a stream longer than the instruction buffer is
// fetched from program memory per instruction with the same results.
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
struct Cpu : sc_module {
    tlm_utils::simple_initiator_socket<Cpu> out{"out"};
    explicit Cpu(sc_module_name n) : sc_module(n) {}
    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::size_t n) {
        Access a(cmd, addr, data, static_cast<unsigned>(n));
        out->b_transport(a.t, a.delay);
        return a.t.get_response_status();
    }
    tlm::tlm_response_status write_csr(std::uint32_t reg, std::uint32_t v) {
        return access(tlm::TLM_WRITE_COMMAND, hm::kCsrBase + reg, &v, 4);
    }
    std::uint32_t csr(std::uint32_t reg) {
        std::uint32_t v = 0;
        REQUIRE(access(tlm::TLM_READ_COMMAND, hm::kCsrBase + reg, &v, 4) == tlm::TLM_OK_RESPONSE);
        return v;
    }
};

// out = 2 * in + 1 through a tile: Load, Affine, Store (16 values per sample).
Program copy_program() {
    Program p;
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 32);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, 16, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 32);
    p.input_tensor = in, p.output_tensor = out, p.input_width = 16, p.output_width = 16;
    Instr layer, load, aff, store;
    layer.op = OpCode::Layer, layer.layer = 0;
    load.op = OpCode::Load, load.src = in, load.dst = x;
    aff.op = OpCode::Affine, aff.src = aff.dst = x, aff.vscale.assign(16, 2.0f), aff.vbias.assign(16, 1.0f);
    store.op = OpCode::Store, store.src = x, store.dst = out;
    p.tile_code = {{layer, load, aff, store, Instr{}}};
    return p;
}

std::vector<float> run_once(Cpu& cpu, Accelerator& acc, float base) {
    std::vector<float> in(16), out(16, -1.0f);
    for (int i = 0; i < 16; ++i) in[static_cast<std::size_t>(i)] = base + static_cast<float>(i);
    REQUIRE(cpu.access(tlm::TLM_WRITE_COMMAND, cpu.csr(hm::kInputAddr), in.data(), 64) == tlm::TLM_OK_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kControl, hm::kCtrlRun) == tlm::TLM_OK_RESPONSE);
    while (acc.busy()) sc_start();
    REQUIRE_FALSE(acc.failed());
    REQUIRE(cpu.access(tlm::TLM_READ_COMMAND, cpu.csr(hm::kOutputAddr), out.data(), 64) == tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 16; ++i) CHECK(out[static_cast<std::size_t>(i)] == 2.0f * in[static_cast<std::size_t>(i)] + 1.0f);
    return out;
}

void load(Cpu& cpu, Accelerator& acc, std::vector<std::uint8_t> img) {
    REQUIRE(cpu.access(tlm::TLM_WRITE_COMMAND, hm::kProgBase, img.data(), img.size()) == tlm::TLM_OK_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kImageSize, static_cast<std::uint32_t>(img.size())) == tlm::TLM_OK_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kControl, hm::kCtrlLoad) == tlm::TLM_OK_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kControl, hm::kCtrlSetup) == tlm::TLM_OK_RESPONSE);
    while (acc.busy()) sc_start();
}

double stat(const StatsSource& s, const std::string& name) {
    for (const auto& v : s.stats())
        if (v.name == name) return v.value;
    return -1;
}
}  // namespace

TEST_CASE("image load: LOAD over the host socket, corrupt images refused, program memory locked during runs", "[tlm][image]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    Cpu cpu("cpu");
    cpu.out.bind(acc.host);
    sc_start(SC_ZERO_TIME);
    const Program p = copy_program();
    const std::vector<std::uint8_t> img = acc.image_of(p);

    CHECK(cpu.csr(hm::kVersion) == hm::kVersionValue);
    CHECK(cpu.write_csr(hm::kControl, hm::kCtrlRun) == tlm::TLM_GENERIC_ERROR_RESPONSE);  // no program yet
    load(cpu, acc, img);
    CHECK(cpu.csr(hm::kImageSize) == img.size());
    CHECK(cpu.csr(hm::kInputWidth) == 16);
    run_once(cpu, acc, 0.5f);
    // Issued from the instruction buffer (fetched at SETUP): 5 records + 2 uniform parameters.
    CHECK(stat(acc.tiles[0], "remote_fetches") == 0);
    CHECK(stat(acc.tiles[0], "fetch_words") == 5 * 33 + 2);

    // One flipped byte: LOAD is refused with the checksum's offset, the old program stays.
    std::uint8_t b = img[200] ^ 0xFF;
    REQUIRE(cpu.access(tlm::TLM_WRITE_COMMAND, hm::kProgBase + 200, &b, 1) == tlm::TLM_OK_RESPONSE);
    CHECK(cpu.write_csr(hm::kControl, hm::kCtrlLoad) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK((cpu.csr(hm::kStatus) & hm::kStatusError) != 0);
    CHECK_THAT(acc.error_message(), Catch::Contains("program image: offset 0x10: checksum"));
    // LOAD together with RUN, and an IMAGE_SIZE beyond what was written, are refused too.
    CHECK(cpu.write_csr(hm::kControl, hm::kCtrlLoad | hm::kCtrlRun) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kControl, hm::kCtrlClear) == tlm::TLM_OK_RESPONSE);
    run_once(cpu, acc, 3.0f);

    // Program memory is plain memory for the host, but not while a run is in progress, and
    // never for a debugger's writes.
    b = img[200];
    Access dbg(tlm::TLM_WRITE_COMMAND, hm::kProgBase + 200, &b, 1);
    CHECK(acc.host.get_base_export()->transport_dbg(dbg.t) == 0);
    CHECK(dbg.t.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
    REQUIRE(cpu.write_csr(hm::kControl, hm::kCtrlRun) == tlm::TLM_OK_RESPONSE);
    REQUIRE(acc.busy());
    CHECK(cpu.access(tlm::TLM_WRITE_COMMAND, hm::kProgBase + 200, &b, 1) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(cpu.write_csr(hm::kImageSize, 4) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    while (acc.busy()) sc_start();
    REQUIRE(cpu.access(tlm::TLM_WRITE_COMMAND, hm::kProgBase + 200, &b, 1) == tlm::TLM_OK_RESPONSE);
    CHECK(cpu.write_csr(hm::kControl, hm::kCtrlLoad) == tlm::TLM_OK_RESPONSE);  // repaired
}

TEST_CASE("image load: a stream longer than the instruction buffer is fetched per instruction", "[tlm][image]") {
    Config cfg = small_config();
    cfg.tile.instruction_buffer_bytes = 4 * 132;  // 4 of the 5 records
    Accelerator acc("chip", cfg);
    Cpu cpu("cpu");
    cpu.out.bind(acc.host);
    sc_start(SC_ZERO_TIME);
    load(cpu, acc, acc.image_of(copy_program()));
    const double progmem_before = acc.progmem.actions().get(action::kGbufRead);
    run_once(cpu, acc, -2.0f);
    CHECK(stat(acc.tiles[0], "remote_fetches") == 5);
    CHECK(stat(acc.tiles[0], "fetch_words") == 0);
    CHECK(acc.tiles[0].actions().get(action::kInstrWord) == 0);
    // Each record (132 B) and the Affine's two stored parameters (4 B each) from program
    // memory; the Load and Store touch the global buffer, not program memory.
    CHECK(acc.progmem.actions().get(action::kGbufRead) - progmem_before == Approx(5 * 132 + 2 * 4));
}
