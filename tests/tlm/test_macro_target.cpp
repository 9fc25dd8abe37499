// MramMacro as a TLM target: response status on every path, transport_dbg decode,
// busy-until queueing of overlapping requests.
#include <catch2/catch.hpp>

#include "models/macro/MramMacro.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;
namespace mm = sotsim::macro_map;

namespace {
struct Bench {
    Config cfg = small_config();
    Driver drv{"drv"};
    MramMacro macro{"macro", cfg, 0, 0};
    Bench() { drv.out.bind(macro.cfg); }
    tlm::tlm_response_status go(Access& a) {
        drv.out->b_transport(a.t, a.delay);
        return a.t.get_response_status();
    }
    tlm::tlm_response_status program(const Eigen::MatrixXi& w, const phys::BlockSpec& spec, sc_time* delay = nullptr) {
        using RowMajorI = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        RowMajorI buf = w;
        Access a(tlm::TLM_WRITE_COMMAND, mm::kWeightBase, buf.data(), static_cast<unsigned>(buf.size() * 4));
        a.t.set_extension(new mm::BlockSpecExtension(&spec));
        auto s = go(a);
        if (delay) *delay = a.delay;
        return s;
    }
    // A 16-row binary block of pattern weights over every logical column, programmed with
    // timing: its weights, column count and the time programming ends.
    struct Programmed {
        int lc = 0;
        Eigen::MatrixXi w;
        sc_time done;
    };
    Programmed program_pattern(int salt) {
        Programmed p;
        p.lc = phys::AnalogMacro::logical_cols(cfg, 1);
        p.w = pattern_weights(16, p.lc, salt);
        spec = binary_spec(16, p.lc);
        REQUIRE(program(p.w, spec, &p.done) == tlm::TLM_OK_RESPONSE);
        return p;
    }
    phys::BlockSpec spec;   // program_pattern's block
};
}  // namespace

