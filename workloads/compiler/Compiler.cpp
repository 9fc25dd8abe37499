#include "workloads/compiler/Compiler.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "models/common/Actions.h"
#include "models/pe/ReductionWidth.h"
#include "models/physics/AnalogMacro.h"
#include "workloads/compiler/LayerAnalysis.h"
#include "workloads/compiler/Placement.h"
#include "workloads/compiler/WeightQuantizer.h"
#include "workloads/import/WorkloadError.h"

namespace sotsim::workloads {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// A Load (global -> local) or Store (local -> global) of `cols` columns, from column
// `src_c0` of `src` to column `c0` of `dst`: the one place these transfers are set up.
Instr transfer(OpCode op, int src, int dst, int cols, int src_c0 = 0, int c0 = 0) {
    Instr in;
    in.op = op;
    in.src = src;
    in.dst = dst;
    in.src_c0 = src_c0;
    in.c0 = c0;
    in.cols = cols;
    return in;
}

// Array reads per MVM of the layer's blocks (the macro's rule).
int input_cycles(const LayerPlan& lp) {
    phys::BlockSpec s;
    s.input = lp.input;
    s.input_bits = lp.input_bits;
    s.input_slice_bits = lp.input_slice_bits;
    return phys::AnalogMacro::input_cycles(s);
}

// Emits tile code for analysed layers.
class CodeGen {
public:
    CodeGen(const Config& cfg, std::vector<LayerPlan>& plans, CompiledModel& out)
        : cfg_(cfg), plans_(plans), out_(out), prog_(out.program) {}

    void run(const Network& net) {
        const int T = cfg_.chip.tiles;
        prog_.tile_code.assign(static_cast<std::size_t>(T), {});
        prog_.setup_code.assign(static_cast<std::size_t>(T), {});
        geometry();
        std::vector<std::vector<UnitDemand>> demand(plans_.size());
        for (std::size_t l = 0; l < plans_.size(); ++l)
            for (int u = 0; u < col_blocks_[l]; ++u) demand[l].push_back({static_cast<int>(l), u, row_blocks_[l]});
        plan_ = place_units(demand, T, cfg_.tile.macros);
        out_.resident = plan_.resident;
        choose_dataflow();

        prog_.input_width = static_cast<int>(net.input_size());
        prog_.input_tensor = global("input", prog_.input_width, 8);
        if (streamed_) stage_inputs();
        int gin = prog_.input_tensor;
        for (std::size_t l = 0; l < plans_.size(); ++l) {
            const bool last = l + 1 == plans_.size();
            const LayerPlan& lp = plans_[l];
            // Pipelined: layers pass activations tile to tile; only the network output is global.
            const int gout = streamed_ && !last ? -1 : global(lp.name + ".out", lp.out_width, last ? 32 : lp.out_bits);
            layer_out_.push_back(gout);
            emit_layer(static_cast<int>(l), gin, gout);
            gin = gout;
        }
        prog_.output_tensor = gin;
        prog_.output_width = plans_.back().out_width;
        steady_writes();
        if (streamed_) size_steps();
        for (auto& code : prog_.tile_code) {
            // A tile with no work in any layer (only the layer markers and chip-wide barriers
            // every tile gets) has no stream: the chip does not start it, so it fetches and
            // issues nothing, and the barriers count the tiles that run.
            const bool idle = std::all_of(code.begin(), code.end(), [](const Instr& in) {
                return in.op == OpCode::Layer || in.op == OpCode::Barrier;
            });
            if (idle) {
                code.clear();
                continue;
            }
            Instr end;
            end.op = OpCode::End;
            code.push_back(end);
        }
    }

private:
    // Pipelined when asked for and possible: every layer on its own tile group.
    void choose_dataflow() {
        if (cfg_.chip.dataflow != Dataflow::Pipelined) return;
        std::string why;
        bool stored_add = false;
        for (const LayerPlan& lp : plans_)
            for (const TemplateOp& op : lp.post) stored_add = stored_add || op.kind == TemplateOp::Kind::AddStored;
        PlacementPlan staged;
        if (stored_add) why = "a residual add reads an earlier layer's stored output from the global buffer";
        else {
            std::vector<StageDemand> d;
            for (std::size_t l = 0; l < plans_.size(); ++l) {
                const LayerPlan& lp = plans_[l];
                StageDemand s;
                s.units = col_blocks_[l];
                s.row_blocks = row_blocks_[l];
                // Per sample and unit: every output element is reduced over the row blocks in
                // the adder tree and goes through each post op once.
                s.ops_per_unit = static_cast<double>(std::min(cols_per_block_[l], lp.n)) * lp.p *
                                 (row_blocks_[l] + static_cast<double>(lp.post.size()));
                d.push_back(s);
                unit_ops_.push_back(s.ops_per_unit);
            }
            if (plan_.resident) {
                staged = place_stages(d, cfg_.chip.tiles, cfg_.tile.macros);
                if (!staged.resident) why = "the layers need more tiles than the chip has (one tile group per layer)";
            } else {
                // The weights do not fit: layers that do not fit their tile group are
                // time-multiplexed stages, reprogrammed round by round for every step.
                staged = place_multiplexed_stages(d, cfg_.chip.tiles, cfg_.tile.macros);
                if (!staged.resident) why = "the weights do not all fit the chip and it has fewer tiles than the network has layers";
            }
        }
        if (!why.empty()) {
            out_.notes.push_back("chip.dataflow is pipelined but the layers run one at a time: " + why);
            return;
        }
        plan_ = std::move(staged);
        streamed_ = true;
        prog_.streamed = true;
        out_.pipelined = true;
        if (!plan_.stage_resident.empty()) {
            prog_.tile_step_samples.assign(static_cast<std::size_t>(cfg_.chip.tiles), 1);
            for (std::size_t l = 0; l < plans_.size(); ++l)
                if (!plan_.stage_resident[l])
                    for (int t : plan_.stage_tiles[l]) prog_.tile_step_samples[static_cast<std::size_t>(t)] = cfg_.chip.step_samples;
        }
    }

