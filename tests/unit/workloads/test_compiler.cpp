// Compiler: weight-grid recovery, placement, tiling counts, readout folding, padding
// correction and the quantized reference network.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <cmath>
#include <random>

#include "models/physics/AnalogMacro.h"
#include "workloads/compiler/Compiler.h"
#include "workloads/compiler/InputDomain.h"
#include "workloads/compiler/LayerAnalysis.h"
#include "workloads/compiler/Placement.h"
#include "workloads/compiler/WeightQuantizer.h"
#include "workloads/import/FloatEvaluator.h"
#include "workloads/import/WorkloadError.h"

using namespace sotsim;
using namespace sotsim::workloads;

namespace {

Tensor tensor(Shape shape, std::vector<float> data) { return Tensor{std::move(shape), std::move(data)}; }

// input {in} -> Sign(x - 0.5) -> Dense(+-1, out1) -> BN -> Sign -> Dense(+-1, out2) -> BN
Network binary_mlp(int in, int h, int out, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> bit(0, 1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    Network net;
    net.source = "test.onnx";
    auto value = [&](const std::string& name, Shape s) {
        net.values.push_back(Value{name, std::move(s), static_cast<int>(net.nodes.size())});
        return static_cast<int>(net.values.size()) - 1;
    };
    net.values.push_back(Value{"input", {in}, -1});
    net.input = 0;
    int v = 0;
    auto add = [&](Node n, Shape s) {
        n.inputs = {v};
        n.output = value(n.name, std::move(s));
        net.nodes.push_back(std::move(n));
        v = net.nodes.back().output;
    };
    Node sub;
    sub.name = "sub";
    sub.kind = OpKind::SubConst;
    sub.operand.value = tensor({}, {0.5f});
    add(sub, {in});
    Node sg;
    sg.name = "sign0";
    sg.kind = OpKind::Sign;
    add(sg, {in});
    auto dense = [&](const std::string& name, int k, int n) {
        Node d;
        d.name = name;
        d.kind = OpKind::Dense;
        std::vector<float> w(static_cast<std::size_t>(k) * n);
        for (auto& x : w) x = bit(rng) ? 1.0f : -1.0f;
        d.dense.weight = tensor({n, k}, w);
        d.dense.bias = tensor({n}, std::vector<float>(static_cast<std::size_t>(n), 0.0f));
        add(d, {n});
        Node bn;
        bn.name = name + "_bn";
        bn.kind = OpKind::BatchNorm;
        std::vector<float> sc(n), bi(n), mu(n), var(n);
        for (int i = 0; i < n; ++i) {
            sc[i] = nd(rng);  // negative scales too: the compiler must flip those columns
            bi[i] = nd(rng);
            mu[i] = nd(rng) * 3.0f;
            var[i] = 1.0f + std::fabs(nd(rng)) * 10.0f;
        }
        bn.batchnorm.scale = tensor({n}, sc);
        bn.batchnorm.bias = tensor({n}, bi);
        bn.batchnorm.mean = tensor({n}, mu);
        bn.batchnorm.var = tensor({n}, var);
        add(bn, {n});
    };
    dense("fc1", in, h);
    Node s1;
    s1.name = "sign1";
    s1.kind = OpKind::Sign;
    add(s1, {h});
    dense("fc2", h, out);
    net.output = v;
    return net;
}

Config small_chip(int rows, int cols, int tiles, int macros) {
    Config c;
    c.array.rows = rows;
    c.array.cols = cols;
    c.chip.tiles = tiles;
    c.tile.macros = macros;
    c.macro.weight_bits = 1;
    c.periphery.input.bits = 1;
    return c;
}

int count_ops(const Program& p, OpCode op) {
    int n = 0;
    for (const auto& code : p.tile_code)
        for (const Instr& in : code) n += in.op == op;
    return n;
}

// Layer by layer, a first layer on several tiles runs its input ops once and stores the
// result as the global tensor "<layer>.in" (one more barrier before the tiles load it).
bool shared_input_ops(const CompiledModel& m) {
    for (const TensorDecl& d : m.program.tensors)
        if (d.where == Location::Global && d.name == m.layers.at(0).name + ".in") return true;
    return false;
}

// What `sotsim run` scans from MNIST-style data: pixels k/255.
AnalysisOptions pixels() {
    AnalysisOptions o;
    o.input.kind = InputDomain::Kind::Grid;
    o.input.lo = 0;
    o.input.hi = 1;
    o.input.step = 1.0 / 255;
    o.input.levels = 255;
    o.input.source = "test pixels";
    return o;
}

}  // namespace

TEST_CASE("weight grids of QAT exports are recovered exactly", "[compiler]") {
    Eigen::MatrixXf binary(3, 4);
    binary << 0.25f, -0.25f, 0.25f, 0.25f, -0.25f, -0.25f, 0.25f, -0.25f, 0.25f, 0.25f, -0.25f, 0.25f;
    const QuantizedWeights b = quantize_weights(binary, 4);
    CHECK(b.bits == 1);
    CHECK(b.max_scale() == Approx(0.25f));
    CHECK_FALSE(b.per_channel);
    CHECK(b.on_grid);
    CHECK((b.q.cast<float>() * b.max_scale() - binary).cwiseAbs().maxCoeff() == 0.0f);

    std::mt19937 rng(5);
    std::uniform_int_distribution<int> q7(-7, 7);
    Eigen::MatrixXf w4(16, 16);
    Eigen::MatrixXi q(16, 16);
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) q(i, j) = q7(rng);
    q(0, 0) = 7;  // the grid's extreme is present, as in a trained layer
    w4 = q.cast<float>() * 0.0371f;
    const QuantizedWeights f = quantize_weights(w4, 1);
    CHECK(f.bits == 4);
    CHECK(f.on_grid);
    CHECK(f.q == q);

