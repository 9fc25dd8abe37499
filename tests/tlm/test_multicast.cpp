// Multicast Load: the tiles of a group that load the same global slice get it from one
// global-buffer read and one interconnect transfer (bus: one occupancy; mesh: a tree of the
// XY routes), each writing its own local copy. Hand-written programs on four tiles, the
// same program with plain Loads for contrast; counts, energies and latencies against the
// analytic values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "models/noc/Interconnect.h"
#include "platform/accelerator/Accelerator.h"
#include "platform/report/EnergyModel.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {

constexpr int kTiles = 4, kWidth = 64, kBatch = 8;  // 8-bit input: 512 B per load

// Every tile: Layer 0, Load of the whole input into its own tensor, Store of it into its own
// column slice of the output (so the functional result shows every tile got the data).
Program fan_out(bool multicast) {
    Program p;
    p.tile_code.resize(kTiles);
    p.setup_code.resize(kTiles);
    const int in = add_tensor(p, "in", Location::Global, -1, 1, kWidth, 8);
    const int out = add_tensor(p, "out", Location::Global, -1, 1, kTiles * kWidth, 8);
    p.input_tensor = in;
    p.output_tensor = out;
    p.input_width = kWidth;
    p.output_width = kTiles * kWidth;
    for (int t = 0; t < kTiles; ++t) {
        auto& code = p.tile_code[static_cast<std::size_t>(t)];
        const int x = add_tensor(p, "x" + std::to_string(t), Location::Local, t, 1, kWidth, 8);
        Instr l;
        l.op = OpCode::Layer;
        l.layer = 0;
        code.push_back(l);
        Instr ld;
        ld.op = OpCode::Load;
        ld.src = in;
        ld.dst = x;
        ld.multicast = multicast;
        ld.peer = multicast ? 7 : -1;  // any group id
        ld.levels = multicast ? kTiles : 0;
        code.push_back(ld);
        Instr l1;  // the Load alone in layer 0, so its span is the Load's latency
        l1.op = OpCode::Layer;
        l1.layer = 1;
        code.push_back(l1);
        Instr st;
        st.op = OpCode::Store;
        st.src = x;
        st.dst = out;
        st.c0 = t * kWidth;
        code.push_back(st);
        code.push_back(Instr{});  // End
    }
    return p;
}

struct Run {
    std::vector<double> load_s;          // per tile: the Load's latency (layer 0, one sample of the run)
    double gbuf_read = 0, bus = 0, mesh = 0, gbuf_J = 0;
    std::vector<double> buf_write;       // per tile
    double max_err = 0;
    double multicast_loads = 0;
};

// Both chips of a comparison are built before the kernel starts (one elaboration per process).
struct Pair {
    Program pm = fan_out(true), pu = fan_out(false);
    Accelerator mc, uc;
    explicit Pair(const Config& cfg) : mc("mc", cfg), uc("uc", cfg) {
        mc.load_program(pm, kBatch);
        uc.load_program(pu, kBatch);
        sc_start(SC_ZERO_TIME);
    }
};

Run run(Accelerator& acc, const Program& p, const Config& cfg) {
    auto x = acc.gbuf.tensor(p.input_tensor);
    for (int s = 0; s < kBatch; ++s)
        for (int c = 0; c < kWidth; ++c) x(s, c) = static_cast<float>((s * 31 + c * 7) % 256);
    const Eigen::MatrixXf xin = x;
    acc.run_blocking(true);
    acc.run_blocking(false);
    Run r;
    const auto& y = acc.gbuf.tensor(p.output_tensor);
    for (int t = 0; t < kTiles; ++t) r.max_err = std::max(r.max_err, double((y.middleCols(t * kWidth, kWidth) - xin).cwiseAbs().maxCoeff()));
    for (auto& tile : acc.tiles) {
        const auto& st = tile.layer_sample_times()->at(0);
        REQUIRE(st.second == 1);
        r.load_s.push_back(st.first);
        r.buf_write.push_back(tile.buffer.actions().get(action::kBufWrite));
        for (const auto& s : tile.stats())
            if (s.name == "multicast_loads") r.multicast_loads += s.value;
    }
    r.gbuf_read = acc.gbuf.actions().get(action::kGbufRead);
    r.bus = acc.noc.actions().get(action::kBusByte);
    r.mesh = acc.noc.actions().get(action::kMeshLinkByte);
    if (cfg.tech.energy.count("gbuf_read_byte")) r.gbuf_J = report::EnergyModel(cfg).energy_J(acc.gbuf.actions());
    return r;
}

double cycles(double n, double hz) { return n / hz; }

}  // namespace

