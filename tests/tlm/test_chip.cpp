// The assembled chip: interconnect contention, macro overlap under dispatch/join,
// analytic action counts of a hand-written program, barrier semantics, the host flow.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_target_socket.h>

#include <functional>

#include "models/noc/Interconnect.h"
#include "models/pe/ReductionWidth.h"
#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;
namespace hm = sotsim::host_map;

namespace {
struct Initiator : sc_module {
    tlm_utils::simple_initiator_socket<Initiator> out{"out"};
    explicit Initiator(sc_module_name n) : sc_module(n) {}
};
// A target that answers instantly (so only the interconnect adds time).
struct InstantTarget : sc_module {
    tlm_utils::simple_target_socket<InstantTarget> in{"in"};
    explicit InstantTarget(sc_module_name n) : sc_module(n) {
        in.register_b_transport(this, &InstantTarget::bt);
    }
    void bt(tlm::tlm_generic_payload& t, sc_time&) { t.set_response_status(tlm::TLM_OK_RESPONSE); }
};

// One tile-0 program: input (B x 16, 1 bit) -> x; y_k = macro_k(x) etc.
struct ProgBuilder {
    Program p;
    int lc;
    explicit ProgBuilder(const Config& cfg) : lc(phys::AnalogMacro::logical_cols(cfg, 1)) {
        p.tile_code.resize(1);
        p.setup_code.resize(1);
    }
    int block(int macro, int salt) {
        WeightBlock b;
        b.w = pattern_weights(16, lc, salt);
        b.spec = binary_spec(16, lc);
        b.tile = 0;
        b.macro = macro;
        p.blocks.push_back(b);
        Instr in;
        in.op = OpCode::Program;
        in.block = static_cast<int>(p.blocks.size()) - 1;
        in.macro = macro;
        p.setup_code[0].push_back(in);
        return in.block;
    }
    std::vector<Instr>& code() { return p.tile_code[0]; }
    void op(OpCode o, int src, int dst, int src2 = -1) {
        Instr in;
        in.op = o;
        in.src = src;
        in.dst = dst;
        in.src2 = src2;
        code().push_back(in);
    }
    void mvm(int macro, int src, int dst, int c0, bool acc = false, float scale = 1.0f) {
        Instr in;
        in.op = OpCode::Mvm;
        in.macro = macro;
        in.src = src;
        in.dst = dst;
        in.c0 = c0;
        in.accumulate = acc;
        in.scale = scale;
        code().push_back(in);
    }
    void layer(int l, int tile = 0) {
        Instr in;
        in.op = OpCode::Layer;
        in.layer = l;
        p.tile_code[static_cast<std::size_t>(tile)].push_back(in);
    }
};
}  // namespace