    // Block writes per execution of the streams once the round order alternates: each tile's
    // stream is walked as the TileController runs it (round groups reversed on odd
    // executions, a Program of the block its macro holds skipped), after its setup code;
    // the third and fourth executions are the steady state (two-round groups repeat after
    // the second), their mean the figure per step.
    void steady_writes() {
        std::vector<double> steady(plans_.size(), 0.0);
        for (std::size_t t = 0; t < prog_.tile_code.size(); ++t) {
            std::vector<int> held(static_cast<std::size_t>(cfg_.tile.macros), -1);
            auto program = [&](const Instr& in, std::vector<double>* count) {
                const auto m = static_cast<std::size_t>(in.macro);
                if (held[m] == in.block) return;
                held[m] = in.block;
                const int layer = prog_.blocks[static_cast<std::size_t>(in.block)].layer;
                if (count && layer >= 0) (*count)[static_cast<std::size_t>(layer)] += 1;
            };
            for (const Instr& in : prog_.setup_code[t])
                if (in.op == OpCode::Program) program(in, nullptr);
            const auto& code = prog_.tile_code[t];
            std::map<std::size_t, int> runs;
            for (int pass = 0; pass < 4; ++pass) {
                std::vector<double> count(plans_.size(), 0.0);
                for (std::size_t pc = 0; pc < code.size(); ++pc) {
                    const Instr& in = code[pc];
                    if (in.op == OpCode::Program) program(in, &count);
                    if (in.op != OpCode::Round || in.c0 != 0) continue;
                    auto rounds = round_group(code, pc);   // [marker, end) of each round
                    if (rounds.empty()) continue;
                    const std::size_t after = rounds.back().second;
                    if (runs[pc]++ % 2 == 1) std::reverse(rounds.begin(), rounds.end());
                    for (const auto& [m, e] : rounds)
                        for (std::size_t i = m + 1; i < e; ++i)
                            if (code[i].op == OpCode::Program) program(code[i], &count);
                    pc = after - 1;
                }
                if (pass >= 2)
                    for (std::size_t l = 0; l < plans_.size(); ++l) steady[l] += count[l] / 2;
            }
        }
        for (std::size_t l = 0; l < out_.layers.size(); ++l)
            out_.layers[l].rewrites_steady = static_cast<int>(std::lround(steady[l]));
    }

    // A time-multiplexed stage holds its step's samples in its tiles' buffers through every
    // round: the step is chip.step_samples, or fewer when that many samples' tensors would
    // not fit the local buffer (the TileController enforces it).
    void size_steps() {
        const int M = cfg_.tile.macros;
        // A tile's local tensors for one sample, in bytes at their modelled bits.
        auto local_bytes = [&](int t) {
            double bytes = 0;
            for (const TensorDecl& d : prog_.tensors)
                if (d.where == Location::Local && d.tile == t)
                    bytes += std::ceil(static_cast<double>(d.rows_per_sample) * d.width * d.bits / 8.0);
            return bytes;
        };
        for (std::size_t l = 0; l < out_.layers.size(); ++l) {
            LayerMapping& m = out_.layers[l];
            if (m.step_samples == 0) {
                // A resident stage behind a stepped one gets the step's samples together (one
                // message each, at the step's end): it runs its stream once per step too, so
                // its instructions are issued once per step, not per sample, as far as its
                // buffer holds the step.
                const int prev = l > 0 ? prog_.step_samples(static_cast<std::size_t>(plan_.stage_tiles[l - 1].front())) : 1;
                if (prev <= 1 || prog_.tile_step_samples.empty()) continue;
                int step = prev;
                for (int t : plan_.stage_tiles[l]) {
                    const double bytes = local_bytes(t);
                    if (bytes > 0) step = std::min(step, static_cast<int>(std::floor(cfg_.tile.buffer_bytes / bytes)));
                }
                step = std::max(1, step);
                for (int t : plan_.stage_tiles[l]) prog_.tile_step_samples[static_cast<std::size_t>(t)] = step;
                out_.notes.push_back("layer '" + m.name + "' (resident, " + m.stage + ") runs in steps of " +
                                     std::to_string(step) + " samples like the stage before it: its stream is issued "
                                     "once per step, not per sample");
                continue;
            }
            // Per tile: the step's local tensors, and between rounds the partial sums beyond the
            // PE's registers (TileController::spill_partial_sums), S*L + max(0, S*v - regs)*b/8
            // bytes for S samples.
            const double regs = static_cast<double>(M) * cfg_.array.cols, buf = cfg_.tile.buffer_bytes;
            double per_sample = 0;
            int fit = m.step_samples;
            for (int t : plan_.stage_tiles[l]) {
                double bytes = local_bytes(t), values = 0;
                int bits = 0;
                for (const TensorDecl& d : prog_.tensors) {
                    if (d.tile != t) continue;
                    if (d.where == Location::Pe && tile_rounds_[l].count(t)) {
                        values += static_cast<double>(d.rows_per_sample) * d.width;
                        bits = std::max(bits, d.bits);
                    }
                }
                int f = bytes > 0 ? static_cast<int>(std::floor(buf / bytes)) : m.step_samples;
                if (values > 0 && f * values > regs) {
                    const int in_regs = static_cast<int>(std::floor(regs / values));
                    const int spilled = static_cast<int>(std::floor((buf - 1 + regs * bits / 8.0) / (bytes + values * bits / 8.0)));
                    f = std::max(in_regs, spilled);   // f > in_regs here
                    bytes += values * bits / 8.0;
                }
                per_sample = std::max(per_sample, bytes);
                fit = std::min(fit, f);
            }
            const int step = std::max(1, std::min(m.step_samples, fit));
            if (step < m.step_samples)
                out_.notes.push_back("layer '" + m.name + "': steps of " + std::to_string(step) + " samples, not chip.step_samples = " +
                                     std::to_string(m.step_samples) + ": a step's tensors (and the partial sums "
                                     "the PE registers cannot hold between rounds) take " +
                                     std::to_string(static_cast<long long>(std::ceil(per_sample))) + " bytes per sample of the " +
                                     std::to_string(static_cast<long long>(cfg_.tile.buffer_bytes)) + "-byte tile buffer");
            m.step_samples = step;
            for (int t : plan_.stage_tiles[l]) prog_.tile_step_samples[static_cast<std::size_t>(t)] = step;
            out_.notes.push_back(
                "layer '" + m.name + "' is a time-multiplexed stage (" + m.stage + "): its " + std::to_string(m.blocks) +
                " blocks do not fit the group's " + std::to_string(M * m.tiles) + " macros, so every step of " +
                std::to_string(step) + " samples reprograms them in " + std::to_string(m.rounds) + " rounds (" +
                std::to_string(m.rewrites_per_batch) + " block writes in the first step, " +
                std::to_string(m.rewrites_steady) +
                " in each later one: the rounds alternate their order, so the blocks of the round that ended a step "
                "are still programmed for the next), the partial sums waiting in the PE (beyond its " +
                std::to_string(M * cfg_.array.cols) + " output registers in the tile buffer); a block write (pulses, verify, "
                "calibration: microseconds) costs far more than an MVM (nanoseconds per sample), so the stage is "
                "write-bound and larger steps (chip.step_samples) amortise the writes");
        }
    }