    Eigen::MatrixXf real = Eigen::MatrixXf::Random(8, 8);
    const QuantizedWeights p = quantize_weights(real, 3);
    CHECK_FALSE(p.on_grid);
    CHECK(p.bits == 3);
    CHECK(p.q.cwiseAbs().maxCoeff() <= 3);
    // Post-training quantization error is at most half a step.
    CHECK(p.max_rel_error <= 0.5f / 3.0f + 1e-6f);
}

TEST_CASE("placement keeps a unit's row blocks on one tile and falls back to time multiplexing", "[compiler]") {
    std::vector<std::vector<UnitDemand>> demand = {{{0, 0, 3}, {0, 1, 3}}, {{1, 0, 2}}};
    const PlacementPlan fit = place_units(demand, 2, 5);
    REQUIRE(fit.resident);
    CHECK(fit.units[0][0].tile != fit.units[0][1].tile);  // spread for parallelism
    for (const auto& layer : fit.units)
        for (const auto& u : layer) CHECK(u.macros.size() > 0);
    // Each tile's macros are used at most once.
    std::vector<std::vector<int>> used(2);
    for (std::size_t l = 0; l < demand.size(); ++l)
        for (const auto& u : fit.units[l])
            for (int m : u.macros) used[u.tile].push_back(m);
    for (auto& t : used) {
        std::sort(t.begin(), t.end());
        CHECK(std::adjacent_find(t.begin(), t.end()) == t.end());
        CHECK(t.size() <= 5);
    }
    const PlacementPlan tight = place_units(demand, 2, 2);
    CHECK_FALSE(tight.resident);
    CHECK(tight.units[0][0].tile == 0);
    CHECK(tight.units[0][1].tile == 1);
}

TEST_CASE("tiling counts blocks from the array geometry and the MACs add up", "[compiler]") {
    const Network net = binary_mlp(100, 40, 10, 1);
    Config cfg = small_chip(32, 32, 4, 8);
    cfg.chip.dataflow = Dataflow::LayerByLayer;
    const CompiledModel m = compile_network(net, cfg, pixels());
    REQUIRE(m.layers.size() == 2);
    const int R = phys::AnalogMacro::logical_rows(cfg, 1), C = phys::AnalogMacro::logical_cols(cfg, 1);
    CHECK(m.layers[0].row_blocks == (100 + R - 1) / R);
    CHECK(m.layers[0].col_blocks == (40 + C - 1) / C);
    CHECK(m.layers[1].row_blocks == (40 + R - 1) / R);
    std::int64_t macs = 0;
    for (const auto& l : m.layers) macs += l.macs_per_sample;
    CHECK(macs == net.macs_per_sample());
    CHECK(m.resident);
    CHECK(m.program.blocks.size() == static_cast<std::size_t>(m.layers[0].blocks + m.layers[1].blocks));
    // Resident: programs only in the setup streams, one Mvm per block per run.
    CHECK(count_ops(m.program, OpCode::Program) == 0);
    CHECK(count_ops(m.program, OpCode::Mvm) == static_cast<int>(m.program.blocks.size()));
    // Every tile synchronises once per layer, and once more after the shared input ops.
    CHECK(shared_input_ops(m));  // fc1's two column blocks are on two tiles
    for (const auto& code : m.program.tile_code) {
        int barriers = 0;
        for (const Instr& in : code) barriers += in.op == OpCode::Barrier;
        CHECK(barriers == 3);
    }
}

TEST_CASE("pipelined: each layer on its own tiles, activations sent tile to tile, no barrier", "[compiler][pipeline]") {
    const Network net = binary_mlp(100, 40, 10, 1);
    const Config cfg = small_chip(32, 32, 4, 8);  // chip.dataflow defaults to pipelined
    const CompiledModel m = compile_network(net, cfg, pixels());
    REQUIRE(m.pipelined);
    REQUIRE(m.program.streamed);
    REQUIRE(m.layers.size() == 2);
    CHECK(count_ops(m.program, OpCode::Barrier) == 0);
    // Stage tiles are disjoint and every tile of a stage holds work of that layer only.
    std::vector<std::set<int>> layer_tiles(2);
    for (const WeightBlock& b : m.program.blocks) layer_tiles[static_cast<std::size_t>(b.layer)].insert(b.tile);
    for (int t : layer_tiles[0]) CHECK(layer_tiles[1].count(t) == 0);
    CHECK(static_cast<int>(layer_tiles[0].size() + layer_tiles[1].size()) <= cfg.chip.tiles);
    // Every column block of layer 0 goes to every tile of layer 1, once per sample.
    const int sends = count_ops(m.program, OpCode::Send), receives = count_ops(m.program, OpCode::Receive);
    CHECK(sends == m.layers[0].col_blocks * static_cast<int>(layer_tiles[1].size()));
    CHECK(receives == sends);
    // Only the network input and output live in the global buffer.
    int globals = 0;
    for (const TensorDecl& d : m.program.tensors) globals += d.where == Location::Global;
    CHECK(globals == 2);
    CHECK(format_mapping(m, cfg).find("dataflow: pipelined") != std::string::npos);
}

TEST_CASE("pipelined stages: spare tiles go to the stage with the most work per sample", "[compiler][pipeline]") {
    // Layer 0 has 4 column blocks of 10 ops each, layer 1 one block of 30: the spare tiles
    // halve layer 0's busiest tile (40 -> 20), which is then below layer 1's 30.
    std::vector<StageDemand> d = {{4, 1, 10.0}, {1, 1, 30.0}};
    const PlacementPlan p = place_stages(d, 4, 4);
    REQUIRE(p.resident);
    REQUIRE(p.stage_tiles.size() == 2);
    CHECK(p.stage_tiles[0] == std::vector<int>{0, 1, 2});
    CHECK(p.stage_tiles[1] == std::vector<int>{3});
    CHECK(p.units[0][0].tile == 0);
    CHECK(p.units[0][3].tile == 0);  // round robin: tile 0 holds units 0 and 3
    CHECK(p.units[1][0].tile == 3);
    // More stages than tiles: no pipelined placement.
    CHECK_FALSE(place_stages({{1, 1, 1.0}, {1, 1, 1.0}, {1, 1, 1.0}}, 2, 4).resident);
    // A unit needs more macros than a tile has: no placement either.
    CHECK_FALSE(place_stages({{1, 5, 1.0}}, 2, 4).resident);
}