TEST_CASE("interconnect: a shared bus adds exactly the computed wait", "[tlm][noc]") {
    Config cfg = small_config();
    Initiator a("a"), b("b");
    Interconnect noc("noc", cfg.chip);
    InstantTarget mem("mem");
    a.out.bind(noc.from_initiators);
    b.out.bind(noc.from_initiators);
    noc.to_targets.bind(mem.in);
    noc.map_target(0, 0x1000, 0x1000, "mem");
    sc_start(SC_ZERO_TIME);

    std::vector<unsigned char> buf(100);
    Access w1(tlm::TLM_WRITE_COMMAND, 0x1000, buf.data(), 100), w2(tlm::TLM_WRITE_COMMAND, 0x1100, buf.data(), 100);
    a.out->b_transport(w1.t, w1.delay);
    b.out->b_transport(w2.t, w2.delay);
    REQUIRE(w1.t.is_response_ok());
    REQUIRE(w2.t.is_response_ok());
    const sc_time cycle(1.0 / cfg.chip.bus_clock, SC_SEC);
    const double occ_cycles = std::ceil(100.0 * 8 / cfg.chip.bus_width_bits);   // 4 cycles of 256 bit
    const sc_time occ = cycle * occ_cycles, hop = cycle * cfg.chip.hop_cycles;
    CHECK(w1.delay == occ + hop);
    CHECK(w2.delay == occ + occ + hop);   // waited exactly one occupancy
    CHECK(noc.actions().get(action::kBusByte) == 200.0);

    // A transfer that arrives after the bus went idle does not wait.
    Access w3(tlm::TLM_WRITE_COMMAND, 0x1000, buf.data(), 100);
    w3.delay = occ * 3.0;
    a.out->b_transport(w3.t, w3.delay);
    CHECK(w3.delay == occ * 3.0 + occ + hop);

    Access bad(tlm::TLM_READ_COMMAND, 0x5000, buf.data(), 4);
    a.out->b_transport(bad.t, bad.delay);
    CHECK(bad.t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    Access straddle(tlm::TLM_READ_COMMAND, 0x1FFE, buf.data(), 4);   // crosses the end of the range
    a.out->b_transport(straddle.t, straddle.delay);
    CHECK(straddle.t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_CASE("chip: two macros dispatched in parallel overlap in time", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    ProgBuilder pb(cfg);
    const int B = 64, lc = pb.lc;
    pb.block(0, 1);
    pb.block(1, 2);
    auto& p = pb.p;
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);
    const int y0 = add_tensor(p, "y0", Location::Local, 0, 1, lc, 8);
    const int ya = add_tensor(p, "ya", Location::Local, 0, 1, lc, 8);
    const int yb = add_tensor(p, "yb", Location::Local, 0, 1, lc, 8);
    const int z = add_tensor(p, "z", Location::Local, 0, 1, lc, 8);
    p.input_tensor = in;
    pb.op(OpCode::Load, in, x);
    // Puts x on the PE's input lines first (and joins), so both layers below drive x
    // without a buffer read (input broadcast) and differ only in how many macros run.
    pb.mvm(0, x, ya, 0);
    pb.op(OpCode::Add, ya, z, ya);
    pb.layer(0);  // one macro, then a join
    pb.mvm(0, x, y0, 0);
    pb.op(OpCode::Add, y0, z, y0);
    pb.layer(1);  // two macros, then the same join
    pb.mvm(0, x, ya, 0);
    pb.mvm(1, x, yb, 0);
    pb.op(OpCode::Add, ya, z, yb);
    acc.load_program(p, B);
    acc.run_blocking(true);
    acc.run_blocking(false);

    auto& tile = acc.tiles[0];
    const auto& spans = *tile.layer_spans();
    const double t_one = spans.at(0).second - spans.at(0).first;
    const double t_two = spans.at(1).second - spans.at(1).first;
    auto& m1 = acc.macro(0, 1);
    REQUIRE(m1.mvm_count() == 1);
    // Latency of one MVM of this batch: macro 1 was busy for its program + one MVM.
    const double prog_s = m1.stats()[0].value;  // busy_time_s, includes program
    auto& m0 = acc.macro(0, 0);
    REQUIRE(m0.mvm_count() == 3);
    const double mvm_s = (m0.stats()[0].value - prog_s) / 2.0;  // same block size, same program time
    REQUIRE(mvm_s > 0);
    INFO("one macro " << t_one << " s, two macros " << t_two << " s, MVM " << mvm_s << " s");
    CHECK(t_two >= t_one);
    CHECK(t_two < t_one + 0.25 * mvm_s);       // close to the max ...
    CHECK(t_two < t_one + 0.5 * mvm_s);        // ... and clearly not the sum t_one + mvm_s
}

TEST_CASE("chip: action counts of a hand-written program equal analytic counts", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    ProgBuilder pb(cfg);
    const int B = 8, lc = pb.lc;
    pb.block(0, 1);
    pb.block(1, 5);
    auto& p = pb.p;
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, lc, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);
    const int y = add_tensor(p, "y", Location::Local, 0, 1, lc, 32);
    const int r = add_tensor(p, "r", Location::Local, 0, 1, lc, 32);
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = 16;
    p.output_width = lc;
    pb.layer(0);
    pb.op(OpCode::Load, in, x);
    pb.mvm(0, x, y, 0);                          // y  = W0 x
    pb.mvm(1, x, y, 0, true, 0.5f);              // y += 0.5 W1 x
    Instr act;
    act.op = OpCode::Activation;
    act.act = ActKind::Relu;
    act.src = y;
    act.dst = r;
    pb.code().push_back(act);
    pb.op(OpCode::Store, r, out);
    acc.load_program(p, B);
    sc_start(SC_ZERO_TIME);  // finish elaboration: multi-sockets resolve their bindings

    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF xin = pattern_inputs(B, 16, 2);
    Access wr(tlm::TLM_WRITE_COMMAND, acc.tensor_address(in), xin.data(), static_cast<unsigned>(xin.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(wr.t) == xin.size() * 4);  // debug load of inputs
    acc.run_blocking(true);
    acc.run_blocking(false);

    // Functional result (ideal analog path is exact).
    RowMajorF got(B, lc);
    Access rd(tlm::TLM_READ_COMMAND, acc.tensor_address(out), got.data(), static_cast<unsigned>(got.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == got.size() * 4);
    const Eigen::MatrixXf xf = xin;
    const Eigen::MatrixXf expect =
        (xf * p.blocks[0].w.cast<float>() + 0.5f * xf * p.blocks[1].w.cast<float>()).cwiseMax(0.0f);
    CHECK((Eigen::MatrixXf(got) - expect).cwiseAbs().maxCoeff() < 1e-4f);

    const double n_x = B * 16, n_y = B * lc;
    auto& tile = acc.tiles[0];
    // Digital unit: 0.5 scale (mult) and accumulation (add) of the second MVM, ReLU compares.
    CHECK(tile.actions().get(action::kDigitalMult) == n_y);
    CHECK(tile.actions().get(action::kDigitalAdd) == n_y);
    CHECK(tile.actions().get(action::kDigitalCompare) == n_y);
    // Local buffer bytes at modelled precision: x is 1 bit, y and r 32 bit.
    const double x_bytes = n_x / 8, y_bytes = n_y * 4;
    CHECK(tile.buffer.actions().get(action::kBufWrite) == Approx(x_bytes + 2 * y_bytes + y_bytes));
    //   reads: x once (the PE broadcasts it to both macros), y once for accumulation, y by
    //   ReLU, r by Store
    CHECK(tile.buffer.actions().get(action::kBufRead) == Approx(x_bytes + y_bytes + y_bytes + y_bytes));
    // Instruction fetch: SETUP fetches the setup stream and then the RUN stream (33-word
    // records, no parameters) from program memory into the instruction buffer; each issue
    // reads its record from the buffer.
    const double setup_n = static_cast<double>(p.setup_code[0].size()), run_n = static_cast<double>(p.tile_code[0].size());
    const double fetch_bytes = 4.0 * 33 * (setup_n + run_n);
    CHECK(tile.actions().get(action::kInstrWord) == Approx(2 * 33 * (setup_n + run_n)));  // written, then read
    double fetch_words = -1;
    for (const auto& st : tile.stats())
        if (st.name == "fetch_words") fetch_words = st.value;
    CHECK(fetch_words == Approx(33 * (setup_n + run_n)));
    // Interconnect: weights of two blocks at 1 bit (setup), instructions, input load, output store.
    const double w_bytes = 2.0 * std::ceil(16.0 * lc / 8);
    CHECK(acc.noc.actions().get(action::kBusByte) == Approx(w_bytes + fetch_bytes + x_bytes + y_bytes));
    CHECK(acc.gbuf.actions().get(action::kGbufRead) == Approx(x_bytes));
    CHECK(acc.gbuf.actions().get(action::kGbufWrite) == Approx(y_bytes));
    CHECK(acc.progmem.actions().get(action::kGbufRead) == Approx(w_bytes + fetch_bytes));
    // Macros: one conversion per differential pair (or physical column) and vector, one MVM each.
    const double conv = B * phys::AnalogMacro::adc_conversions(cfg, 1, lc);
    CHECK(acc.macro(0, 0).actions().get(action::kAdc) == conv);
    CHECK(acc.macro(0, 1).actions().get(action::kAdc) == conv);
    // Everything of the run is attributed to layer 0.
    REQUIRE(tile.layer_actions()->count(0) == 1);
    CHECK(tile.layer_actions()->at(0).get(action::kDigitalAdd) == n_y);
    CHECK(acc.macro(0, 1).layer_actions()->at(0).get(action::kAdc) == conv);
}

TEST_CASE("chip: a barrier releases every tile at the latest arrival", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    Program p;
    p.tile_code.resize(2);
    const int B = 16;
    const int big0 = add_tensor(p, "big0", Location::Local, 0, 1, 512, 32);
    const int big1 = add_tensor(p, "big1", Location::Local, 0, 1, 512, 32);
    const int s0 = add_tensor(p, "s0", Location::Local, 1, 1, 4, 32);
    const int s1 = add_tensor(p, "s1", Location::Local, 1, 1, 4, 32);
    auto push = [&](int tile, OpCode op, int a = -1, int d = -1, int l = -1) {
        Instr in;
        in.op = op;
        in.src = a;
        in.dst = d;
        in.layer = l;
        in.act = ActKind::Sigmoid;
        p.tile_code[static_cast<std::size_t>(tile)].push_back(in);
    };
    push(0, OpCode::Layer, -1, -1, 0);
    push(0, OpCode::Activation, big0, big1);  // long: 8192 sigmoids
    push(0, OpCode::Barrier);
    push(0, OpCode::Layer, -1, -1, 1);
    push(0, OpCode::Activation, big1, big0);
    push(1, OpCode::Layer, -1, -1, 0);
    push(1, OpCode::Activation, s0, s1);      // short
    push(1, OpCode::Barrier);
    push(1, OpCode::Layer, -1, -1, 1);
    push(1, OpCode::Activation, s1, s0);
    acc.load_program(p, B);
    acc.run_blocking(true);  // SETUP: the tiles fetch their streams into their instruction buffers
    const double t0 = sc_time_stamp().to_seconds();
    acc.run_blocking(false);

    std::map<int, std::pair<double, double>> sp0 = *acc.tiles[0].layer_spans(), sp1 = *acc.tiles[1].layer_spans();
    for (auto* sp : {&sp0, &sp1})
        for (auto& [l, s] : *sp) s = {s.first - t0, s.second - t0};
    // Tile 0's long activation: digital unit time (B*512 / lanes cycles) vs buffer ports.
    const double cyc = 1.0 / cfg.tile.clock;
    const double dig = std::ceil(B * 512.0 / cfg.tile.digital_lanes) * cyc;
    const double port = std::ceil(B * 512.0 * 4 / cfg.tile.buffer_width_bytes) * cyc;
    const double t_long = std::max(dig, port);
    CHECK(sp0.at(0).second == Approx(t_long).epsilon(1e-9));
    CHECK(sp1.at(0).second < t_long);
    // Both tiles start layer 1 exactly when the last one reached the barrier.
    CHECK(sp1.at(1).first == Approx(t_long).epsilon(1e-9));
    CHECK(sp0.at(1).first == Approx(t_long).epsilon(1e-9));
}

namespace {
struct Host : sc_module {
    tlm_utils::simple_initiator_socket<Host> out{"out"};
    Accelerator& acc;
    std::vector<float> input, output;
    std::uint32_t status = 0;
    bool irq_seen = false;
    sc_signal<bool> irq_line{"irq_line"};  // the platform's wire, driven by the chip's irq port
    SC_HAS_PROCESS(Host);
    Host(sc_module_name n, Accelerator& a) : sc_module(n), acc(a) {
        acc.irq.bind(irq_line);
        SC_THREAD(run);
    }
    std::uint32_t csr(std::uint32_t reg) {
        std::uint32_t v = 0;
        Access a(tlm::TLM_READ_COMMAND, hm::kCsrBase + reg, &v, 4);
        out->b_transport(a.t, a.delay);
        wait(a.delay);
        return v;
    }
    void csr_write(std::uint32_t reg, std::uint32_t v) {
        Access a(tlm::TLM_WRITE_COMMAND, hm::kCsrBase + reg, &v, 4);
        out->b_transport(a.t, a.delay);
        wait(a.delay);
    }
    void run() {
        csr_write(hm::kIrqEnable, 1);
        csr_write(hm::kControl, hm::kCtrlSetup);
        wait(acc.done_event());
        csr_write(hm::kIrqStatus, 1);
        const std::uint32_t in_addr = csr(hm::kInputAddr), out_addr = csr(hm::kOutputAddr);
        Access w(tlm::TLM_WRITE_COMMAND, in_addr, input.data(), static_cast<unsigned>(input.size() * 4));
        out->b_transport(w.t, w.delay);
        wait(w.delay);
        csr_write(hm::kControl, hm::kCtrlRun);
        wait(irq_line.posedge_event());
        irq_seen = true;
        status = csr(hm::kStatus);
        Access r(tlm::TLM_READ_COMMAND, out_addr, output.data(), static_cast<unsigned>(output.size() * 4));
        out->b_transport(r.t, r.delay);
        wait(r.delay);
    }
};
}  // namespace

TEST_CASE("chip: host drives setup and run through the host socket and waits on irq", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    ProgBuilder pb(cfg);
    const int B = 4, lc = pb.lc;
    pb.block(1, 9);
    auto& p = pb.p;
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 16, 1);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, lc, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);
    const int y = add_tensor(p, "y", Location::Local, 0, 1, lc, 32);
    p.input_tensor = in;
    p.output_tensor = out;
    pb.op(OpCode::Load, in, x);
    pb.mvm(1, x, y, 0);
    pb.op(OpCode::Store, y, out);
    acc.load_program(p, B);
    Host host("host", acc);
    host.out.bind(acc.host);
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> xin = pattern_inputs(B, 16, 4);
    host.input.assign(xin.data(), xin.data() + xin.size());
    host.output.assign(static_cast<std::size_t>(B * lc), -99.0f);
    sc_start();
    REQUIRE(host.irq_seen);
    CHECK(host.status == hm::kStatusDone);
    const Eigen::MatrixXf expect = Eigen::MatrixXf(xin) * p.blocks[0].w.cast<float>();
    for (int b = 0; b < B; ++b)
        for (int c = 0; c < lc; ++c) CHECK(host.output[static_cast<std::size_t>(b * lc + c)] == Approx(expect(b, c)));
    CHECK(acc.last_run_end() > acc.last_run_start());
}

namespace {

// One Mvm on a macro that was never programmed: the chip must report it as an error.
Program faulty_program() {
    Program p;
    p.tile_code.resize(1);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 32);
    const int y = add_tensor(p, "y", Location::Local, 0, 1, 8, 32);
    Instr mvm;
    mvm.op = OpCode::Mvm;
    mvm.macro = 0;  // never programmed
    mvm.src = x;
    mvm.dst = y;
    p.tile_code[0].push_back(mvm);
    return p;
}

}  // namespace