    // The network input's first op runs on the Load's stream as it arrives from the
    // interconnect (the input port feeds the digital unit, whose output is what the buffer
    // stores): when the instruction after the Load at `load_at` is an Affine / Activation
    // reading the loaded tensor `raw` and nothing else reads it, `raw` becomes a port
    // tensor (Location::Port). The raw 8-bit input then never takes tile SRAM: the buffer
    // holds only the op's (quantized) result, and a step of a multiplexed stage keeps that.
    void input_port(const std::vector<Instr>& code, std::size_t load_at, int raw) {
        if (load_at + 1 >= code.size() || code[load_at].op != OpCode::Load || code[load_at].dst != raw) return;
        const Instr& first = code[load_at + 1];
        if ((first.op != OpCode::Affine && first.op != OpCode::Activation) || first.src != raw || first.dst == raw) return;
        for (std::size_t i = load_at + 2; i < code.size(); ++i)
            if (code[i].src == raw || code[i].src2 == raw || code[i].dst == raw) return;
        prog_.tensors[static_cast<std::size_t>(raw)].where = Location::Port;
    }

    // Layer l's blocks stay on their macros (programmed once, in setup_code).
    bool resident_layer(std::size_t l) const {
        return plan_.resident && (plan_.stage_resident.empty() || plan_.stage_resident[l]);
    }

    // The input tensor of every stage tile, allocated before code generation so that the
    // previous stage's Send can name it.
    void stage_inputs() {
        stage_in_.assign(plans_.size(), {});
        multicast_input_ = multicast_input();
        for (std::size_t l = 0; l < plans_.size(); ++l) {
            const int width = l == 0 ? prog_.input_width : plans_[l - 1].out_width;
            const int bits = l == 0 ? 8 : plans_[l - 1].out_bits;
            for (int t : plan_.stage_tiles[l])
                if (l > 0 || !multicast_input_ || t == plan_.stage_tiles[0].front())
                stage_in_[l][t] = tensor("t" + std::to_string(t) + "." + plans_[l].name + ".in", Location::Local, t, 1,
                                         width, bits);
        }
    }

    // Pipelined: the first stage's first tile loads the network input, runs the input ops
    // on it as it arrives (input port) and multicasts the result (fewer bits) to the
    // stage's other tiles in one transfer (a multicast Send), so the ops run once per
    // sample. When the ops start elementwise, shrink the data and keep it flat, the
    // stage's tiles are consecutive and all hold units of the layer, and the ops the other
    // tiles no longer run cost more (tech table) than the head's extra buffer read and
    // transfer of the result: on a stage of two tiles it is often the other way round (and
    // the second tile then waits for the first).
    bool multicast_input() const {
        if (!streamed_ || plans_.empty() || plans_[0].pre.empty()) return false;
        const std::vector<TemplateOp>& pre = plans_[0].pre;
        const auto first = pre.front().kind;
        if ((first != TemplateOp::Kind::Affine && first != TemplateOp::Kind::Act) || pre.back().bits >= 8 ||
            (pre.back().pos_major && pre.back().positions > 1))
            return false;
        const std::vector<int>& g = plan_.stage_tiles[0];
        if (g.size() < 2 || g.back() - g.front() + 1 != static_cast<int>(g.size())) return false;
        std::set<int> with_units;
        for (const auto& u : plan_.units[0]) with_units.insert(u.tile);
        if (with_units != std::set<int>(g.begin(), g.end())) return false;
        // Per input value: the input ops' energy, counted as the digital unit counts them
        // (models/tile/Program.h, "Actions").
        auto energy = [&](const std::string& a) {
            const auto it = cfg_.tech.energy.find(a);
            return it == cfg_.tech.energy.end() ? 0.0 : it->second;
        };
        double ops_J = 0;
        for (const TemplateOp& op : pre) {
            if (op.kind == TemplateOp::Kind::Affine) ops_J += energy(action::kDigitalMult) + energy(action::kDigitalAdd);
            if (op.kind != TemplateOp::Kind::Act) continue;
            switch (op.act) {
                case ActKind::None: break;
                case ActKind::Sign: case ActKind::SignBinary: case ActKind::Step: case ActKind::Relu:
                    ops_J += energy(action::kDigitalCompare);
                    break;
                case ActKind::Clip: ops_J += 2 * energy(action::kDigitalCompare); break;
                case ActKind::Quantize: ops_J += 2 * energy(action::kDigitalCompare) + energy(action::kDigitalMult); break;
                case ActKind::Round: case ActKind::Sigmoid: case ActKind::Tanh: ops_J += energy(action::kDigitalAct); break;
            }
        }
        const double saved = static_cast<double>(g.size() - 1) * prog_.input_width * ops_J;
        const double result_bytes = static_cast<double>(prog_.input_width) * pre.back().bits / 8.0;
        const double link = cfg_.chip.interconnect == Topology::SharedBus ? energy(action::kBusByte)
                                                                          : energy(action::kMeshLinkByte);
        return saved > result_bytes * (energy(action::kBufRead) + link);
    }

    void geometry() {
        for (const LayerPlan& lp : plans_) {
            const int R = phys::AnalogMacro::logical_rows(cfg_, lp.weight_bits);
            const int C = phys::AnalogMacro::logical_cols(cfg_, lp.weight_bits);
            if (R <= 0 || C <= 0)
                throw WorkloadError(out_.quantized.source, "layer '" + lp.name + "': " + std::to_string(lp.weight_bits) +
                                                               "-bit weights do not fit a " + std::to_string(cfg_.array.rows) +
                                                               "x" + std::to_string(cfg_.array.cols) + " array");
            cols_per_block_.push_back(C);
            // Row blocks: R rows each, within each row group (channels of one input scale;
            // the group's partial sums are scaled in the PE by its ratio).
            std::vector<LayerPlan::RowGroup> segs;
            const std::vector<LayerPlan::RowGroup> groups =
                lp.row_groups.empty() ? std::vector<LayerPlan::RowGroup>{{0, lp.k, 1.0f}} : lp.row_groups;
            for (const LayerPlan::RowGroup& g : groups)
                for (int r0 = g.r0; r0 < g.r0 + g.rows; r0 += R) segs.push_back({r0, std::min(R, g.r0 + g.rows - r0), g.scale});
            row_blocks_.push_back(static_cast<int>(segs.size()));
            row_segs_.push_back(std::move(segs));
            col_blocks_.push_back(ceil_div(lp.n, C));
        }
    }

    int tensor(const std::string& name, Location where, int tile, int rps, int width, int bits) {
        TensorDecl d;
        d.name = name;
        d.where = where;
        d.tile = tile;
        d.rows_per_sample = rps;
        d.width = width;
        d.bits = bits;
        prog_.tensors.push_back(d);
        return static_cast<int>(prog_.tensors.size()) - 1;
    }
    int global(const std::string& name, int width, int bits) { return tensor(name, Location::Global, -1, 1, width, bits); }