TEST_CASE("pipelined stages that do not fit: small layers resident, spare tiles cut the rounds", "[compiler][pipeline]") {
    // The demo's shape: layer 0 has 8 units of 13 row blocks (104 blocks), layer 1 one unit
    // of 4, on 9 tiles of 8 macros. Layer 1 is resident on one tile; layer 0 gets the other
    // 8, one unit each: 13 blocks per tile in ceil(13 / 8) = 2 rounds.
    const PlacementPlan p = place_multiplexed_stages({{8, 13, 10.0}, {1, 4, 10.0}}, 9, 8);
    REQUIRE(p.resident);
    CHECK(p.stage_tiles[0] == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
    CHECK(p.stage_tiles[1] == std::vector<int>{8});
    CHECK_FALSE(p.stage_resident[0]);
    CHECK(p.stage_resident[1]);
    CHECK(p.stage_rounds[0] == 2);
    CHECK(p.stage_rounds[1] == 1);
    CHECK(p.units[1][0].macros == std::vector<int>{0, 1, 2, 3});
    CHECK(p.units[0][3].macros.empty());  // multiplexed: macros assigned per round in the code
    // Rounds fall only at some group sizes (ceil(8 / n) units per tile: n = 4 and 5 both give
    // 2 units, 26 blocks, 4 rounds): with 6 tiles, layer 0 takes 4, leaving one for layer 1
    // and one spare that does not lower layer 0's rounds (-> the resident stage).
    const PlacementPlan q = place_multiplexed_stages({{8, 13, 10.0}, {1, 4, 10.0}}, 6, 8);
    REQUIRE(q.resident);
    CHECK(q.stage_rounds[0] == 4);
    CHECK(q.stage_tiles[0].size() + q.stage_tiles[1].size() == 5);
    // Fewer tiles than layers: no pipelined placement.
    CHECK_FALSE(place_multiplexed_stages({{8, 13, 1.0}, {1, 4, 1.0}, {1, 1, 1.0}}, 2, 8).resident);
}

TEST_CASE("a network larger than the chip pipelines with time-multiplexed stages and a step size", "[compiler][pipeline]") {
    const Network net = binary_mlp(100, 40, 10, 2);
    Config cfg = small_chip(32, 32, 2, 2);  // 2 tiles of 2 macros: one stage each
    cfg.chip.dataflow = Dataflow::Pipelined;
    cfg.chip.step_samples = 16;
    const CompiledModel m = compile_network(net, cfg, pixels());
    CHECK_FALSE(m.resident);
    REQUIRE(m.pipelined);
    CHECK(m.program.streamed);
    int stepped = 0;
    for (std::size_t t = 0; t < m.program.tile_code.size(); ++t)
        if (m.program.step_samples(t) > 1) {
            ++stepped;
            CHECK(m.program.step_samples(t) <= 16);
        }
    CHECK(stepped > 0);
    for (const LayerMapping& l : m.layers)
        if (!l.resident) CHECK(l.rounds >= 2);
    // The network input streams through the first stage's input port: the Load's
    // destination is a port tensor that only the next instruction (the input op) reads.
    int ports = 0;
    for (const auto& code : m.program.tile_code)
        for (std::size_t i = 0; i < code.size(); ++i)
            if (code[i].op == OpCode::Load && code[i].src == m.program.input_tensor) {
                REQUIRE(i + 1 < code.size());
                CHECK(m.program.tensors[static_cast<std::size_t>(code[i].dst)].where == Location::Port);
                CHECK(code[i + 1].src == code[i].dst);
                ++ports;
            }
    CHECK(ports > 0);
    // Round groups: each marker names its round's Programs and Mvms. Rounds fill the M
    // macros except the last (n blocks); a later execution, in either order, skips the
    // round that ended the previous one and the first round's blocks the last round's n
    // did not overwrite: (R-2)*M + n writes, the blocks of every round but round 0.
    std::map<int, int> steady;  // layer -> expected writes per later execution
    for (const auto& code : m.program.tile_code)
        for (std::size_t i = 0; i < code.size(); ++i) {
            if (code[i].op != OpCode::Round) continue;
            const Instr& r = code[i];
            CHECK(r.cols >= 2);
            int programs = 0, mvms = 0;
            for (int k = 1; k <= r.rows; ++k) {
                programs += code[i + k].op == OpCode::Program;
                mvms += code[i + k].op == OpCode::Mvm;
            }
            CHECK(programs + mvms == r.rows);
            CHECK(programs == mvms);
            if (r.c0 >= 1) steady[m.program.blocks[static_cast<std::size_t>(code[i + 1].block)].layer] += programs;
        }
    for (std::size_t l = 0; l < m.layers.size(); ++l)
        if (!m.layers[l].resident) {
            CHECK(m.layers[l].rewrites_steady == steady[static_cast<int>(l)]);
            CHECK(m.layers[l].rewrites_steady < m.layers[l].rewrites_per_batch);
        }
    cfg.chip.dataflow = Dataflow::LayerByLayer;
    const CompiledModel lbl = compile_network(net, cfg, pixels());
    CHECK_FALSE(lbl.pipelined);
    CHECK(lbl.program.tile_step_samples.empty());
}

TEST_CASE("a network larger than the chip is time-multiplexed with explicit rewrites", "[compiler]") {
    const Network net = binary_mlp(100, 40, 10, 2);
    const Config cfg = small_chip(32, 32, 1, 2);
    const CompiledModel m = compile_network(net, cfg, pixels());
    CHECK_FALSE(m.resident);
    CHECK(m.rewrites_per_batch == count_ops(m.program, OpCode::Program));
    CHECK(m.rewrites_per_batch == static_cast<int>(m.program.blocks.size()));
    for (const auto& s : m.program.setup_code) CHECK(s.empty());
}

TEST_CASE("sense-amp thresholds reproduce sign(BN(acc)) for every column", "[compiler]") {
    const Network net = binary_mlp(20, 12, 4, 3);
    Config cfg = small_chip(64, 64, 2, 4);
    cfg.periphery.readout = ReadoutKind::SenseAmp;
    std::vector<std::string> notes;
    const std::vector<LayerPlan> plans = analyse_layers(net, cfg, pixels(), notes);
    REQUIRE(plans.size() == 2);
    const LayerPlan& l1 = plans[0];
    REQUIRE(l1.readout == ReadoutKind::SenseAmp);
    REQUIRE(l1.threshold.size() == 12);
    CHECK(plans[1].readout == ReadoutKind::Adc);  // the logits need a multi-bit readout
    // Reference: sign(BN(x.W)) of the float model, for random +-1 inputs.
    const Node& fc = net.nodes[2];
    const Node& bn = net.nodes[3];
    std::mt19937 rng(9);
    std::uniform_int_distribution<int> bit(0, 1);
    for (int trial = 0; trial < 200; ++trial) {
        Eigen::VectorXf x(20);
        for (int i = 0; i < 20; ++i) x(i) = bit(rng) ? 1.0f : -1.0f;
        const Eigen::VectorXf acc = fc.dense.weight.as_matrix(12, 20) * x;
        const Eigen::VectorXf acc_hw = l1.q.cast<float>() * x;  // columns may be negated
        for (int c = 0; c < 12; ++c) {
            const auto& p = bn.batchnorm;
            const float y = p.scale.data[c] * (acc(c) - p.mean.data[c]) / std::sqrt(p.var.data[c] + p.epsilon) +
                            p.bias.data[c];
            const float want = y >= 0 ? 1.0f : -1.0f;
            const float got = acc_hw(c) >= l1.threshold[c] ? 1.0f : -1.0f;
            CHECK(got == want);
        }
    }
}

TEST_CASE("raw inputs are quantized and the quantization is part of the reference network", "[compiler]") {
    Network net = binary_mlp(16, 8, 3, 4);
    // Drop the input binarization: the first layer now sees raw [0,1] values.
    net.nodes.erase(net.nodes.begin(), net.nodes.begin() + 2);
    net.nodes[0].inputs = {net.input};
    for (std::size_t i = 0; i < net.nodes.size(); ++i) net.values[net.nodes[i].output].producer = static_cast<int>(i);
    Config cfg = small_chip(64, 64, 2, 4);
    cfg.periphery.input.bits = 4;
    AnalysisOptions range;  // real inputs in [0, 1], as --input-range 0:1 says
    range.input = parse_input_range("0:1");
    const CompiledModel m = compile_network(net, cfg, range);
    REQUIRE(m.layers[0].input_bits == 4);
    CHECK(m.layers[0].input == InputEncoding::BitSerial);
    CHECK(m.quantized.nodes.size() > net.nodes.size());
    REQUIRE_FALSE(m.notes.empty());
    // The reference network rounds its first-layer inputs to 15 levels: inputs on the
    // grid give the same logits as the original model, others generally do not.
    Batch on_grid(1, 16), off_grid(1, 16);
    for (int i = 0; i < 16; ++i) {
        on_grid(0, i) = static_cast<float>(i % 16) / 15.0f;
        off_grid(0, i) = on_grid(0, i) + 0.02f;
    }
    const Batch a = FloatEvaluator(net).run(on_grid), b = FloatEvaluator(m.quantized).run(on_grid);
    CHECK((a - b).cwiseAbs().maxCoeff() < 1e-4f);
    const Batch c = FloatEvaluator(m.quantized).run(off_grid);
    CHECK((b - c).cwiseAbs().maxCoeff() < 1e-4f);  // +0.02 rounds back onto the same level
}

TEST_CASE("unbounded MVM inputs and residual graphs are rejected naming the node", "[compiler]") {
    Network net = binary_mlp(16, 8, 3, 5);
    net.nodes[4].kind = OpKind::Relu;  // sign1 -> relu: the second layer's input is unbounded
    const Config cfg = small_chip(64, 64, 2, 4);
    try {
        compile_network(net, cfg, pixels());
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()).find("fc2") != std::string::npos);
        CHECK(std::string(e.what()).find("unbounded") != std::string::npos);
    }
}