// The run part alone: under ASan this case reports a false positive (the exception unwinds
// through SystemC's coroutine stacks; README, "asan"), so the load-time checks are a case
// of their own that ASan does run.
TEST_CASE("chip: a faulty program sets STATUS.ERROR with a message", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    acc.load_program(faulty_program(), 2);
    CHECK_THROWS_WITH(acc.run_blocking(false), Catch::Contains("tile 0, instruction 0 (Mvm)") &&
                                                   Catch::Contains("no programmed block"));
    std::uint32_t v = 0;
    Access st(tlm::TLM_READ_COMMAND, hm::kStatus, &v, 4);
    REQUIRE(acc.host.get_base_export()->transport_dbg(st.t) == 4);
    CHECK(v == (hm::kStatusDone | hm::kStatusError));
}

TEST_CASE("chip: programs that do not fit the chip are rejected at load time", "[tlm][chip]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    const Program p = faulty_program();
    acc.load_program(p, 2);  // fits: the fault only shows when it runs
    Program big = p;
    big.tensors[0].width = 1 << 20;   // 4 MiB per sample > 64 KiB local buffer
    CHECK_THROWS_WITH(acc.load_program(big, 2), Catch::Contains("local buffer"));
    Program far = p;
    far.tile_code.resize(3);
    CHECK_THROWS_WITH(acc.load_program(far, 2), Catch::Contains("3 tile streams"));
}