    // Applies template ops to `cur` (channels [c0, c1) of the full tensor) on tile t.
    // `full`: the ops run on the whole tensor (the first layer's input ops), whose channel
    // count changes with its shape (e.g. Flatten of the network input).
    int instantiate(std::vector<Instr>& code, int t, const std::string& prefix, const std::vector<TemplateOp>& ops,
                    int cur, int c0, int c1, bool pos_major, int positions, bool full = false) {
        int Cs = c1 - c0;
        int k = 0;
        for (std::size_t oi = 0; oi < ops.size(); ++oi) {
            const TemplateOp& op = ops[oi];
            if (full && op.channels > 0) {
                // A reshape (Flatten) between ops emits nothing: take the channel count the op
                // was planned with; elementwise ops have the same layout before and after.
                Cs = op.channels;
                if (op.kind == TemplateOp::Kind::Act || op.kind == TemplateOp::Kind::Affine) {
                    positions = op.positions;
                    pos_major = op.pos_major;
                }
            }
            // An elementwise op planned after a Flatten of this column block's CHW data: its
            // parameters are per feature (channel * positions + position); the layout stays.
            const bool after_flatten = !full && !pos_major && positions > 1 && op.positions == 1 && !op.pos_major &&
                                       (op.kind == TemplateOp::Kind::Act || op.kind == TemplateOp::Kind::Affine);
            const std::string name = prefix + ".t" + std::to_string(k++);
            Instr in;
            switch (op.kind) {
                case TemplateOp::Kind::Affine: {
                    in.op = OpCode::Affine;
                    const int width = pos_major ? Cs : Cs * positions;
                    in.vscale.resize(static_cast<std::size_t>(width));
                    in.vbias.resize(in.vscale.size());
                    for (int col = 0; col < width; ++col) {
                        const int ch = after_flatten ? c0 * positions + col : c0 + (pos_major ? col : col / positions);
                        in.vscale[col] = op.a[ch];
                        in.vbias[col] = op.b[ch];
                    }
                    // An activation right after the affine runs in the same pass.
                    if (oi + 1 < ops.size() && ops[oi + 1].kind == TemplateOp::Kind::Act) {
                        const TemplateOp& act = ops[++oi];
                        in.act = act.act;
                        in.lo = act.lo;
                        in.hi = act.hi;
                        in.levels = act.levels;
                        in.dst = tensor(name, Location::Local, t, pos_major ? positions : 1, width, act.bits);
                        in.src = cur;
                        cur = in.dst;
                        code.push_back(std::move(in));
                        continue;
                    }
                    break;
                }
                case TemplateOp::Kind::Act:
                    in.op = OpCode::Activation;
                    in.act = op.act;
                    in.lo = op.lo;
                    in.hi = op.hi;
                    in.levels = op.levels;
                    break;
                case TemplateOp::Kind::Pool:
                    in.op = OpCode::Pool;
                    in.geom = op.geom;
                    in.geom.c = Cs;
                    in.pool_max = op.pool_max;
                    break;
                case TemplateOp::Kind::ToFlat:
                    in.op = OpCode::Copy;
                    break;
                case TemplateOp::Kind::AddStored: {
                    // Residual: load this block's channel slice of the stored tensor (flat CHW),
                    // scale it unless the scales are aligned, add.
                    const int width = Cs * positions;
                    const int stored = layer_out_.at(static_cast<std::size_t>(op.layer));
                    const Instr ld = transfer(OpCode::Load, stored,
                                              tensor(name + ".skip", Location::Local, t, 1, width, prog_.tensors[stored].bits),
                                              width, c0 * positions);
                    code.push_back(ld);
                    int skip = ld.dst;
                    bool identity = true;
                    for (std::size_t i = 0; i < op.a.size(); ++i) identity = identity && op.a[i] == 1.0f && op.b[i] == 0.0f;
                    if (!identity) {
                        Instr af;
                        af.op = OpCode::Affine;
                        af.vscale.resize(static_cast<std::size_t>(width));
                        af.vbias.resize(af.vscale.size());
                        for (int col = 0; col < width; ++col) {
                            af.vscale[col] = op.a[c0 + col / positions];
                            af.vbias[col] = op.b[c0 + col / positions];
                        }
                        af.src = skip;
                        af.dst = tensor(name + ".skip_scaled", Location::Local, t, 1, width, 32);
                        skip = af.dst;
                        code.push_back(std::move(af));
                    }
                    in.op = OpCode::Add;
                    in.src2 = skip;
                    break;
                }
                case TemplateOp::Kind::PositionBias: {
                    in.op = OpCode::PositionBias;
                    in.dst = cur;
                    in.rows = positions;
                    in.c0 = 0;
                    in.cols = Cs;
                    in.vbias.resize(static_cast<std::size_t>(positions) * Cs);
                    for (int p = 0; p < positions; ++p)
                        for (int c = 0; c < Cs; ++c) in.vbias[static_cast<std::size_t>(p) * Cs + c] = op.table(p, c0 + c);
                    code.push_back(std::move(in));
                    continue;  // in place
                }
            }
            if (!after_flatten) {
                pos_major = op.pos_major;
                positions = op.positions;
            }
            const int rps = pos_major ? positions : 1;
            const int width = pos_major ? Cs : Cs * positions;
            in.src = cur;
            in.dst = tensor(name, Location::Local, t, rps, width, op.bits);
            cur = in.dst;
            code.push_back(std::move(in));
        }
        return cur;
    }

    WeightBlock make_block(int l, int u, int r, int tile, int macro) const {
        const LayerPlan& lp = plans_[l];
        const int C = cols_per_block_[l];
        const int r0 = row_segs_[l][r].r0, rows = row_segs_[l][r].rows;
        const int c0 = u * C, cols = std::min(C, lp.n - c0);
        WeightBlock b;
        b.w = lp.q.block(c0, r0, cols, rows).transpose();
        b.spec.rows = rows;
        b.spec.cols = cols;
        b.spec.weight_bits = lp.weight_bits;
        b.spec.input = lp.input;
        b.spec.input_bits = lp.input_bits;
        b.spec.input_slice_bits = lp.input_slice_bits;
        b.spec.readout = lp.readout;
        if (!lp.threshold.empty())
            b.spec.threshold.assign(lp.threshold.begin() + c0, lp.threshold.begin() + c0 + cols);
        b.spec.neuron_gain = lp.neuron_gain;
        // Analog accumulation: the unit's last row block converts the summed charge once.
        if (lp.analog_sum && row_blocks_[l] > 1)
            b.spec.analog_sum = r + 1 == row_blocks_[l] ? phys::AnalogSum::Final : phys::AnalogSum::Partial;
        b.layer = l;
        b.tile = tile;
        b.macro = macro;
        return b;
    }