namespace {
// A chain network built node by node: input {in}.
struct Chain {
    Network net;
    int v = 0;
    explicit Chain(int in) {
        net.source = "chain.onnx";
        net.values.push_back(Value{"input", {in}, -1});
        net.input = 0;
    }
    void add(Node n, Shape s) {
        n.inputs = {v};
        net.values.push_back(Value{n.name, std::move(s), static_cast<int>(net.nodes.size())});
        n.output = static_cast<int>(net.values.size()) - 1;
        net.nodes.push_back(std::move(n));
        v = net.nodes.back().output;
        net.output = v;
    }
    void scalar(OpKind k, const std::string& name, float c, int width) {
        Node n;
        n.name = name;
        n.kind = k;
        n.operand.value = tensor({}, {c});
        add(n, {width});
    }
    void unary(OpKind k, const std::string& name, int width, float lo = 0, float hi = 0) {
        Node n;
        n.name = name;
        n.kind = k;
        n.clip.min = lo;
        n.clip.max = hi;
        add(n, {width});
    }
    // QuantizeLinear(scale, zp) saturating at [lo, hi] -> DequantizeLinear, lowered as the
    // importer does: Div, Round, [Add zp], Clip; [Sub zp], Mul.
    void qdq(const std::string& name, float scale, float zp, float lo, float hi, int width) {
        scalar(OpKind::DivConst, name + "/div", scale, width);
        unary(OpKind::Round, name + "/round", width);
        if (zp != 0.0f) scalar(OpKind::AddConst, name + "/zp", zp, width);
        unary(OpKind::Clip, name + "/sat", width, lo, hi);
        if (zp != 0.0f) scalar(OpKind::SubConst, name + "/dq_zp", zp, width);
        scalar(OpKind::MulConst, name + "/mul", scale, width);
    }
    void dense(const std::string& name, const Eigen::MatrixXi& q, float scale) {
        Node d;
        d.name = name;
        d.kind = OpKind::Dense;
        std::vector<float> w;
        for (int r = 0; r < q.rows(); ++r)
            for (int c = 0; c < q.cols(); ++c) w.push_back(scale * static_cast<float>(q(r, c)));
        d.dense.weight = tensor({q.rows(), q.cols()}, w);
        d.dense.bias = tensor({q.rows()}, std::vector<float>(static_cast<std::size_t>(q.rows()), 0.0f));
        add(d, {q.rows()});
    }
};
}  // namespace