TEST_CASE("macro: address, command, burst and unprogrammed errors", "[tlm][macro]") {
    Bench b;
    std::uint32_t v = 0;
    float x[16] = {};
    {  // outside every window
        Access a(tlm::TLM_READ_COMMAND, 0x3000000, &v, 4);
        CHECK(b.go(a) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
    {  // CSR hole beyond the last register
        Access a(tlm::TLM_READ_COMMAND, 0x100, &v, 4);
        CHECK(b.go(a) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
    {  // read-only register
        Access a(tlm::TLM_WRITE_COMMAND, mm::kRows, &v, 4);
        CHECK(b.go(a) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
    {  // wrong register width
        std::uint64_t w = 0;
        Access a(tlm::TLM_READ_COMMAND, mm::kId, &w, 8);
        CHECK(b.go(a) == tlm::TLM_BURST_ERROR_RESPONSE);
    }
    {  // reading the input window
        Access a(tlm::TLM_READ_COMMAND, mm::kInputBase, x, 64);
        CHECK(b.go(a) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
    {  // MVM before any program
        Access a(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x, 64);
        CHECK(b.go(a) == tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
    {  // weight write without a block description
        Access a(tlm::TLM_WRITE_COMMAND, mm::kWeightBase, x, 64);
        CHECK(b.go(a) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
    {  // byte enables are not supported
        unsigned char be[4] = {0xff, 0xff, 0xff, 0xff};
        Access a(tlm::TLM_READ_COMMAND, mm::kId, &v, 4);
        a.t.set_byte_enable_ptr(be);
        a.t.set_byte_enable_length(4);
        CHECK(b.go(a) == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    }
    {  // error counter saw every error above (8), status shows the error flag
        Access a(tlm::TLM_READ_COMMAND, mm::kErrorCount, &v, 4);
        REQUIRE(b.go(a) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 8);
        Access s(tlm::TLM_READ_COMMAND, mm::kStatus, &v, 4);
        REQUIRE(b.go(s) == tlm::TLM_OK_RESPONSE);
        CHECK((v & mm::kStatusError) != 0);
        CHECK((v & mm::kStatusProgrammed) == 0);
    }
    {  // input burst not a whole number of vectors, after programming
        const int lc = phys::AnalogMacro::logical_cols(b.cfg, 1);
        auto spec = binary_spec(16, lc);
        REQUIRE(b.program(pattern_weights(16, lc), spec) == tlm::TLM_OK_RESPONSE);
        Access a(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x, 60);
        CHECK(b.go(a) == tlm::TLM_BURST_ERROR_RESPONSE);
        Access o(tlm::TLM_READ_COMMAND, mm::kOutputBase, x, 4);  // no MVM yet: nothing to read
        CHECK(b.go(o) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
}

TEST_CASE("macro: transport_dbg uses the same decode", "[tlm][macro]") {
    Bench b;
    std::uint32_t v = 0;
    Access id(tlm::TLM_READ_COMMAND, mm::kId, &v, 4);
    CHECK(b.drv.out->transport_dbg(id.t) == 4);
    CHECK(v == mm::kIdValue);
    Access cols(tlm::TLM_READ_COMMAND, mm::kCols, &v, 4);
    CHECK(b.drv.out->transport_dbg(cols.t) == 4);
    CHECK(v == 16u);
    Access bad(tlm::TLM_READ_COMMAND, 0x3000000, &v, 4);
    CHECK(b.drv.out->transport_dbg(bad.t) == 0);
    CHECK(bad.t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    float x[16] = {};
    Access mvm(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x, 64);  // debug never computes
    CHECK(b.drv.out->transport_dbg(mvm.t) == 0);

    // Program with timing, then read the stored states back through the debug path.
    const int lc = phys::AnalogMacro::logical_cols(b.cfg, 1);
    const auto w = pattern_weights(16, lc, 3);
    auto spec = binary_spec(16, lc);
    REQUIRE(b.program(w, spec) == tlm::TLM_OK_RESPONSE);
    std::vector<std::int32_t> back(static_cast<std::size_t>(16 * lc));
    Access rd(tlm::TLM_READ_COMMAND, mm::kWeightBase, back.data(), static_cast<unsigned>(back.size() * 4));
    REQUIRE(b.drv.out->transport_dbg(rd.t) == back.size() * 4);
    for (int r = 0; r < 16; ++r)
        for (int c = 0; c < lc; ++c) CHECK(back[static_cast<std::size_t>(r * lc + c)] == w(r, c));
    // Reading past the programmed block is an address error.
    Access past(tlm::TLM_READ_COMMAND, mm::kWeightBase + back.size() * 4, &v, 4);
    CHECK(b.drv.out->transport_dbg(past.t) == 0);
    CHECK(past.t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_CASE("macro: exact MVM through the windows and busy-until queueing", "[tlm][macro]") {
    Bench b;
    const auto [lc, w, tprog] = b.program_pattern(1);
    REQUIRE(tprog > SC_ZERO_TIME);

    const int batch = 4;
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF x = pattern_inputs(batch, 16);
    // Two MVMs arriving at the same time (just after programming ends): the second queues.
    Access m1(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), static_cast<unsigned>(x.size() * 4));
    m1.delay = tprog;
    REQUIRE(b.go(m1) == tlm::TLM_OK_RESPONSE);
    const sc_time lat = m1.delay - tprog;
    REQUIRE(lat > SC_ZERO_TIME);
    Access m2(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), static_cast<unsigned>(x.size() * 4));
    m2.delay = tprog;
    REQUIRE(b.go(m2) == tlm::TLM_OK_RESPONSE);
    CHECK(m2.delay == tprog + lat + lat);

    RowMajorF y(batch, lc);
    Access rd(tlm::TLM_READ_COMMAND, mm::kOutputBase, y.data(), static_cast<unsigned>(y.size() * 4));
    REQUIRE(b.go(rd) == tlm::TLM_OK_RESPONSE);
    const Eigen::MatrixXf expect = x * w.cast<float>();
    CHECK((Eigen::MatrixXf(y) - expect).cwiseAbs().maxCoeff() < 1e-4f);

    // Counts: one ADC conversion per pair (or physical column) and vector per MVM (binary input).
    const double conv = 2.0 * batch * phys::AnalogMacro::adc_conversions(b.cfg, 1, lc);
    CHECK(b.macro.actions().get(action::kAdc) == Approx(conv));
    CHECK(b.macro.mvm_count() == 2);
    // Busy time = program + two MVMs + one control cycle for the output register read.
    const auto st = b.macro.stats();
    CHECK(st[0].value == Approx((tprog + lat + lat).to_seconds() + 1.0 / b.cfg.macro.clock));
}

TEST_CASE("macro: transport_dbg changes no state and draws no random numbers", "[tlm][macro]") {
    // Two macros with the same id share their random streams. One of them takes debug
    // writes (weights, a register) first; afterwards both are programmed and run the same
    // MVM with variation and read noise on: the results must be identical.
    Config cfg = small_config();
    cfg.sim.ideal = false;
    cfg.device.sigma_p = cfg.device.sigma_ap = 0.05;
    cfg.device.read_noise = 0.02;
    Driver da("da"), db("db"), dc("dc");
    MramMacro a("a", cfg, 7, 0), b("b", cfg, 7, 0), c("c", cfg, 8, 0);  // c: other streams
    da.out.bind(a.cfg);
    db.out.bind(b.cfg);
    dc.out.bind(c.cfg);
    const int lc = phys::AnalogMacro::logical_cols(cfg, 1);
    const auto w = pattern_weights(16, lc, 5);
    const auto spec = binary_spec(16, lc);
    using RowMajorI = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorI buf = w;
    {
        Access dbg(tlm::TLM_WRITE_COMMAND, mm::kWeightBase, buf.data(), static_cast<unsigned>(buf.size() * 4));
        dbg.t.set_extension(new mm::BlockSpecExtension(&spec));
        CHECK(da.out->transport_dbg(dbg.t) == 0);
        CHECK(dbg.t.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
        std::uint32_t clear = 1;
        Access ctl(tlm::TLM_WRITE_COMMAND, mm::kControl, &clear, 4);
        CHECK(da.out->transport_dbg(ctl.t) == 0);
        CHECK(ctl.t.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
        std::uint32_t st = 0;
        Access status(tlm::TLM_READ_COMMAND, mm::kStatus, &st, 4);
        CHECK(da.out->transport_dbg(status.t) == 4);
        CHECK((st & mm::kStatusProgrammed) == 0u);  // the debug write did not program it
    }
    auto program = [&](Driver& d) {
        RowMajorI wb = w;
        Access p(tlm::TLM_WRITE_COMMAND, mm::kWeightBase, wb.data(), static_cast<unsigned>(wb.size() * 4));
        p.t.set_extension(new mm::BlockSpecExtension(&spec));
        d.out->b_transport(p.t, p.delay);
        return p.t.get_response_status();
    };
    REQUIRE(program(da) == tlm::TLM_OK_RESPONSE);
    REQUIRE(program(db) == tlm::TLM_OK_RESPONSE);
    REQUIRE(program(dc) == tlm::TLM_OK_RESPONSE);
    auto run = [&](Driver& d) {
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x = pattern_inputs(8, 16, 2);
        Access in(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), static_cast<unsigned>(x.size() * 4));
        d.out->b_transport(in.t, in.delay);
        REQUIRE(in.t.get_response_status() == tlm::TLM_OK_RESPONSE);
        std::vector<float> y(static_cast<std::size_t>(8 * lc));
        Access out(tlm::TLM_READ_COMMAND, mm::kOutputBase, y.data(), static_cast<unsigned>(y.size() * 4));
        d.out->b_transport(out.t, out.delay);
        REQUIRE(out.t.get_response_status() == tlm::TLM_OK_RESPONSE);
        return y;
    };
    const std::vector<float> ya = run(da), yb = run(db);
    run(dc);
    CHECK(ya == yb);
    // The analog column currents carry the sampled conductances and the read noise: equal
    // for the same streams, different for another macro's (so randomness was in play).
    CHECK(a.analog().last_column_currents() == b.analog().last_column_currents());
    CHECK(a.analog().last_column_currents() != c.analog().last_column_currents());
    CHECK(a.analog().read_weights() == b.analog().read_weights());
    CHECK(a.stats()[4].value == 1);  // programs: the debug write did not count
}

TEST_CASE("macro: an input burst produced on demand reads as the data it stands for", "[tlm][macro]") {
    // InputSourceExtension (MacroMap.h): no data pointer, the vectors written by fill() in the
    // macro's blocks. 600 vectors: two whole blocks and a partial one, so a block offset taken
    // wrong would move vectors between rows of the result.
    Bench b;
    const auto [lc, w, tprog] = b.program_pattern(1);
    const int batch = 600;
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF x = pattern_inputs(batch, 16, 1);
    const unsigned bytes = static_cast<unsigned>(x.size() * 4);

    Access m1(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), bytes);
    m1.delay = tprog;
    REQUIRE(b.go(m1) == tlm::TLM_OK_RESPONSE);
    const sc_time lat1 = m1.delay - tprog;
    RowMajorF y1(batch, lc);
    Access r1(tlm::TLM_READ_COMMAND, mm::kOutputBase, y1.data(), static_cast<unsigned>(y1.size() * 4));
    REQUIRE(b.go(r1) == tlm::TLM_OK_RESPONSE);
    const double adc1 = b.macro.actions().get(action::kAdc);

    std::vector<std::pair<std::int64_t, std::int64_t>> calls;
    Access m2(tlm::TLM_WRITE_COMMAND, mm::kInputBase, nullptr, bytes);
    m2.t.set_extension(new mm::InputSourceExtension([&](std::int64_t v0, std::int64_t nv, float* out) {
        calls.emplace_back(v0, nv);
        std::copy(x.data() + v0 * 16, x.data() + (v0 + nv) * 16, out);
    }));
    const sc_time start = r1.delay;
    m2.delay = start;
    REQUIRE(b.go(m2) == tlm::TLM_OK_RESPONSE);
    RowMajorF y2(batch, lc);
    Access r2(tlm::TLM_READ_COMMAND, mm::kOutputBase, y2.data(), static_cast<unsigned>(y2.size() * 4));
    REQUIRE(b.go(r2) == tlm::TLM_OK_RESPONSE);

    CHECK(y2 == y1);
    CHECK((Eigen::MatrixXf(y1) - x * w.cast<float>()).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK(m2.delay - start == lat1);
    CHECK(b.macro.actions().get(action::kAdc) == Approx(2.0 * adc1));
    // Every vector produced once, in order.
    std::int64_t next = 0;
    for (const auto& [v0, nv] : calls) {
        CHECK(v0 == next);
        next = v0 + nv;
    }
    CHECK(next == batch);
    CHECK(calls.size() > 1);
}

TEST_CASE("macro: an output read in place gives the registers a copying read gives, with the same timing",
          "[tlm][macro]") {
    // OutputViewExtension (MacroMap.h): no data pointer; the macro points the extension at
    // its output registers at the read's offset. Read whole and from an offset (vector 37).
    Bench b;
    const auto [lc, w, tprog] = b.program_pattern(1);
    const int batch = 300;
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF x = pattern_inputs(batch, 16, 2);
    Access m(tlm::TLM_WRITE_COMMAND, mm::kInputBase, x.data(), static_cast<unsigned>(x.size() * 4));
    m.delay = tprog;
    REQUIRE(b.go(m) == tlm::TLM_OK_RESPONSE);

    RowMajorF copied(batch, lc);
    Access r1(tlm::TLM_READ_COMMAND, mm::kOutputBase, copied.data(), static_cast<unsigned>(copied.size() * 4));
    r1.delay = m.delay;
    REQUIRE(b.go(r1) == tlm::TLM_OK_RESPONSE);
    CHECK((Eigen::MatrixXf(copied) - x * w.cast<float>()).cwiseAbs().maxCoeff() < 1e-4f);

    sc_time at = r1.delay;
    for (const int first : {0, 37}) {
        INFO("first vector " << first);
        const int nv = batch - first;
        Access r2(tlm::TLM_READ_COMMAND, mm::kOutputBase + static_cast<std::uint64_t>(first) * lc * 4, nullptr,
                  static_cast<unsigned>(nv * lc * 4));
        auto* view = new mm::OutputViewExtension;
        r2.t.set_extension(view);
        r2.delay = at;
        REQUIRE(b.go(r2) == tlm::TLM_OK_RESPONSE);
        REQUIRE(view->rows != nullptr);
        CHECK(Eigen::Map<const RowMajorF>(view->rows, nv, lc) == copied.bottomRows(nv));
        CHECK(r2.delay - at == r1.delay - m.delay);   // the copying read's one cycle
        at = r2.delay;
    }
}