    int add_block(WeightBlock b) {
        prog_.blocks.push_back(std::move(b));
        return static_cast<int>(prog_.blocks.size()) - 1;
    }

    void emit_layer(int l, int gin, int gout) {
        const LayerPlan& lp = plans_[l];
        const int T = cfg_.chip.tiles, M = cfg_.tile.macros;
        const int C = cols_per_block_[l];
        const int rb = row_blocks_[l], cb = col_blocks_[l];
        LayerInfo info;
        info.name = lp.name;
        info.kind = lp.conv ? "conv" : "dense";
        info.macs_per_sample = static_cast<std::int64_t>(lp.k) * lp.n * lp.p;
        info.weight_bits = lp.weight_bits;
        info.input_bits = lp.input_bits;
        info.blocks = rb * cb;
        pe::ReductionShape shape;
        shape.rows = lp.k;
        shape.blocks = rb;
        shape.weight_bits = lp.weight_bits;
        shape.input_bits = lp.input_bits;
        shape.input_slice_bits = lp.input_slice_bits;
        shape.input = lp.input;
        shape.readout = lp.readout;
        const int pe_bits = pe::reduction_bits(cfg_, shape);
        if (pe_bits > cfg_.pe.accumulator_bits)
            throw WorkloadError(out_.quantized.source, "layer '" + lp.name + "': its partial sums need " +
                                                           std::to_string(pe_bits) + "-bit adders, the processing "
                                                           "element is built for pe.accumulator_bits = " +
                                                           std::to_string(cfg_.pe.accumulator_bits));

        std::set<int> tiles_used;
        tile_rounds_.resize(plans_.size());
        std::vector<std::pair<int, std::size_t>> input_loads;  // (tile, index in its code)
        for (int t = 0; t < T; ++t) {
            // Pipelined: only the layer's own stage tiles run it.
            if (streamed_ && std::find(plan_.stage_tiles[l].begin(), plan_.stage_tiles[l].end(), t) ==
                                 plan_.stage_tiles[l].end())
                continue;
            Instr li;
            li.op = OpCode::Layer;
            li.layer = l;
            prog_.tile_code[t].push_back(li);
        }
        int rewrites = 0;
        // Layer by layer, the first layer's input ops (e.g. binarizing the pixels) run once:
        // on the layer's first tile, whose result goes to the global buffer and from there to
        // every tile of the layer (one multicast Load), instead of each tile loading the raw
        // input and running the same ops on it. Only when the ops shrink the data (fewer
        // bits) and keep it flat; a pipelined program streams it through its first stage.
        std::set<int> layer_tiles;
        for (int u = 0; u < cb; ++u) layer_tiles.insert(plan_.units[l][u].tile);
        int shared_in = -1, pre_tile = -1, pre_local = -1;
        if (!streamed_ && l == 0 && !lp.pre.empty() && layer_tiles.size() > 1 && lp.pre.back().bits < 8 &&
            (!lp.pre.back().pos_major || lp.pre.back().positions <= 1)) {
            pre_tile = *layer_tiles.begin();
            auto& code = prog_.tile_code[static_cast<std::size_t>(pre_tile)];
            const std::string pfx = "t" + std::to_string(pre_tile) + "." + lp.name;
            const int raw = tensor(pfx + ".in", Location::Local, pre_tile, 1, prog_.input_width, 8);
            code.push_back(transfer(OpCode::Load, gin, raw, prog_.input_width));
            const int ch = static_cast<int>(out_.quantized.input_shape().empty() ? 1 : out_.quantized.input_shape()[0]);
            const std::size_t load_at = code.size() - 1;
            pre_local = instantiate(code, pre_tile, pfx + ".pre", lp.pre, raw, 0, ch, false, prog_.input_width / ch,
                                    /*full=*/true);
            input_port(code, load_at, raw);
            const TensorDecl pd = prog_.tensors[static_cast<std::size_t>(pre_local)];
            shared_in = global(lp.name + ".in", pd.width, pd.bits);
            code.push_back(transfer(OpCode::Store, pre_local, shared_in, pd.width));
            for (int t = 0; t < T; ++t) {  // the other tiles load it once it is stored
                Instr b;
                b.op = OpCode::Barrier;
                prog_.tile_code[static_cast<std::size_t>(t)].push_back(b);
            }
            out_.notes.push_back("layer '" + lp.name + "': the input ops run once on tile " + std::to_string(pre_tile) +
                                 " and their " + std::to_string(pd.bits) + "-bit result is multicast to the layer's " +
                                 std::to_string(layer_tiles.size()) + " tiles");
        }
        for (int t = 0; t < T; ++t) {
            std::vector<int> units;
            for (int u = 0; u < cb; ++u)
                if (plan_.units[l][u].tile == t) units.push_back(u);
            if (units.empty()) continue;
            tiles_used.insert(t);
            auto& code = prog_.tile_code[t];
            const std::string pfx = "t" + std::to_string(t) + "." + lp.name;
            int lin = -1;
            const int in_width = l == 0 ? prog_.input_width : plans_[l - 1].out_width;
            if (t == pre_tile) {
                lin = pre_local;  // the input ops ran here: their result is already local
            } else if (shared_in >= 0) {
                const TensorDecl sd = prog_.tensors[static_cast<std::size_t>(shared_in)];  // tensor() grows the table
                lin = tensor(pfx + ".in", Location::Local, t, 1, sd.width, sd.bits);
                input_loads.emplace_back(t, code.size());
                code.push_back(transfer(OpCode::Load, shared_in, lin, sd.width));
            } else if (multicast_input_ && l == 0 && t != plan_.stage_tiles[0].front()) {
                // The head tile's multicast Send of the input ops' result.
                lin = input_copy_.at(t);
                Instr rc;
                rc.op = OpCode::Receive;
                rc.peer = plan_.stage_tiles[0].front();
                rc.dst = lin;
                rc.c0 = 0;
                rc.cols = prog_.tensors[static_cast<std::size_t>(lin)].width;
                code.push_back(rc);
            } else if (streamed_ && l > 0) {
                // Every unit of the previous stage sends its output slice here.
                lin = stage_in_[l].at(t);
                const LayerPlan& prev = plans_[l - 1];
                const int pc = cols_per_block_[l - 1];
                for (int p : plan_.stage_tiles[l - 1])
                    for (int u = 0; u < col_blocks_[l - 1]; ++u) {
                        if (plan_.units[l - 1][u].tile != p) continue;
                        Instr rc;
                        rc.op = OpCode::Receive;
                        rc.peer = p;
                        rc.dst = lin;
                        rc.c0 = u * pc * prev.out_positions;
                        rc.cols = (std::min(prev.n, (u + 1) * pc) - u * pc) * prev.out_positions;
                        code.push_back(rc);
                    }
            } else {
                const int in_bits = l == 0 ? 8 : prog_.tensors[gin].bits;
                lin = streamed_ ? stage_in_[l].at(t) : tensor(pfx + ".in", Location::Local, t, 1, in_width, in_bits);
                input_loads.emplace_back(t, code.size());
                code.push_back(transfer(OpCode::Load, gin, lin, in_width));
            }
            int src = lin;
            if (l == 0 && shared_in < 0 && !(multicast_input_ && t != plan_.stage_tiles[0].front())) {
                const int ch = static_cast<int>(out_.quantized.input_shape().empty() ? 1 : out_.quantized.input_shape()[0]);
                const int pos = in_width / ch;
                const std::size_t load_at = code.size() - 1;
                src = instantiate(code, t, pfx + ".pre", lp.pre, lin, 0, ch, false, pos, /*full=*/true);
                input_port(code, load_at, lin);
                if (multicast_input_) {
                    // Head of the first stage: one copy of the result for each other tile
                    // (consecutive tensor ids, the k-th receiver's is dst + k), one Send.
                    const std::vector<int>& g = plan_.stage_tiles[0];
                    const TensorDecl pd = prog_.tensors[static_cast<std::size_t>(src)];
                    int first = -1;
                    for (std::size_t k = 1; k < g.size(); ++k) {
                        const int id = tensor("t" + std::to_string(g[k]) + "." + lp.name + ".in", Location::Local, g[k], 1,
                                              pd.width, pd.bits);
                        if (first < 0) first = id;
                        input_copy_[g[k]] = id;
                    }
                    Instr sd;
                    sd.op = OpCode::Send;
                    sd.multicast = true;
                    sd.src = src;
                    sd.peer = g[1];
                    sd.levels = static_cast<int>(g.size()) - 1;
                    sd.dst = first;
                    sd.c0 = 0;
                    sd.cols = pd.width;
                    code.push_back(sd);
                    out_.notes.push_back("layer '" + lp.name + "': the input ops run once, on tile " +
                                         std::to_string(t) + " as the input arrives, and their " + std::to_string(pd.bits) +
                                         "-bit result is multicast to the stage's " + std::to_string(g.size() - 1) +
                                         " other tiles (one transfer)");
                }
            }
            if (lp.conv) {
                const int col = tensor(pfx + ".im2col", Location::Local, t, lp.p, lp.k, lp.in_bits);
                Instr ic;
                ic.op = OpCode::Im2col;
                ic.src = src;
                ic.dst = col;
                ic.geom = lp.geom;
                ic.geom.pad_value = lp.pad_value;
                code.push_back(ic);
                src = col;
            }
            // Accumulators, then all MVMs (dispatched to macros in parallel), then post ops.
            // Partial sums of the row blocks are reduced in the tile's processing element, at
            // the width the sum needs, into its output registers (no tile SRAM round trip).
            std::vector<int> acc;
            for (int u : units) {
                const int cols = std::min(C, lp.n - u * C);
                acc.push_back(tensor(pfx + ".u" + std::to_string(u) + ".acc", Location::Pe, t, lp.p, cols, pe_bits));
            }
            auto mvm = [&](std::size_t ui, int r, int macro) {
                const int u = units[ui];
                Instr in;
                in.op = OpCode::Mvm;
                in.macro = macro;
                in.src = src;
                in.r0 = row_segs_[l][r].r0;
                in.rows = row_segs_[l][r].rows;
                in.scale = row_segs_[l][r].scale;
                in.dst = acc[ui];
                in.c0 = 0;
                in.cols = std::min(C, lp.n - u * C);
                in.accumulate = r > 0;
                code.push_back(in);
            };
            if (resident_layer(static_cast<std::size_t>(l))) {
                for (std::size_t ui = 0; ui < units.size(); ++ui)
                    for (int r = 0; r < rb; ++r) {
                        const int macro = plan_.units[l][units[ui]].macros[r];
                        const int b = add_block(make_block(l, units[ui], r, t, macro));
                        Instr pg;
                        pg.op = OpCode::Program;
                        pg.macro = macro;
                        pg.block = b;
                        prog_.setup_code[t].push_back(pg);
                        mvm(ui, r, macro);
                    }
            } else {
                std::vector<std::pair<std::size_t, int>> work;
                for (std::size_t ui = 0; ui < units.size(); ++ui)
                    for (int r = 0; r < rb; ++r) work.emplace_back(ui, r);
                // Several rounds form a round group (OpCode::Round): the tile alternates their
                // order every execution, so the last round's blocks, still programmed, serve
                // the first round of the next step. Not for analog accumulation, whose final
                // row block must convert last.
                const int rounds = ceil_div(static_cast<int>(work.size()), M);
                const bool group = rounds > 1 && !(lp.analog_sum && rb > 1);
                if (group) tile_rounds_[static_cast<std::size_t>(l)][t] = rounds;
                for (std::size_t w0 = 0; w0 < work.size(); w0 += static_cast<std::size_t>(M)) {
                    const std::size_t w1 = std::min(work.size(), w0 + static_cast<std::size_t>(M));
                    if (group) {
                        Instr rd;
                        rd.op = OpCode::Round;
                        rd.c0 = static_cast<int>(w0 / static_cast<std::size_t>(M));
                        rd.cols = rounds;
                        rd.rows = 2 * static_cast<int>(w1 - w0);  // its Programs and Mvms
                        code.push_back(rd);
                    }
                    for (std::size_t w = w0; w < w1; ++w) {
                        const int macro = static_cast<int>(w - w0);
                        Instr pg;
                        pg.op = OpCode::Program;
                        pg.macro = macro;
                        pg.block = add_block(make_block(l, units[work[w].first], work[w].second, t, macro));
                        code.push_back(pg);
                        ++rewrites;
                    }
                    for (std::size_t w = w0; w < w1; ++w) mvm(work[w].first, work[w].second, static_cast<int>(w - w0));
                }
            }
            for (std::size_t ui = 0; ui < units.size(); ++ui) {
                const int u = units[ui];
                const int c0 = u * C, c1 = std::min(lp.n, c0 + C);
                const int fin = instantiate(code, t, pfx + ".u" + std::to_string(u), lp.post, acc[ui], c0, c1, lp.conv, lp.p);
                if (streamed_ && l + 1 < static_cast<int>(plans_.size())) {
                    for (int q : plan_.stage_tiles[l + 1]) {
                        Instr sd;
                        sd.op = OpCode::Send;
                        sd.src = fin;
                        sd.peer = q;
                        sd.dst = stage_in_[l + 1].at(q);
                        sd.src_c0 = 0;
                        sd.c0 = c0 * lp.out_positions;
                        sd.cols = (c1 - c0) * lp.out_positions;
                        code.push_back(sd);
                    }
                    continue;
                }
                code.push_back(transfer(OpCode::Store, fin, gout, (c1 - c0) * lp.out_positions, 0, c0 * lp.out_positions));
            }
        }
        // Every tile of the layer loads the same input: one multicast read serves them all.
        if (input_loads.size() > 1) {
            for (const auto& [t, i] : input_loads) {
                Instr& ld = prog_.tile_code[static_cast<std::size_t>(t)][i];
                ld.multicast = true;
                ld.peer = multicast_groups_;
                ld.levels = static_cast<int>(input_loads.size());
            }
            ++multicast_groups_;
        }
        for (int t = 0; t < T && !streamed_; ++t) {
            Instr b;
            b.op = OpCode::Barrier;
            prog_.tile_code[t].push_back(b);
        }
        info.rewrites = rewrites;
        prog_.layers.push_back(info);

        LayerMapping m;
        m.name = lp.name;
        m.kind = info.kind;
        m.k = lp.k;
        m.n = lp.n;
        m.p = lp.p;
        m.weight_bits = lp.weight_bits;
        m.weight_scale = lp.weight_scale;
        m.weights_on_grid = lp.weights_on_grid;
        for (float cs : lp.col_scale) m.per_channel_scales = m.per_channel_scales || (cs != 0.0f && cs != lp.weight_scale);
        m.input_from_model = lp.input_from_model;
        m.weight_precision = lp.weight_origin;
        m.input_origin = lp.input_origin;
        m.input_bits = lp.input_bits;
        m.input = lp.input;
        m.input_cycles = input_cycles(lp);
        m.readout = lp.readout;
        m.analog_sum = lp.analog_sum && rb > 1;
        m.row_blocks = rb;
        m.pe_bits = pe_bits;
        m.col_blocks = cb;
        m.blocks = rb * cb;
        m.tiles = static_cast<int>(tiles_used.size());
        if (streamed_) {
            const auto& g = plan_.stage_tiles[l];
            m.stage = "t" + std::to_string(g.front()) + (g.size() > 1 ? "-t" + std::to_string(g.back()) : "");
            const int units_max = (cb + static_cast<int>(g.size()) - 1) / static_cast<int>(g.size());
            m.stage_ops = units_max * unit_ops_[static_cast<std::size_t>(l)];
        }
        const double cells_per_macro = static_cast<double>(cfg_.array.rows) * cfg_.array.cols;
        double used = 0;
        for (int u = 0; u < cb; ++u)
            for (int r = 0; r < rb; ++r) {
                const int rows = row_segs_[l][r].rows, cols = std::min(C, lp.n - u * C);
                used += static_cast<double>(rows) * phys::AnalogMacro::physical_cols(cfg_, lp.weight_bits, cols);
            }
        m.utilization = used / (cells_per_macro * m.blocks);
        m.rewrites_per_batch = rewrites;
        m.macs_per_sample = info.macs_per_sample;
        out_.layers.push_back(m);
        out_.rewrites_per_batch += rewrites;
        // Pipelined: every layer on macros of its own; layer by layer, multiplexed layers share them.
        const int layer_macros = resident_layer(static_cast<std::size_t>(l)) ? m.blocks : std::min(m.blocks, M * m.tiles);
        out_.macros_used = streamed_ || plan_.resident ? out_.macros_used + layer_macros
                                                       : std::max(out_.macros_used, layer_macros);
        LayerMapping& placed = out_.layers.back();
        placed.resident = resident_layer(static_cast<std::size_t>(l));
        if (streamed_ && !placed.resident) {
            placed.step_samples = cfg_.chip.step_samples;  // size_steps() may lower it
            placed.rounds = plan_.stage_rounds[static_cast<std::size_t>(l)];
        }
    }