TEST_CASE("zero-point inputs are offset-encoded with a per-column correction of -z * sum(q)", "[compiler]") {
    // QuantizeLinear(s, zp 3) -> saturate 0..15 -> DequantizeLinear, as the importer lowers it.
    const float s = 0.125f;
    Chain c(6);
    c.qdq("q", s, 3.0f, 0.0f, 15.0f, 6);
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> q3(-3, 3);
    Eigen::MatrixXi q(4, 6);
    for (int i = 0; i < q.size(); ++i) q.data()[i] = q3(rng);
    q(0, 0) = 3;
    c.dense("fc", q, 0.5f);
    std::vector<std::string> notes;
    AnalysisOptions opt;  // the model quantizes its own input: no domain needed
    const std::vector<LayerPlan> plans = analyse_layers(c.net, small_chip(64, 64, 1, 1), opt, notes);
    REQUIRE(plans.size() == 1);
    const LayerPlan& lp = plans[0];
    CHECK(lp.input_bits == 4);  // codes 0..15 driven as they are: the model's 16 levels
    CHECK(lp.input == InputEncoding::BitSerial);
    CHECK(lp.input_from_model);
    CHECK(lp.inserted_before.empty());
    REQUIRE(lp.in_offset.size() == 6);
    for (double off : lp.in_offset) CHECK(off == -3.0);
    REQUIRE(lp.post.size() >= 1);
    REQUIRE(lp.post[0].kind == TemplateOp::Kind::PositionBias);
    for (int col = 0; col < 4; ++col) CHECK(lp.post[0].table(0, col) == -3.0f * static_cast<float>(q.row(col).sum()));
    for (const std::string& n : notes) CHECK(n.find("no quantizer") == std::string::npos);  // nothing inserted
}

TEST_CASE("inputs wider than the pulse-width DAC are sliced to it; inputs that fit are not", "[compiler]") {
    // QuantizeLinear(s) -> saturate 0..2^bits-1 -> DequantizeLinear on a 4-bit PWM chip.
    auto compile = [](int bits, WideInputs wide = WideInputs::Slice, double clock = 0, double t_conv = 0) {
        const float s = 0.125f;
        Chain c(6);
        c.qdq("q", s, 0.0f, 0.0f, static_cast<float>((1 << bits) - 1), 6);
        Eigen::MatrixXi q(4, 6);
        q << 1, -1, 0, 1, 1, -1, 0, 1, 1, -1, 1, 0, -1, -1, 1, 1, 0, 1, 1, 0, -1, 1, 1, -1;
        c.dense("fc", q, 0.5f);
        Config cfg = small_chip(64, 64, 1, 1);
        cfg.periphery.input.encoding = InputEncoding::Pwm;
        cfg.periphery.input.bits = 4;
        if (clock > 0) cfg.macro.clock = clock;
        if (t_conv > 0) cfg.periphery.adc.t_conv = t_conv;
        AnalysisOptions opt;
        opt.wide_inputs = wide;
        return compile_network(c.net, cfg, opt);
    };
    const CompiledModel wide = compile(8);
    REQUIRE(wide.layers.size() == 1);
    CHECK(wide.layers[0].input == InputEncoding::Pwm);
    CHECK(wide.layers[0].input_bits == 8);
    CHECK(wide.layers[0].input_cycles == 2);
    REQUIRE(wide.program.blocks.size() == 1);
    CHECK(wide.program.blocks[0].spec.input_slice_bits == 4);
    CHECK(wide.layers[0].input_origin.find("2 slices of 4 bits") != std::string::npos);
    bool noted = false;
    for (const std::string& n : wide.notes) noted = noted || n.find("driven as 2 slices of 4 bits") != std::string::npos;
    CHECK(noted);
    CHECK(format_mapping(wide, Config{}).find("pwm/8bx2") != std::string::npos);
    // 6-bit inputs: a 4-bit slice and a 2-bit one (ceil(6 / 4)).
    CHECK(compile(6).layers[0].input_cycles == 2);
    // 4-bit inputs fit the DAC: one pulse, nothing sliced, nothing noted.
    const CompiledModel fits = compile(4);
    CHECK(fits.layers[0].input == InputEncoding::Pwm);
    CHECK(fits.layers[0].input_cycles == 1);
    CHECK(fits.program.blocks[0].spec.input_slice_bits == 0);
    for (const std::string& n : fits.notes) CHECK(n.find("slices") == std::string::npos);
    // --wide-inputs bit_serial: 8 one-bit planes instead.
    const CompiledModel planes = compile(8, WideInputs::BitSerial);
    CHECK(planes.layers[0].input == InputEncoding::BitSerial);
    CHECK(planes.layers[0].input_cycles == 8);
    CHECK(planes.program.blocks[0].spec.input_slice_bits == 0);
    // auto: the shorter array time per vector, cycles x (settle + pulse window + conversions).
    // A 1 GHz clock (15 ns pulse) and 50 ns conversions: 2 x (2 + 15 + 50 k) ns < 8 x (2 + 50 k).
    const CompiledModel fast_dac = compile(8, WideInputs::Auto, 1e9, 50e-9);
    CHECK(fast_dac.layers[0].input == InputEncoding::Pwm);
    CHECK(fast_dac.layers[0].input_cycles == 2);
    // A 100 MHz clock (150 ns pulse) and 1 ns conversions: 8 x (2 + k) ns < 2 x (2 + 150 + k).
    const CompiledModel slow_dac = compile(8, WideInputs::Auto, 1e8, 1e-9);
    CHECK(slow_dac.layers[0].input == InputEncoding::BitSerial);
    CHECK(slow_dac.layers[0].input_cycles == 8);
    bool both = false;
    for (const std::string& n : slow_dac.notes)
        both = both || (n.find("bit-serially over 8 cycles") != std::string::npos &&
                        n.find("rather than as 2 slices of 4 bits") != std::string::npos);
    CHECK(both);
    CHECK(slow_dac.layers[0].input_origin.find("chosen over 2 slices of 4 bits") != std::string::npos);
}