TEST_CASE("multicast Load on the bus: one read and one transfer for N local writes", "[tlm][multicast]") {
    Config cfg = small_config();
    cfg.chip.tiles = kTiles;
    cfg.tile.buffer_width_bytes = 64;  // the local write (8 cycles) hides under the transfer
    cfg.tech.energy["gbuf_read_byte"] = 3.75e-12;  // test table values (J per byte)
    cfg.tech.energy["gbuf_write_byte"] = 4.5e-12;
    Pair chips(cfg);
    const Run mc = run(chips.mc, chips.pm, cfg), uc = run(chips.uc, chips.pu, cfg);
    const double bytes = kBatch * kWidth;  // 8-bit values
    CHECK(mc.max_err == 0.0);
    CHECK(uc.max_err == 0.0);
    CHECK(mc.multicast_loads == kTiles);
    CHECK(uc.multicast_loads == 0);
    // The global buffer is read once instead of once per tile; each tile still writes its copy.
    CHECK(mc.gbuf_read == bytes);
    CHECK(uc.gbuf_read == kTiles * bytes);
    for (int t = 0; t < kTiles; ++t) CHECK(mc.buf_write[t] == bytes);
    CHECK(mc.buf_write == uc.buf_write);
    // The bus carries the data once: kTiles - 1 transfers fewer (instruction fetch and Stores equal).
    CHECK(uc.bus - mc.bus == (kTiles - 1) * bytes);
    // Energy = counts x table (the Stores write the same bytes in both).
    const double rd = report::EnergyModel(cfg).per_action_J("gbuf_read_byte");
    CHECK(rd == 3.75e-12);
    CHECK(mc.gbuf_J == Approx(bytes * 3.75e-12 + kTiles * bytes * 4.5e-12).epsilon(1e-12));  // 1 read, 4 Stores
    CHECK(uc.gbuf_J - mc.gbuf_J == Approx((kTiles - 1) * bytes * rd).epsilon(1e-12));

    // Latency: gbuf port ceil(B / gbuf_width) cycles, then one bus occupancy and the hop,
    // the same for every member. Plain Loads issued at the same time queue: the k-th
    // finishes k bus occupancies after the gbuf read of the first (port and bus both take
    // 16 cycles here).
    const auto& c = cfg.chip;
    const double g = std::ceil(bytes / c.gbuf_width_bytes), b = std::ceil(bytes * 8 / c.bus_width_bits);
    REQUIRE(g == b);
    const double w = std::ceil(bytes / cfg.tile.buffer_width_bytes) / cfg.tile.clock;  // local write, in parallel
    const double expect = std::max(cycles(g + b + c.hop_cycles, c.bus_clock), w);
    for (double s : mc.load_s) CHECK(s == Approx(expect).epsilon(1e-9));
    std::vector<double> got = uc.load_s;
    std::sort(got.begin(), got.end());
    for (int k = 0; k < kTiles; ++k)
        CHECK(got[k] == Approx(std::max(cycles(g + (k + 1) * b + c.hop_cycles, c.bus_clock), w)).epsilon(1e-9));
}

TEST_CASE("multicast Load on the mesh: the union of the XY routes with each link once", "[tlm][multicast][mesh]") {
    // 2 x 2 mesh, gbuf at router 0 with tile 0; tiles 1 (x1y0) and 2 (x0y1) one link away,
    // tile 3 (x1y1) two (E then S). The tree is {0E, 0S, 1S}: 3 links; plain Loads cross
    // 0 + 1 + 1 + 2 = 4.
    Config cfg = small_config();
    cfg.chip.tiles = kTiles;
    cfg.chip.interconnect = Topology::Mesh2d;
    cfg.tile.buffer_width_bytes = 64;
    Pair chips(cfg);
    const Run mc = run(chips.mc, chips.pm, cfg), uc = run(chips.uc, chips.pu, cfg);
    const double bytes = kBatch * kWidth;
    CHECK(mc.max_err == 0.0);
    CHECK(mc.gbuf_read == bytes);
    // Loads only differ in layer 0's link bytes; count them from the two runs' difference:
    // the Stores and the instruction fetch take the same routes in both.
    CHECK(uc.mesh - mc.mesh == (4 - 3) * bytes);
    const auto& c = cfg.chip;
    const double g = std::ceil(bytes / c.gbuf_width_bytes), occ = std::ceil(bytes * 8 / c.link_width_bits);
    const double w = std::ceil(bytes / cfg.tile.buffer_width_bytes) / cfg.tile.clock;
    const int hops[kTiles] = {0, 1, 1, 2};
    for (int t = 0; t < kTiles; ++t) {
        // gbuf read, then (hops + 1) router latencies and one link occupancy (cut-through).
        const double e = std::max(cycles(g + (hops[t] + 1) * c.link_hop_cycles + occ, c.bus_clock), w);
        INFO("tile " << t);
        CHECK(mc.load_s[t] == Approx(e).epsilon(1e-9));
    }
}

TEST_CASE("multicast Load: a group with a missing member is an error and not a hang", "[tlm][multicast]") {
    Config cfg = small_config();
    cfg.chip.tiles = kTiles;
    Accelerator acc("bad", cfg);
    Program p = fan_out(true);
    p.tile_code[3][1].multicast = false;  // tile 3 loads on its own: the group never completes
    p.tile_code[3][1].peer = -1;
    acc.load_program(p, kBatch);
    sc_start(SC_ZERO_TIME);
    acc.run_blocking(true);
    CHECK_THROWS_WITH(acc.run_blocking(false), Catch::Contains("multicast Load: group 7 can never complete"));
}