    const Config& cfg_;
    std::vector<LayerPlan>& plans_;
    CompiledModel& out_;
    Program& prog_;
    PlacementPlan plan_;
    std::vector<int> cols_per_block_, row_blocks_, col_blocks_;
    std::vector<std::vector<LayerPlan::RowGroup>> row_segs_;  // [layer] row block -> rows, PE scale
    std::vector<int> layer_out_;  // global output tensor of every layer emitted so far
    bool streamed_ = false;       // pipelined program (Program::streamed)
    int multicast_groups_ = 0;    // multicast Load groups emitted so far
    std::vector<std::map<int, int>> stage_in_;  // [layer] tile -> its local input tensor
    std::vector<double> unit_ops_;              // [layer] stage work per unit and sample
    std::vector<std::map<int, int>> tile_rounds_;  // [layer] tile -> rounds of its round group
    bool multicast_input_ = false;              // multicast_input(): the first stage's head runs the input ops
    std::map<int, int> input_copy_;             // first stage tile -> the tensor the head's multicast Send fills
};

// The quantized reference network: the imported graph with the quantization the compiler
// inserted in front of MVMs and post-training-quantized weights replaced by their grid.
// `identical`: nothing was inserted or replaced (q evaluates exactly like net).
Network build_quantized(const Network& net, const std::vector<LayerPlan>& plans, const Config& cfg, bool& identical) {
    identical = true;
    Network q = net;
    q.nodes.clear();
    std::size_t next_plan = 0;
    for (std::size_t i = 0; i < net.nodes.size(); ++i) {
        Node n = net.nodes[i];
        if (next_plan < plans.size() && plans[next_plan].node == static_cast<int>(i)) {
            const LayerPlan& lp = plans[next_plan++];
            int v = n.inputs.at(0);
            int k = 0;
            for (const InsertedNode& ins : lp.inserted_before) {
                identical = false;
                Node x;
                x.name = n.name + "/quant" + std::to_string(k++);
                x.kind = ins.kind;
                x.inputs = {v};
                Value val;
                val.name = x.name;
                val.shape = q.values[v].shape;
                val.producer = static_cast<int>(q.nodes.size());
                q.values.push_back(val);
                x.output = static_cast<int>(q.values.size()) - 1;
                if (ins.kind == OpKind::Clip) {
                    x.clip.min = ins.min;
                    x.clip.max = ins.value;
                } else if (ins.kind == OpKind::DivConst || ins.kind == OpKind::MulConst ||
                           ins.kind == OpKind::SubConst || ins.kind == OpKind::AddConst) {
                    x.operand.broadcast = ConstOperand::Broadcast::Scalar;
                    x.operand.value.shape = {};
                    x.operand.value.data = {ins.value};
                }
                q.nodes.push_back(x);
                v = x.output;
            }
            n.inputs[0] = v;
            if (!lp.weights_on_grid) {
                identical = false;
                Tensor& w = n.kind == OpKind::Dense ? n.dense.weight : n.conv.weight;
                const QuantizedWeights qw = quantize_weights(w.as_matrix(lp.n, lp.k), cfg.macro.weight_bits);
                for (int r = 0; r < lp.n; ++r)
                    for (int c = 0; c < lp.k; ++c)
                        w.data[static_cast<std::size_t>(r) * lp.k + c] = static_cast<float>(qw.q(r, c)) * qw.scale[r];
            }
        }
        q.values[n.output].producer = static_cast<int>(q.nodes.size());
        q.nodes.push_back(n);
    }
    return q;
}

const char* encoding_name(InputEncoding e) {
    switch (e) {
        case InputEncoding::Binary: return "binary";
        case InputEncoding::Signed: return "signed";
        case InputEncoding::BitSerial: return "bit-serial";
        case InputEncoding::Pwm: return "pwm";
    }
    return "?";
}

const char* readout_name(ReadoutKind r) {
    switch (r) {
        case ReadoutKind::Adc: return "adc";
        case ReadoutKind::SenseAmp: return "sense-amp";
        case ReadoutKind::Tdc: return "tdc";
        case ReadoutKind::SigmoidNeuron: return "sot-neuron";
    }
    return "?";
}

}  // namespace