TEST_CASE("Sign with exact zeros keeps three levels; a Sign that cannot see 0 stays binary", "[compiler]") {
    // {0,1} inputs, +-1 weights, no bias: the pre-activations are integers and 0 occurs.
    Eigen::MatrixXi w1(3, 4), w2(2, 3);
    w1 << 1, -1, 1, -1, 1, 1, -1, -1, -1, 1, 1, 1;
    w2 << 1, -1, 1, -1, -1, 1;
    auto build = [&](float shift) {
        Chain c(4);
        c.dense("fc1", w1, 1.0f);
        if (shift != 0.0f) c.scalar(OpKind::AddConst, "shift", shift, 3);
        c.unary(OpKind::Sign, "sign", 3);
        c.dense("fc2", w2, 1.0f);
        return c.net;
    };
    AnalysisOptions bin;
    bin.input.kind = InputDomain::Kind::Grid;
    bin.input.lo = 0;
    bin.input.hi = 1;
    bin.input.step = 1;
    bin.input.levels = 1;
    std::vector<std::string> notes;
    const std::vector<LayerPlan> zero = analyse_layers(build(0.0f), small_chip(64, 64, 1, 2), bin, notes);
    REQUIRE(zero.size() == 2);
    CHECK(zero[1].input_bits == 2);  // {-1, 0, +1} driven as {0, 1, 2} with offset -1
    REQUIRE(zero[1].in_offset.size() == 3);
    CHECK(zero[1].in_offset[0] == -1.0);
    const std::vector<LayerPlan> half = analyse_layers(build(0.5f), small_chip(64, 64, 1, 2), bin, notes);
    CHECK(half[1].input == InputEncoding::Signed);  // integer + 0.5 is never 0
    CHECK(half[1].input_bits == 1);
    CHECK(half[1].in_offset.empty());
    // The activation: ONNX Sign where 0 is reachable; a +-1 comparator where it is not, so an
    // analog estimate exactly on the threshold still drives the +-1 rows of fc2.
    auto act_of = [](const LayerPlan& lp) {
        for (const TemplateOp& op : lp.post)
            if (op.kind == TemplateOp::Kind::Act) return op.act;
        return ActKind::None;
    };
    CHECK(act_of(zero[0]) == ActKind::Sign);
    CHECK(act_of(half[0]) == ActKind::SignBinary);
}

TEST_CASE("a residual Add of operands on scales in an integer ratio stays on the finer integer grid", "[compiler]") {
    // h = 4-bit QDQ of fc0's output (scale s), the input of fc1; branch = QDQ(fc1(h)) with
    // `levels` levels on scale `bs`; fc2 reads branch + h with no quantizer between.
    const float s = 0.125f;
    auto build = [&](float bs, float levels) {
        Chain c(4);
        Eigen::MatrixXi q(4, 4);
        q << 1, -1, 1, 0, 0, 1, -1, 1, 1, 1, 0, -1, -1, 0, 1, 1;
        c.dense("fc0", q, 0.5f);
        c.qdq("q", s, 0.0f, 0.0f, 15.0f, 4);
        const int h = c.v;
        c.dense("fc1", q, 0.5f);
        c.qdq("b", bs, 0.0f, 0.0f, levels, 4);
        Node add;
        add.name = "skip_add";
        add.kind = OpKind::Add;
        const int branch = c.v;
        c.add(add, {4});
        c.net.nodes.back().inputs = {branch, h};
        c.dense("fc2", q, 0.5f);
        std::vector<std::string> notes;
        AnalysisOptions bin;
        bin.input = scan_input_domain(Batch::Ones(1, 4), "ones.npy");
        std::vector<LayerPlan> plans = analyse_layers(c.net, small_chip(64, 64, 1, 4), bin, notes);
        REQUIRE(plans.size() == 3);
        return plans[2];
    };
    // Branch on twice the skip's scale: codes 0..15 + 2 x 0..7 = 0..29.
    const LayerPlan coarse = build(2 * s, 7.0f);
    CHECK(coarse.input_from_model);
    CHECK(coarse.inserted_before.empty());
    CHECK(coarse.input_origin.rfind("model: 30 levels", 0) == 0);
    CHECK(coarse.input_bits == 5);
    // Branch on half the skip's scale: 0..15 + 2 x 0..15 = 0..45 on scale s / 2.
    const LayerPlan fine = build(s / 2, 15.0f);
    CHECK(fine.input_from_model);
    CHECK(fine.input_origin.rfind("model: 46 levels", 0) == 0);
    CHECK(fine.input_bits == 6);
    // 1.5 x: no common integer grid; the model has no quantizer after the add, so the
    // compiler inserts one (and says so).
    const LayerPlan none = build(1.5f * s, 7.0f);
    CHECK_FALSE(none.input_from_model);
    CHECK_FALSE(none.inserted_before.empty());
}