TEST_CASE("chip: elaborates chip.tiles x tile.macros macros (myung-sized, 72)", "[tlm][chip]") {
    Config cfg;  // 256x256 arrays
    cfg.chip.tiles = 9;
    cfg.tile.macros = 8;
    Accelerator acc("chip", cfg);
    int macros = 0;
    std::function<void(sc_object*)> walk = [&](sc_object* o) {
        if (auto* s = dynamic_cast<StatsSource*>(o); s && s->component_kind() == "macro") ++macros;
        for (auto* c : o->get_child_objects()) walk(c);
    };
    walk(&acc);
    CHECK(macros == 72);
    CHECK(std::string(acc.macro(8, 7).name()) == "chip.tile8.macro7");
    CHECK(acc.macro(8, 7).macro_id() == 71);
    CHECK(acc.macro(8, 7).area_items().at("mtj_cell") == 256.0 * 256.0);
}

TEST_CASE("pe: row-block partial sums reduce in the adder tree at the needed width, inputs broadcast",
          "[tlm][chip][pe]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    ProgBuilder pb(cfg);
    const int B = 8, lc = pb.lc;
    pb.block(0, 1);  // rows 0..15 of a 32-row layer
    pb.block(1, 4);  // rows 16..31
    auto& p = pb.p;
    pe::ReductionShape shape;
    shape.rows = 32;
    shape.blocks = 2;
    const int bits = pe::reduction_bits(cfg, shape);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, 32, 1);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, lc, 32);
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 32, 1);
    const int acc_t = add_tensor(p, "acc", Location::Pe, 0, 1, lc, bits);
    const int r = add_tensor(p, "r", Location::Local, 0, 1, lc, 32);
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = 32;
    p.output_width = lc;
    pb.layer(0);
    pb.op(OpCode::Load, in, x);
    pb.mvm(0, x, acc_t, 0);                 // acc  = x[:, 0:16]  W0
    pb.mvm(1, x, acc_t, 0, true);           // acc += x[:, 16:32] W1  (in the PE)
    pb.code().back().r0 = 16;
    pb.code().back().rows = 16;
    pb.code()[pb.code().size() - 2].rows = 16;
    Instr act;
    act.op = OpCode::Activation;
    act.act = ActKind::Relu;
    act.src = acc_t;
    act.dst = r;
    pb.code().push_back(act);
    pb.op(OpCode::Store, r, out);
    acc.load_program(p, B);
    sc_start(SC_ZERO_TIME);

    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMajorF xin = pattern_inputs(B, 32, 3);
    Access wr(tlm::TLM_WRITE_COMMAND, acc.tensor_address(in), xin.data(), static_cast<unsigned>(xin.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(wr.t) == xin.size() * 4);
    acc.run_blocking(true);
    acc.run_blocking(false);

    RowMajorF got(B, lc);
    Access rd(tlm::TLM_READ_COMMAND, acc.tensor_address(out), got.data(), static_cast<unsigned>(got.size() * 4));
    REQUIRE(acc.host.get_base_export()->transport_dbg(rd.t) == got.size() * 4);
    const Eigen::MatrixXf xf = xin;
    const Eigen::MatrixXf expect = (xf.leftCols(16) * p.blocks[0].w.cast<float>() +
                                    xf.rightCols(16) * p.blocks[1].w.cast<float>()).cwiseMax(0.0f);
    CHECK((Eigen::MatrixXf(got) - expect).cwiseAbs().maxCoeff() < 1e-4f);

    auto& tile = acc.tiles[0];
    const double n_y = B * lc;
    // Both partial sums pass one adder each, at the reduction width; none in the digital unit.
    CHECK(tile.pe.actions().get(action::kPeAddBit) == 2 * n_y * bits);
    CHECK(tile.actions().get(action::kDigitalAdd) == 0);
    // Buffer: x written by Load and read once per half; acc never touches SRAM; r written
    // by ReLU and read by Store.
    const double x_bytes = B * 32 / 8.0, r_bytes = n_y * 4;
    CHECK(tile.buffer.actions().get(action::kBufWrite) == Approx(x_bytes + r_bytes));
    CHECK(tile.buffer.actions().get(action::kBufRead) == Approx(x_bytes + r_bytes));
    // Adder-tree time: ceil(B*lc / adders) tile cycles per partial-sum batch.
    const double cyc = 1.0 / cfg.tile.clock;
    CHECK(tile.pe.stats()[0].value == Approx(2 * std::ceil(n_y / cfg.pe.adders) * cyc).epsilon(1e-9));
}