CompiledModel compile_network(const Network& net, const Config& cfg, const AnalysisOptions& opt) {
    CompiledModel out;
    out.total_macros = cfg.total_macros();
    out.input_domain = opt.input;
    std::vector<LayerPlan> plans = analyse_layers(net, cfg, opt, out.notes);
    out.quantized = build_quantized(net, plans, cfg, out.quantized_is_imported);
    CodeGen(cfg, plans, out).run(net);
    if (!out.resident && !out.pipelined)
        out.notes.push_back("the network does not fit the chip's " + std::to_string(out.total_macros) +
                            " macros: every layer reprograms its macros for each batch (time-multiplexed)");
    return out;
}

std::string format_mapping(const CompiledModel& m, const Config& cfg) {
    std::ostringstream os;
    os << "Mapping onto " << cfg.chip.tiles << " tiles x " << cfg.tile.macros << " macros of " << cfg.array.rows << "x"
       << cfg.array.cols << " cells ("
       << (m.resident ? "all weights resident"
                      : m.pipelined ? "time-multiplexed stages reprogrammed per step"
                                    : "time-multiplexed, reprogrammed per batch")
       << ")\n\n";
    os << std::left << std::setw(18) << "layer" << std::setw(6) << "kind" << std::right << std::setw(12) << "K x N"
       << std::setw(6) << "pos" << std::setw(5) << "w.b" << std::setw(13) << "input" << std::setw(11) << "readout"
       << std::setw(10) << "blocks" << std::setw(7) << "pe.sum" << std::setw(6) << "tiles" << std::setw(7) << "util"
       << std::setw(9) << "rewrites" << std::setw(13) << "MACs";
    if (m.pipelined) os << std::setw(10) << "stage" << std::setw(11) << "stage.ops";
    os << "\n";
    std::int64_t macs = 0;
    for (const LayerMapping& l : m.layers) {
        std::ostringstream kn, blocks, input, util;
        kn << l.k << "x" << l.n;
        blocks << l.row_blocks << "x" << l.col_blocks;
        input << encoding_name(l.input) << "/" << l.input_bits << "b";
        if (l.input_cycles > 1) input << "x" << l.input_cycles;
        util << std::fixed << std::setprecision(0) << l.utilization * 100 << "%";
        std::string name = l.name.size() > 17 ? l.name.substr(0, 17) : l.name;
        os << std::left << std::setw(18) << name << std::setw(6) << l.kind << std::right << std::setw(12) << kn.str()
           << std::setw(6) << l.p << std::setw(5) << l.weight_bits << std::setw(13) << input.str() << std::setw(11)
           << readout_name(l.readout) << std::setw(10) << blocks.str()
           << std::setw(7) << (l.analog_sum ? std::string("analog") : std::to_string(l.pe_bits) + "b")
           << std::setw(6) << l.tiles << std::setw(7)
           << util.str() << std::setw(9) << l.rewrites_per_batch << std::setw(13) << l.macs_per_sample;
        if (m.pipelined) {
            std::ostringstream ops;
            ops << std::fixed << std::setprecision(0) << l.stage_ops;
            os << std::setw(10) << l.stage << std::setw(11) << ops.str();
        }
        os << "\n";
        macs += l.macs_per_sample;
    }
    os << "\ninput domain: " << m.input_domain.describe();
    if (m.input_domain.known()) os << " (from " << m.input_domain.source << ")";
    os << "\nmacros used: " << m.macros_used << " of " << m.total_macros << "   weight blocks: " << m.program.blocks.size()
       << (m.pipelined ? "   rewrites per step: " : "   rewrites per batch: ") << m.rewrites_per_batch
       << [&] {
              int steady = 0;
              for (const LayerMapping& l : m.layers) steady += l.resident ? 0 : l.rewrites_steady;
              return steady != m.rewrites_per_batch ? " first, " + std::to_string(steady) + " later" : std::string();
          }()
       << "   MACs per inference: " << macs << "\n";
    if (m.pipelined)
        os << "dataflow: pipelined, one tile group per layer (stage); samples stream from stage to stage\n"
              "        (Send/Receive, chip.pipeline_depth = " << cfg.chip.pipeline_depth << " samples per channel).\n"
              "stage.ops: adder-tree + post-op operations per sample on the stage's busiest tile; spare tiles\n"
              "        went to the stage with the most, so stages balance (chip.dataflow: layer_by_layer to compare)\n";
    else
        os << "dataflow: layer by layer (all tiles run one layer, then a chip-wide barrier)\n";
    os << "input: driver encoding / input bits, xN: N array reads per MVM (bit-serial bits, or slices of\n"
          "        periphery.input.bits for PWM inputs wider than the DAC, shift-added)\n";
    os << "pe.sum: width of the row-block partial-sum reduction in each tile's processing element\n"
          "        (adder tree beside the converters; partial sums do not pass through tile SRAM);\n"
          "        analog: the row blocks' column charges are summed on the PE's node before one decision\n";
    for (const std::string& n : m.notes) os << "note: " << n << "\n";
    return os.str();
}

}  // namespace sotsim::workloads