TEST_CASE("per-channel activation scales feeding an array: integer ratios are aligned, others grouped by row", "[compiler]") {
    // fc0 -> per-channel QDQ (scale k[c] * s, codes 0..15) -> fc1, as a per-axis
    // QuantizeLinear/DequantizeLinear lowers.
    const float s = 0.125f;
    auto build = [&](std::vector<float> k) {
        Chain c(4);
        Eigen::MatrixXi q(4, 4);
        q << 1, -1, 1, 0, 0, 1, -1, 1, 1, 1, 0, -1, -1, 0, 1, 1;
        c.dense("fc0", q, 0.5f);
        std::vector<float> scale;
        for (float f : k) scale.push_back(f * s);
        Node div;
        div.name = "q/div";
        div.kind = OpKind::DivConst;
        div.operand.value = tensor({4}, scale);
        div.operand.broadcast = ConstOperand::Broadcast::PerChannel;
        c.add(div, {4});
        c.unary(OpKind::Round, "q/round", 4);
        c.unary(OpKind::Clip, "q/sat", 4, 0.0f, 15.0f);
        Node mul = div;
        mul.name = "dq/mul";
        mul.kind = OpKind::MulConst;
        c.add(mul, {4});
        c.dense("fc1", q, 0.5f);
        AnalysisOptions bin;
        bin.input = scan_input_domain(Batch::Ones(1, 4), "ones.npy");
        std::vector<std::string> notes;
        return analyse_layers(c.net, small_chip(64, 64, 1, 4), bin, notes);
    };
    // Scales s, 2s, 4s, s: codes scaled to 0..15, 0..30, 0..60, 0..15 on scale s.
    const std::vector<LayerPlan> po2 = build({1, 2, 4, 1});
    REQUIRE(po2.size() == 2);
    CHECK(po2[1].input_from_model);
    CHECK(po2[1].inserted_before.empty());
    CHECK(po2[1].input_bits == 6);
    CHECK(po2[1].input_origin.rfind("model: 61 levels", 0) == 0);
    // 2^13 s: exact but 15 x 8193 + 1 levels, more than a macro drives: refused at compile time.
    try {
        build({1, 8192, 1, 1});
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()).find("fc1") != std::string::npos);
        CHECK(std::string(e.what()).find("at most 16 bits") != std::string::npos);
    }
    // 1.5 s is no integer multiple of s: no single input grid holds the codes; the rows are
    // grouped by channel scale (runs {0}, {1}, {2,3}) and the 1.5 s group's partial sums are
    // scaled by 1.5 in the PE. Nothing re-quantized: the codes stay 0..15 (4 bits).
    const std::vector<LayerPlan> grouped = build({1, 1.5f, 1, 1});
    REQUIRE(grouped.size() == 2);
    const LayerPlan& g = grouped[1];
    CHECK(g.input_from_model);
    CHECK(g.inserted_before.empty());
    CHECK(g.input_bits == 4);
    REQUIRE(g.channel_ratio == std::vector<float>{1.0f, 1.5f, 1.0f, 1.0f});
    REQUIRE(g.row_groups.size() == 3);
    CHECK(g.row_groups[0].r0 == 0);
    CHECK(g.row_groups[0].rows == 1);
    CHECK(g.row_groups[1].r0 == 1);
    CHECK(g.row_groups[1].scale == 1.5f);
    CHECK(g.row_groups[2].r0 == 2);
    CHECK(g.row_groups[2].rows == 2);
    CHECK(g.row_groups[2].scale == 1.0f);
    CHECK(g.input_origin.find("rows grouped by channel") != std::string::npos);
    // The unit of the common scale is the smallest channel scale (s times fc0's scale chain).
    CHECK(grouped[0].channel_ratio.empty());
}

TEST_CASE("a QDQ chain (Q -> DQ -> Q -> DQ) runs as one quantizer; a coarser second one re-rounds", "[compiler]") {
    // fc0 -> Q(s, zp 33) -> DQ -> Q(s2, zp 33) -> DQ -> fc1, lowered as the importer does
    // (Div, Round, Add zp, Clip 0..255; Sub zp, Mul). s = 0.0127 is inexact in float, so
    // (-33 s) / s is not exactly -33.
    const float s = 0.0127f;
    auto build = [&](float s2) {
        Chain c(4);
        Eigen::MatrixXi q(4, 4);
        q << 1, -1, 1, 0, 0, 1, -1, 1, 1, 1, 0, -1, -1, 0, 1, 1;
        c.dense("fc0", q, 0.5f);
        c.qdq("q1", s, 33.0f, 0.0f, 255.0f, 4);
        c.qdq("q2", s2, 33.0f, 0.0f, 255.0f, 4);
        c.dense("fc1", q, 0.5f);
        AnalysisOptions bin;
        bin.input = scan_input_domain(Batch::Ones(1, 4), "ones.npy");
        std::vector<std::string> notes;
        return analyse_layers(c.net, small_chip(64, 64, 1, 4), bin, notes);
    };
    auto rounds = [](const LayerPlan& lp) {
        int n = 0;
        for (const TemplateOp& op : lp.post)
            n += op.kind == TemplateOp::Kind::Act && (op.act == ActKind::Round || op.act == ActKind::Quantize);
        return n;
    };
    const std::vector<LayerPlan> same = build(s);
    REQUIRE(same.size() == 2);
    CHECK(rounds(same[0]) == 1);  // the second quantizer re-reads the first one's grid
    CHECK(same[1].input_from_model);
    CHECK(same[1].input_origin.rfind("model: 256 levels", 0) == 0);
    // A second quantizer on twice the scale really re-quantizes: two roundings, 128 levels.
    const std::vector<LayerPlan> coarse = build(2 * s);
    CHECK(rounds(coarse[0]) == 2);
    CHECK(coarse[1].input_from_model);
}