TEST_CASE("pe: macros reading the same input slice share one buffer read (input broadcast)", "[tlm][chip][pe]") {
    Config cfg = small_config();
    Accelerator acc("chip", cfg);
    ProgBuilder pb(cfg);
    const int B = 8, lc = pb.lc;
    pb.block(0, 1);
    pb.block(1, 4);
    auto& p = pb.p;
    const int x = add_tensor(p, "x", Location::Local, 0, 1, 16, 1);
    const int a = add_tensor(p, "a", Location::Pe, 0, 1, lc, 8);
    const int b = add_tensor(p, "b", Location::Pe, 0, 1, lc, 8);
    pb.layer(0);
    pb.mvm(0, x, a, 0);   // two column blocks of one layer, same input rows
    pb.mvm(1, x, b, 0);
    acc.load_program(p, B);
    acc.run_blocking(true);
    acc.run_blocking(false);
    auto& tile = acc.tiles[0];
    CHECK(tile.buffer.actions().get(action::kBufRead) == Approx(B * 16 / 8.0));  // once, not twice
    CHECK(tile.pe.stats()[2].value == 1);                                          // broadcast_hits
    CHECK(acc.macro(0, 0).mvm_count() == 1);
    CHECK(acc.macro(0, 1).mvm_count() == 1);
}
