// Deferred programming (MacroMap.h): a tile issues its programs and the macros solve their
// exact IR-drop transfer matrices concurrently, finished before the tile needs them. The
// chip must see exactly what undeferred programs give: the same busy time per macro as the
// physics core's program(), and a failing solve reported at its own instruction with the
// same message as a program the macro refuses at once.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "models/physics/TransferStore.h"
#include "platform/accelerator/Accelerator.h"
#include "tests/support/FailingTransferStore.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;

namespace {

// One tile of three 16x16 macros with exact IR drop and device variation.
Config exact_chip() {
    Config c;
    c.array.rows = 16;
    c.array.cols = 16;
    c.array.ir_drop = IrDropMode::Exact;
    c.tile.macros = 3;
    c.chip.tiles = 1;
    c.macro.calibration = false;
    c.tile.buffer_bytes = 64 * 1024;
    c.chip.global_buffer_bytes = 256 * 1024;
    return c;
}

// Setup stream: block k (rows[k] x lc) programmed into macro k.
Program programs(const Config& cfg, const std::vector<int>& rows) {
    Program p;
    p.tile_code.resize(1);
    p.setup_code.resize(1);
    const int lc = phys::AnalogMacro::logical_cols(cfg, 1);
    for (std::size_t k = 0; k < rows.size(); ++k) {
        WeightBlock b;
        b.w = pattern_weights(rows[k], lc, static_cast<int>(k));
        b.spec = binary_spec(rows[k], lc);
        b.tile = 0;
        b.macro = static_cast<int>(k);
        p.blocks.push_back(b);
        Instr in;
        in.op = OpCode::Program;
        in.block = static_cast<int>(k);
        in.macro = static_cast<int>(k);
        p.setup_code[0].push_back(in);
    }
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    p.input_tensor = in;
    return p;
}


double stat(const MramMacro& m, const std::string& name) {
    for (const StatValue& v : m.stats())
        if (v.name == name) return v.value;
    throw std::logic_error("no stat " + name);
}

std::string run_error(Accelerator& acc) {
    try {
        acc.run_blocking(true);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("deferred programs: each macro is busy exactly its program's time", "[tlm][chip][irdrop]") {
    const Config cfg = exact_chip();
    Accelerator acc("chip", cfg);
    const Program p = programs(cfg, {16, 12, 16});
    acc.load_program(p, 2);
    acc.run_blocking(true);
    for (int m = 0; m < 3; ++m) {
        // The same macro (chip-wide id) programmed directly, undeferred.
        phys::AnalogMacro direct(cfg, acc.macro(0, m).macro_id());
        ActionCounter ac;
        const phys::ProgramResult r = direct.program(p.blocks[static_cast<std::size_t>(m)].w, p.blocks[static_cast<std::size_t>(m)].spec, ac);
        INFO("macro " << m);
        CHECK(acc.macro(0, m).analog().programmed());
        CHECK(stat(acc.macro(0, m), "busy_time_s") == Approx(r.time_s).epsilon(1e-12));
        CHECK(stat(acc.macro(0, m), "programs") == 1.0);
        CHECK(acc.macro(0, m).actions().get(action::kCellWrite) == ac.get(action::kCellWrite));
    }
}

TEST_CASE("deferred programs: a failing solve is reported at its instruction like a refused program", "[tlm][chip][irdrop]") {
    const Config cfg = exact_chip();
    Accelerator acc("chip", cfg);
    // Refused at once: weights outside the 1-bit domain in block 1.
    Program refused = programs(cfg, {16, 12, 16});
    refused.blocks[1].w(0, 0) = 5;
    acc.load_program(refused, 2);
    const std::string at_once = run_error(acc);
    REQUIRE(!at_once.empty());
    CHECK_THAT(at_once, Catch::Contains("tile 0, instruction 1 (") && Catch::Contains("macro program failed"));
    // Block 1's solve fails while blocks 0 and 2 solve: the same error, at the same instruction.
    phys::ScopedTransferStore use(std::make_shared<test::FailingTransferStore>(12));
    acc.load_program(programs(cfg, {16, 12, 16}), 2);
    const std::string late = run_error(acc);
    INFO("refused at once: " << at_once << "\nfailed solve: " << late);
    CHECK(late == at_once);
}