TEST_CASE("a residual Add whose skip operand the chip never stored is refused naming the node", "[compiler]") {
    Chain c(4);
    Eigen::MatrixXi q = Eigen::MatrixXi::Ones(4, 4);
    c.dense("fc1", q, 1.0f);
    Node add;
    add.name = "skip_add";
    add.kind = OpKind::Add;
    const int fc1_out = c.v;
    c.add(add, {4});
    c.net.nodes.back().inputs = {fc1_out, c.net.input};  // + the raw network input
    c.dense("fc2", q, 1.0f);
    AnalysisOptions bin;
    bin.input = scan_input_domain(Batch::Ones(1, 4), "ones.npy");
    std::vector<std::string> notes;
    try {
        analyse_layers(c.net, small_chip(64, 64, 1, 2), bin, notes);
        FAIL("expected a WorkloadError");
    } catch (const WorkloadError& e) {
        CHECK(std::string(e.what()).find("skip_add") != std::string::npos);
        CHECK(std::string(e.what()).find("residual operand") != std::string::npos);
    }
}

TEST_CASE("tiles with no work get no stream: not started, nothing fetched; the rest end with End", "[compiler]") {
    // 100-40-10 on 32x32 arrays needs 4 x 2 + 2 x 1 = 10 blocks; 16 tiles of 8 macros leave
    // tiles without any block in both dataflows.
    const Network net = binary_mlp(100, 40, 10, 1);
    for (Dataflow df : {Dataflow::LayerByLayer, Dataflow::Pipelined}) {
        Config cfg = small_chip(32, 32, 16, 8);
        cfg.chip.dataflow = df;
        const CompiledModel m = compile_network(net, cfg, pixels());
        std::set<int> with_blocks;
        for (const WeightBlock& b : m.program.blocks) with_blocks.insert(b.tile);
        REQUIRE(with_blocks.size() < 16u);
        int barriers = -1;
        for (int t = 0; t < 16; ++t) {
            const auto& code = m.program.tile_code[static_cast<std::size_t>(t)];
            if (!with_blocks.count(t) && code.empty()) continue;  // idle: no stream at all
            REQUIRE(!code.empty());
            CHECK(code.back().op == OpCode::End);
            // Layer by layer, the tiles that run all meet at the same barriers.
            int b = 0;
            for (const Instr& in : code) b += in.op == OpCode::Barrier;
            if (barriers < 0) barriers = b;
            CHECK(b == barriers);
        }
        // Every tile without blocks is idle (this network has no block-free work such as a pool).
        for (int t = 0; t < 16; ++t)
            if (!with_blocks.count(t)) CHECK(m.program.tile_code[static_cast<std::size_t>(t)].empty());
        CHECK(barriers == (df == Dataflow::LayerByLayer ? 2 + (shared_input_ops(m) ? 1 : 0) : 0));
    }
}

TEST_CASE("tiles that load the same layer input share one multicast Load group", "[compiler][multicast]") {
    // 100-100-10 on 32 x 32 arrays: fc1's four column blocks (4 row blocks each) land on
    // different tiles, which all need the whole input.
    const Network net = binary_mlp(100, 100, 10, 1);
    for (Dataflow df : {Dataflow::LayerByLayer, Dataflow::Pipelined}) {
        Config cfg = small_chip(32, 32, 16, 8);
        cfg.chip.dataflow = df;
        const CompiledModel m = compile_network(net, cfg, pixels());
        const Program& p = m.program;
        // Per global source tensor: the tiles loading it and the group ids their Loads carry.
        std::map<int, std::vector<const Instr*>> loads;
        for (const auto& code : p.tile_code)
            for (const Instr& in : code)
                if (in.op == OpCode::Load) loads[in.src].push_back(&in);
        REQUIRE(loads.count(p.input_tensor) == 1);
        // Layer by layer the input ops run once, on one tile, and their (1- or 2-bit) result
        // is what the layer's tiles share; pipelined, the first stage's tiles share the input.
        const bool shared = shared_input_ops(m);
        CHECK(shared == (df == Dataflow::LayerByLayer));
        int fc1_in = p.input_tensor;
        if (shared) {
            CHECK(loads.at(p.input_tensor).size() == 1);
            for (std::size_t i = 0; i < p.tensors.size(); ++i)
                if (p.tensors[i].name == m.layers[0].name + ".in") fc1_in = static_cast<int>(i);
            CHECK(p.tensors[static_cast<std::size_t>(fc1_in)].bits < 8);
        }
        std::set<int> groups;
        for (const auto& [src, ls] : loads) {
            INFO("dataflow " << static_cast<int>(df) << ", tensor " << p.tensors[static_cast<std::size_t>(src)].name);
            if (ls.size() == 1) {  // one loader: a plain Load
                CHECK_FALSE(ls[0]->multicast);
                continue;
            }
            for (const Instr* in : ls) {
                CHECK(in->multicast);
                CHECK(in->peer == ls[0]->peer);
                CHECK(in->levels == static_cast<int>(ls.size()));
                CHECK(in->src_c0 == ls[0]->src_c0);
                CHECK(in->cols == ls[0]->cols);
            }
            CHECK(groups.insert(ls[0]->peer).second);  // a group id per tensor
        }
        // The input layer spans several tiles in both dataflows, so at least its input is multicast.
        REQUIRE(loads.count(fc1_in) == 1);
        CHECK(loads.at(fc1_in).size() >= 2u);
        CHECK(!groups.empty());
    }
}
