#include "models/tile/TileController.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "models/common/Payload.h"
#include "models/common/Transpose.h"
#include "models/macro/MacroMap.h"
#include "models/tile/DigitalOps.h"
#include "models/tile/GlobalBuffer.h"
#include "models/tile/ProgramImage.h"
#include "models/tile/TensorLiveness.h"

namespace sotsim {

using namespace sc_core;
using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {
const char* op_name(OpCode op) {
    static const char* names[] = {"Load", "Store", "Im2col", "Program", "Mvm",     "Affine", "Activation",
                                  "Pool", "Add",   "Copy",   "Barrier", "Layer",   "End",        "PositionBias",
                                  "Send", "Receive", "Round"};
    const auto i = static_cast<std::size_t>(op);
    return i < sizeof(names) / sizeof(names[0]) ? names[i] : "?";
}
sc_time max_t(const sc_time& a, const sc_time& b) { return a > b ? a : b; }
}  // namespace

TileController::TileController(sc_module_name name, const Config& cfg, int tile)
    : sc_module(name),
      to_noc("to_noc"),
      to_macros("to_macros"),
      inbox("inbox"),
      buffer("buffer", cfg.tile, tile),
      pe("pe", cfg, cfg.tile.macros, tile),
      macros("macro"),
      cfg_(cfg),
      tile_(tile),
      cycle_(tlmx::cycles(1, cfg.tile.clock)) {
    macros.init(static_cast<std::size_t>(cfg.tile.macros), [&](const char* nm, std::size_t i) {
        (void)nm;  // named macro<i> so trace paths read chip.tile0.macro3
        const std::string n = "macro" + std::to_string(i);
        return new MramMacro(n.c_str(), cfg, tile * cfg.tile.macros + static_cast<int>(i), tile);
    });
    for (auto& m : macros) to_macros.bind(m.cfg);
    macro_block_.assign(static_cast<std::size_t>(cfg.tile.macros), -1);
    macro_image_.assign(static_cast<std::size_t>(cfg.tile.macros), 0);
    inbox.register_b_transport(this, &TileController::inbox_transport);
    inbox.register_transport_dbg(this, &TileController::inbox_dbg);
    SC_THREAD(run_thread);
    // The thread runs the physics core (Eigen GEMMs with stack-allocated blocking buffers,
    // a recursive IR-drop solver) inside b_transport: SystemC's default coroutine stack
    // (tens of KiB) would overflow. Reserved address space only; pages are touched lazily.
    set_stack_size(kThreadStackBytes);
}

void TileController::set_trace(TraceSink* sink) {
    sink_ = sink;
    buffer.set_trace(sink);
    pe.set_trace(sink);
    for (auto& m : macros) m.set_trace(sink);
    tr_layer_.declare(sink, std::string(name()) + ".layer", 16);
    // 0 idle, 1 load, 2 compute, 3 reduce (digital post ops), 4 send, 5 wait (see Phase)
    tr_phase_.declare(sink, std::string(name()) + ".phase", 3);
}

void TileController::connect_peers(std::vector<TileController*> peers, std::uint64_t inbox_base,
                                   std::uint64_t inbox_stride) {
    peers_ = std::move(peers);
    inbox_base_ = inbox_base;
    inbox_stride_ = inbox_stride;
}

void TileController::prepare(const Program& p, int batch) {
    prepared_samples_ = batch;
    buffer.store().clear();
    views_.clear();
    // Im2col destinations that only Mvms read (as their source) are gathered, not stored.
    gathered_.assign(p.tensors.size(), 0);
    std::vector<char> other_use(p.tensors.size(), 0);
    auto scan = [&](const std::vector<std::vector<Instr>>& code) {
        if (static_cast<std::size_t>(tile_) >= code.size()) return;
        for (const Instr& in : code[static_cast<std::size_t>(tile_)]) {
            auto use = [&](int id, bool ok) {
                if (id < 0 || static_cast<std::size_t>(id) >= p.tensors.size()) return;
                if (ok) gathered_[static_cast<std::size_t>(id)] |= in.op == OpCode::Im2col;
                else other_use[static_cast<std::size_t>(id)] = 1;
            };
            use(in.src, in.op == OpCode::Mvm);
            use(in.src2, false);
            use(in.dst, in.op == OpCode::Im2col);
        }
    };
    scan(p.tile_code);
    scan(p.setup_code);
    // A Port tensor is the stream of a Load into the digital unit: only a Load writes it and
    // only one Affine / Activation reads it (nothing stores it to run another op on later).
    std::vector<int> port_reads(p.tensors.size(), 0);
    if (static_cast<std::size_t>(tile_) < p.tile_code.size())
        for (const Instr& in : p.tile_code[static_cast<std::size_t>(tile_)]) {
            auto port = [&](int id) {
                return id >= 0 && static_cast<std::size_t>(id) < p.tensors.size() &&
                       p.tensors[static_cast<std::size_t>(id)].where == Location::Port;
            };
            const bool reader = in.op == OpCode::Affine || in.op == OpCode::Activation;
            if (port(in.src)) {
                if (!reader)
                    throw std::runtime_error("tile " + std::to_string(tile_) + ": port tensor '" + p.tensors[in.src].name +
                                             "' is read by a " + std::string(op_name(in.op)) +
                                             "; only an Affine or Activation runs on a Load's stream");
                ++port_reads[static_cast<std::size_t>(in.src)];
            }
            if (port(in.src2) || (port(in.dst) && in.op != OpCode::Load))
                throw std::runtime_error("tile " + std::to_string(tile_) + ": port tensor '" +
                                         p.tensors[port(in.src2) ? in.src2 : in.dst].name + "' is used by a " +
                                         std::string(op_name(in.op)) + "; only a Load writes a port tensor");
        }
    for (std::size_t id = 0; id < port_reads.size(); ++id)
        if (port_reads[id] > 1)
            throw std::runtime_error("tile " + std::to_string(tile_) + ": port tensor '" + p.tensors[id].name +
                                     "' is read by " + std::to_string(port_reads[id]) +
                                     " ops; the stream passes the digital unit once");
    for (std::size_t id = 0; id < gathered_.size(); ++id) gathered_[id] = gathered_[id] && !other_use[id];
    // Tensors with disjoint live ranges share host memory (TensorLiveness.h); each is zeroed at
    // its first use in a pass (first_touch), not here.
    const SharedMemoryPlan plan = plan_shared_memory(p, tile_, batch, gathered_);
    buffer.store().reserve_slots(plan.slot_floats);
    shared_.assign(p.tensors.size(), 0);
    for (std::size_t id = 0; id < p.tensors.size(); ++id) shared_[id] = plan.slot[id] >= 0;
    for (std::size_t id = 0; id < p.tensors.size(); ++id) {
        const auto& d = p.tensors[id];
        if (d.where != Location::Local || d.tile != tile_) continue;
        // Capacity is checked per tensor and per sample: hardware streams the samples of a
        // batch (and the rows of an im2col) through the tile, the simulator only batches them
        // for speed, and tensors of different layers are not live at the same time. The
        // compiler reports layers whose per-sample working set exceeds the buffer.
        const double per_sample = std::ceil(static_cast<double>(d.rows_per_sample) * d.width * d.bits / 8.0);
        if (per_sample > cfg_.tile.buffer_bytes)
            throw std::runtime_error("tile " + std::to_string(tile_) + " local buffer: tensor '" + d.name + "' needs " +
                                     std::to_string(static_cast<long long>(per_sample)) +
                                     " bytes per sample, the buffer holds " +
                                     std::to_string(static_cast<long long>(cfg_.tile.buffer_bytes)));
        // A time-multiplexed stage keeps its step's samples through all rounds: they must fit.
        const double capacity = p.streamed && p.step_samples(static_cast<std::size_t>(tile_)) > 1
                                    ? cfg_.tile.buffer_bytes
                                    : std::numeric_limits<double>::infinity();
        buffer.store().allocate(static_cast<int>(id), batch * d.rows_per_sample, d.width, d.bits, capacity,
                                "tile " + std::to_string(tile_) + " local buffer (a step of " + std::to_string(batch) +
                                    " samples)",
                                !gathered_[id], plan.slot[id]);
    }
    sram_bytes_ = buffer.store().used_bytes();
    // Output registers after the buffer's tensors, so the buffer's capacity check (a
    // time-multiplexed step) counts only what the SRAM holds.
    for (std::size_t id = 0; id < p.tensors.size(); ++id) {
        const auto& d = p.tensors[id];
        if ((d.where != Location::Pe && d.where != Location::Port) || d.tile != tile_) continue;
        // output registers / the input port's stream: samples and positions stream through
        buffer.store().allocate(static_cast<int>(id), batch * d.rows_per_sample, d.width, d.bits,
                                std::numeric_limits<double>::infinity(), "tile " + std::to_string(tile_), true,
                                plan.slot[id]);
    }
    buffer.store().release_unused();
    // Macros keep their weights when only the batch changes (the host resizes the batch
    // between runs); a fresh tile starts with every macro unprogrammed.
    if (macro_block_.size() != static_cast<std::size_t>(cfg_.tile.macros))
        macro_block_.assign(static_cast<std::size_t>(cfg_.tile.macros), -1);
    macro_image_.resize(macro_block_.size(), 0);
}

void TileController::start(const TileJob& job, std::function<void(int)> on_done, const sc_time& offset) {
    job_ = job;
    inbox_.reset();  // before any tile of this run can deliver
    aborted_ = false;
    on_done_ = std::move(on_done);
    start_ev_.notify(offset);
}

void TileController::set_now(const sc_time& t) { qk_.set(t - sc_time_stamp()); }

void TileController::transport(tlm::tlm_generic_payload& t, sc_time& abs, int macro, const char* what) {
    // Shared resources (interconnect, global buffer, program memory) are booked at kernel
    // time: a controller a quantum ahead in local time would otherwise book the bus before
    // another tile's earlier request, and a first-fit calendar cannot always give that
    // request the gap in front (a weight block's transfer is longer than the gaps), so who
    // waited would depend on sim.quantum and process order. Synchronised, every tile books
    // in simulated-time order; the tile's own macros, PE, buffer and digital unit stay
    // decoupled (only this thread books them).
    if (macro < 0 && qk_.get_local_time() > SC_ZERO_TIME) qk_.sync();
    sc_time d = delay_from(abs);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (macro >= 0) to_macros[static_cast<unsigned>(macro)]->b_transport(t, d);
    else to_noc->b_transport(t, d);
    if (t.is_response_error()) throw std::runtime_error(failure(what, t.get_response_string(), t.get_address()));
    abs = sc_time_stamp() + d;
}

std::string TileController::failure(const char* what, const std::string& response, std::uint64_t address) {
    std::ostringstream os;
    os << what << " failed: " << response << " at address 0x" << std::hex << address;
    return os.str();
}

void TileController::finish_programs() {
    // In issue order, each as its undeferred write would have ended (MacroMap.h).
    for (std::size_t k = 0; k < deferred_.size(); ++k) {
        sc_time end;
        if (!deferred_[k].finish(end)) {
            tlm::tlm_generic_payload failed;
            failed.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
            const std::size_t pc = deferred_[k].pc;
            for (const auto& d : deferred_) macro_block_[static_cast<std::size_t>(d.macro)] = -1;  // state unknown
            deferred_.clear();
            throw ProgramFailure(pc, failure("macro program", failed.get_response_string(), macro_map::kWeightBase));
        }
        finish_op(end);
    }
    deferred_.clear();
}

void TileController::finish_op(const sc_time& end) {
    if (layer_ >= 0) {
        auto& s = spans_[layer_];
        s.second = std::max(s.second, end.to_seconds());
    }
    sample_end_ = max_t(sample_end_, end);
    ready_all_ = max_t(ready_all_, end);
}

// The samples of this pass: the next step of job_.step_samples (the last pass the rest of
// the run). The local tensors hold exactly the pass's samples.
void TileController::begin_pass() {
    // A view is the im2col of this pass's source: one left from the previous run (or step)
    // would be materialised, for nothing, by the first write of its source (the next Load),
    // the whole im2col matrix of every convolution (115 MB for conv2 of VGG-8 at batch 256)
    // for every batch after the first of the same size. The pass's Im2col records it anew.
    for (auto& view : views_) view.second.pending = false;
    fresh_ = shared_;  // tensors in shared memory: zeroed at their first use in the pass
    if (!job_.program->streamed) {
        pass_first_ = 0;
        pass_count_ = job_.batch;
        return;
    }
    const int S = std::max(1, job_.step_samples);
    pass_first_ = static_cast<int>(step_) * S;
    pass_count_ = std::max(1, std::min(S, job_.batch - pass_first_));
    if (pass_count_ != prepared_samples_) prepare(*job_.program, pass_count_);
}

void TileController::close_layer_sample() {
    if (sample_layer_ < 0) return;
    auto& st = sample_times_[sample_layer_];
    // Every sample of a step spends the step's span in the layer (a time-multiplexed stage
    // finishes the step's samples together, after its last round).
    const int n = job_.program && job_.program->streamed ? pass_count_ : 1;
    st.first += n * (max_t(sample_end_, sample_start_) - sample_start_).to_seconds();
    st.second += n;
    sample_layer_ = -1;
}

const TensorDecl& TileController::decl(int id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= job_.program->tensors.size())
        throw std::runtime_error("tensor id " + std::to_string(id) + " out of range");
    return job_.program->tensors[static_cast<std::size_t>(id)];
}

TensorStore::Entry& TileController::local(int id, const char* role) {
    const auto& d = decl(id);
    if (d.where == Location::Global || d.tile != tile_)
        throw std::runtime_error(std::string(role) + " tensor " + std::to_string(id) + " ('" + d.name +
                                 "') is not local to tile " + std::to_string(tile_));
    return buffer.store().at(id);
}

void TileController::run_thread() {
    for (;;) {
        wait(start_ev_);
        qk_.reset();
        error_.clear();
        const std::size_t n = job_.program->tensors.size();
        ready_.assign(n, sc_time_stamp());
        read_done_.assign(n, sc_time_stamp());
        ready_all_ = sc_time_stamp();
        pe.reset_broadcast();
        if (macro_block_.size() < to_macros.size()) macro_block_.resize(to_macros.size(), -1);
        macro_image_.resize(macro_block_.size(), 0);
        if (group_image_ != job_.image_id) {  // a new program: its round groups start even
            group_runs_.clear();
            group_image_ = job_.image_id;
        }
        group_rounds_left_ = round_instrs_left_ = 0;
        std::size_t pc = 0;
        step_ = 0;
        multicast_seen_.clear();
        current_op_ = OpCode::End;
        bool fetched = false;
        try {
            if (job_.code.count > 0 && !buffered(job_.code)) fill_buffer(job_.code);
            plan_ahead();
            // A streamed program runs the stream once per step of job_.step_samples samples
            // (job_.steps of them); local tensors hold the step's samples.
            for (; step_ < static_cast<std::uint64_t>(std::max(1, job_.steps)); ++step_) {
                begin_pass();
                // A round group run in reverse order: the pcs to execute, then `after`.
                std::vector<std::size_t> order;
                std::size_t oi = 0, after = 0, next = 0;
                for (;;) {
                    if (oi < order.size()) {
                        pc = order[oi++];
                    } else {
                        if (!order.empty()) {
                            order.clear();
                            oi = 0;
                            next = after;
                        }
                        pc = next++;
                    }
                    if (pc >= job_.code.count) break;
                    fetched = false;
                    const Instr& in = fetch(pc);
                    fetched = true;
                    current_op_ = in.op;
                    if (in.op == OpCode::Round && order.empty() && in.c0 == 0 && in.cols > 1 &&
                        (group_runs_[pc]++ & 1u) == 1u) {
                        // Odd execution of this group: its rounds in reverse order.
                        order = reversed_rounds(pc, in.cols, in.rows, after);
                        oi = 0;
                        continue;
                    }
                    if (in.op != OpCode::Program && in.op != OpCode::End && in.op != OpCode::Round) finish_programs();
                    if (in.op == OpCode::End) break;
                    execute(in, pc);
                    ++instructions_;
                    if (qk_.need_sync()) qk_.sync();
                }
                // Programs left at the end of the stream are finished below, once the
                // other tiles had their turn.
                if (sample_layer_ >= 0 || step_ + 1 < static_cast<std::uint64_t>(std::max(1, job_.steps))) finish_programs();
                close_layer_sample();
            }
            // SETUP: have the RUN stream in the buffer before the first RUN.
            if (job_.next.count > 0 && !buffered(job_.next)) {
                pc = job_.code.count;
                fill_buffer(job_.next);
            }
            if (!deferred_.empty()) {
                // The stream's join is no earlier than every program's write: yield until
                // then, so tiles that program later in simulated time start their solves
                // before this one waits for its own (same times: the join below only
                // moves later).
                for (const auto& d : deferred_) ready_all_ = max_t(ready_all_, d.earliest_end);
                join_all();
                qk_.sync();
                finish_programs();
            }
        } catch (const std::exception& e) {
            deferred_.clear();   // their macros finish them on their next access
            // A deferred program's failure is reported at its own instruction, as if undeferred.
            const auto* late = dynamic_cast<const ProgramFailure*>(&e);
            if (late) {
                pc = late->pc;
                current_op_ = OpCode::Program;
                fetched = true;
            }
            error_ = "tile " + std::to_string(tile_) + ", instruction " + std::to_string(pc) + " (" +
                     (fetched ? op_name(current_op_) : "fetch") + ")" +
                     (job_.steps > 1 ? (pass_count_ > 1 ? ", samples " + std::to_string(pass_first_) + "-" +
                                                             std::to_string(pass_first_ + pass_count_ - 1)
                                                       : ", sample " + std::to_string(pass_first_))
                                     : std::string()) +
                     ": " + e.what();
            if (!aborted_) abort_peers();
        }
        close_layer_sample();
        join_all();
        tr_phase_.record(now(), kIdle);
        qk_.sync();
        finish_ = sc_time_stamp();
        if (job_.barrier) job_.barrier->leave();
        if (job_.multicast) job_.multicast->leave();
        if (on_done_) on_done_(tile_);
    }
}

// ---- instruction fetch ------------------------------------------------------------------------
void TileController::read_noc(std::uint64_t addr, void* data, std::size_t bytes, sc_time& t, const char* what) {
    auto tx = payloads_.take();
    auto& rd = tx->begin(tlm::TLM_READ_COMMAND, addr, data, bytes);
    tx->attach<tlmx::LayerExtension>().layer = layer_;
    transport(rd, t, -1, what);
}

void TileController::read_params(std::uint32_t first, std::uint32_t count, std::vector<float>& out, sc_time& t) {
    out.assign(count, 0.0f);
    if (count > 0) read_noc(job_.params_addr + 4ull * first, out.data(), 4ull * count, t, "parameter fetch");
}

bool TileController::buffered(const StreamRef& s) const {
    return ibuf_valid_ && ibuf_image_ == job_.image_id && ibuf_stream_.addr == s.addr && ibuf_stream_.count == s.count;
}

void TileController::fill_buffer(const StreamRef& s) {
    ibuf_valid_ = false;
    ibuf_.clear();
    constexpr std::size_t rec = sizeof(image::InstrRecord);
    const double capacity = cfg_.tile.instruction_buffer_bytes;
    if (static_cast<double>(s.count) * rec > capacity) return;  // fetched per instruction instead
    std::vector<image::InstrRecord> recs(s.count);
    sc_time t = now();
    // Program loading, not any layer's work (the fill happens at SETUP or a run's start).
    const int layer = layer_;
    layer_ = -1;
    struct Restore {
        int& l;
        int v;
        ~Restore() { l = v; }
    } restore{layer_, layer};
    read_noc(s.addr, recs.data(), recs.size() * rec, t, "instruction fetch");
    std::uint64_t words = 0;
    for (std::size_t k = 0; k < recs.size(); ++k) {
        const auto& r = recs[k];
        Fetched f;
        try {
            f.in = image::decode_instr_fields(r);
        } catch (const image::ImageError& e) {
            throw std::runtime_error("instruction record at 0x" + [&] {
                std::ostringstream os;
                os << std::hex << s.addr + k * rec;
                return os.str();
            }() + ": " + e.what());
        }
        read_params(r.vscale_first, image::stored_params(r, false), f.in.vscale, t);
        read_params(r.vbias_first, image::stored_params(r, true), f.in.vbias, t);
        f.words = image::kInstrWords + image::stored_params(r, false) + image::stored_params(r, true);
        image::expand_params(r, f.in);
        words += f.words;
        ibuf_.push_back(std::move(f));
    }
    set_now(t);
    if (4.0 * static_cast<double>(words) > capacity) {  // the parameters do not fit beside the records
        ibuf_.clear();
        return;
    }
    actions_.add(layer_, action::kInstrWord, static_cast<double>(words));  // written into the buffer
    ibuf_stream_ = s;
    ibuf_image_ = job_.image_id;
    ibuf_valid_ = true;
}

TileController::Fetched TileController::fetch_remote(std::uint64_t addr) {
    image::InstrRecord r;
    sc_time t = now();
    read_noc(addr, &r, sizeof r, t, "instruction fetch");
    Fetched f;
    f.in = image::decode_instr_fields(r);
    read_params(r.vscale_first, image::stored_params(r, false), f.in.vscale, t);
    read_params(r.vbias_first, image::stored_params(r, true), f.in.vbias, t);
    f.words = image::kInstrWords + image::stored_params(r, false) + image::stored_params(r, true);
    image::expand_params(r, f.in);
    ++remote_fetches_;
    set_now(t);
    return f;
}

const Instr& TileController::fetch(std::size_t pc) {
    if (!buffered(job_.code)) {  // over the interconnect, booked at kernel time (transport)
        remote_ = fetch_remote(job_.code.addr + pc * sizeof(image::InstrRecord));
        return remote_.in;
    }
    const Fetched& f = ibuf_[pc];
    actions_.add(layer_, action::kInstrWord, f.words);
    fetch_words_ += f.words;
    // The first fetch cycle is the instruction's issue cycle; a narrow port adds the rest.
    const std::uint32_t per = static_cast<std::uint32_t>(cfg_.tile.fetch_words_per_cycle);
    const std::uint32_t cycles = (f.words + per - 1) / per;
    if (cycles > 1) set_now(now() + cycle_ * static_cast<double>(cycles - 1));
    return f.in;
}

// Between two rounds of a group the partial sums written so far must survive the next
// round's reprogramming: the PE's output registers hold pe.registers() of them, the rest
// (a step or batch of samples holds many more) are written to the tile buffer at the
// reduction width and read back for the next round's additions. A time-multiplexed stage's
// step must fit them beside its tensors.
void TileController::spill_partial_sums() {
    const double over = group_values_ - pe.registers();
    if (over <= 0) return;
    const auto bytes = static_cast<std::uint64_t>(std::ceil(over * group_bits_ / 8.0));
    if (job_.program->streamed && job_.program->step_samples(static_cast<std::size_t>(tile_)) > 1 &&
        static_cast<double>(sram_bytes_ + bytes) > cfg_.tile.buffer_bytes)
        throw std::runtime_error("tile " + std::to_string(tile_) + " local buffer: a step of " +
                                 std::to_string(pass_count_) + " samples holds " + std::to_string(bytes) +
                                 " bytes of partial sums beyond the PE's " +
                                 std::to_string(static_cast<long long>(pe.registers())) +
                                 " registers between rounds; with its tensors (" + std::to_string(sram_bytes_) +
                                 " bytes) that exceeds the " +
                                 std::to_string(static_cast<long long>(cfg_.tile.buffer_bytes)) + "-byte buffer");
    sc_time t = now();
    for (int id : group_dsts_) t = max_t(t, ready_[id]);
    const sc_time tw = buffer.write(t, bytes, layer_);
    const sc_time tr = buffer.read(tw, bytes, layer_);
    for (int id : group_dsts_) ready_[id] = max_t(ready_[id], tr);
    finish_op(tr);
    spill_bytes_ += bytes;
}

// Reverse round order for the group whose first marker (round 0 of `rounds`, `rows`
// instructions) is at `pc`: each marker names its round's length, so the controller walks
// the markers (fetching each) to find the rounds, then runs them last to first.
std::vector<std::size_t> TileController::reversed_rounds(std::size_t pc, int rounds, int rows, std::size_t& after) {
    std::vector<std::pair<std::size_t, int>> starts{{pc, rows}};
    for (int k = 1; k < rounds; ++k) {
        const std::size_t at = starts.back().first + 1 + static_cast<std::size_t>(starts.back().second);
        if (at >= job_.code.count) throw std::runtime_error("round group runs past the end of the stream");
        const Instr& m = fetch(at);
        if (m.op != OpCode::Round || m.c0 != k || m.cols != rounds || m.rows < 0)
            throw std::runtime_error("round group: no marker of round " + std::to_string(k) + " of " +
                                     std::to_string(rounds) + " at instruction " + std::to_string(at));
        starts.emplace_back(at, m.rows);
    }
    after = starts.back().first + 1 + static_cast<std::size_t>(starts.back().second);
    std::vector<std::size_t> order;
    for (auto it = starts.rbegin(); it != starts.rend(); ++it)
        for (std::size_t i = 0; i <= static_cast<std::size_t>(it->second); ++i) order.push_back(it->first + i);
    return order;
}

// A tensor in shared memory holds another tensor's values until its first use in the pass:
// zeroed then, so it starts the pass as a tensor of its own starts after allocation --
// unless that use writes every element before anything reads it, which leaves no trace of
// the zeros (VGG-8 at batch 256: ~150 MB of zeroing a batch, ~6 % of a run).
void TileController::first_touch(const Instr& in) {
    for (int id : {in.src, in.src2, in.dst}) {
        if (id < 0 || static_cast<std::size_t>(id) >= fresh_.size() || !fresh_[static_cast<std::size_t>(id)]) continue;
        fresh_[static_cast<std::size_t>(id)] = 0;
        if (id != in.dst || !writes_whole_dst(in)) buffer.store().zero(id);
    }
}

// Ops that assign every element of their destination (not in place, nothing accumulated)
// from other tensors: the element-wise digital ops and pools over the whole tensor
// (DigitalOps.h: same-shape assignments, a pool writes every window), a materialised im2col,
// a plain Load of all the destination's columns, and an Mvm that overwrites all its columns
// outside a round and analog accumulation (its bursts scatter every row). A multicast Load
// (written as its group's data arrives), PositionBias (adds into dst) and anything else: no.
bool TileController::writes_whole_dst(const Instr& in) {
    if (in.dst < 0 || in.dst == in.src || in.dst == in.src2 || !buffer.store().has(in.dst)) return false;
    const Eigen::Index width = buffer.store().at(in.dst).data.cols();
    switch (in.op) {
        case OpCode::Affine: case OpCode::Activation: case OpCode::Add: case OpCode::Copy: case OpCode::Pool:
            return true;
        case OpCode::Im2col: return !gathered(in.dst);
        case OpCode::Load:
            return !in.multicast && in.c0 == 0 && in.src >= 0 && (in.cols > 0 ? in.cols : decl(in.src).width) == width;
        case OpCode::Mvm: {
            if (in.accumulate || round_instrs_left_ > 0 || in.c0 != 0 || in.macro < 0 ||
                static_cast<std::size_t>(in.macro) >= macro_block_.size())
                return false;
            const int b = macro_block_[static_cast<std::size_t>(in.macro)];
            if (b < 0) return false;
            const phys::BlockSpec& spec = job_.program->blocks[static_cast<std::size_t>(b)].spec;
            return spec.analog_sum == phys::AnalogSum::None && (in.cols > 0 ? in.cols : spec.cols) == width;
        }
        default: return false;
    }
}

void TileController::execute(const Instr& in, std::size_t pc) {
    first_touch(in);
    in_round_ = in.op != OpCode::Round && round_instrs_left_ > 0;
    if (in_round_) {
        if (in.op != OpCode::Program && in.op != OpCode::Mvm)
            throw std::runtime_error(std::string(op_name(in.op)) + " inside a round (rounds hold Programs and Mvms only)");
        --round_instrs_left_;
    }
    if (tr_phase_.enabled()) {
        Phase ph = kReduce;
        switch (in.op) {
            case OpCode::Load: case OpCode::Receive: ph = kLoad; break;
            case OpCode::Mvm: case OpCode::Program: ph = kCompute; break;
            case OpCode::Store: case OpCode::Send: ph = kSend; break;
            case OpCode::Barrier: ph = kWait; break;
            case OpCode::Layer: case OpCode::End: ph = kIdle; break;
            default: break;
        }
        if (in.op != OpCode::Layer && in.op != OpCode::End) tr_phase_.record(now(), ph);
    }
    switch (in.op) {
        case OpCode::Mvm: return exec_mvm(in);
        case OpCode::Program: return exec_program(in, pc);
        case OpCode::Load: return exec_load(in);
        case OpCode::Store: return exec_store(in);
        case OpCode::Barrier: return barrier();
        case OpCode::Send: return exec_send(in);
        case OpCode::Receive: return exec_receive(in);
        case OpCode::Layer: {
            close_layer_sample();
            layer_ = in.layer;
            sample_layer_ = layer_;
            sample_start_ = sample_end_ = now();
            sample_started_ = false;
            const double t = now().to_seconds();
            auto it = spans_.find(layer_);
            if (it == spans_.end()) spans_[layer_] = {t, t};
            else it->second.first = std::min(it->second.first, t);
            tr_layer_.record(now(), layer_);
            return;
        }
        case OpCode::End: return;
        case OpCode::Round: {
            if (group_rounds_left_ == 0 && round_instrs_left_ == 0) {  // the group's first round (either order)
                group_rounds_left_ = in.cols;
                group_written_.clear();
                group_dsts_.clear();
                group_values_ = 0;
                group_bits_ = 0;
            } else if (round_instrs_left_ == 0) {
                spill_partial_sums();  // between two rounds
            }
            if (group_rounds_left_ <= 0 || round_instrs_left_ != 0 || in.rows < 0)
                throw std::runtime_error("round marker inside a round (the previous round has " +
                                         std::to_string(round_instrs_left_) + " instructions left)");
            --group_rounds_left_;
            round_instrs_left_ = in.rows;
            return;
        }
        default: return exec_digital(in);
    }
}

void TileController::join_all() {
    sc_time t = max_t(now(), ready_all_);
    for (const auto& r : ready_) t = max_t(t, r);
    for (const auto& r : read_done_) t = max_t(t, r);
    set_now(t);
}

void TileController::barrier() {
    join_all();
    qk_.sync();
    if (job_.barrier) job_.barrier->arrive_and_wait();
    qk_.reset();
}

// ---- macro operations ----------------------------------------------------------------------
void TileController::exec_program(const Instr& in, std::size_t pc) {
    const auto& blocks = job_.program->blocks;
    if (in.block < 0 || static_cast<std::size_t>(in.block) >= blocks.size())
        throw std::runtime_error("block " + std::to_string(in.block) + " does not exist");
    const WeightBlock& blk = blocks[static_cast<std::size_t>(in.block)];
    const int m = in.macro >= 0 ? in.macro : blk.macro;
    if (m < 0 || static_cast<unsigned>(m) >= to_macros.size())
        throw std::runtime_error("macro " + std::to_string(m) + " does not exist on this tile");
    if (macro_block_[static_cast<std::size_t>(m)] == in.block &&
        macro_image_[static_cast<std::size_t>(m)] == job_.image_id) {
        // The macro still holds this block (the round that ended the previous step, or
        // the previous batch): its cells need no rewrite. The controller keeps one tag per
        // macro; the skip costs the issue cycle only.
        ++programs_skipped_;
        set_now(now() + cycle_);
        return;
    }
    if (std::any_of(deferred_.begin(), deferred_.end(), [m](const DeferredProgram& d) { return d.macro == m; }))
        finish_programs();   // its previous program ends first
    if (blk.w.rows() != blk.spec.rows || blk.w.cols() != blk.spec.cols)
        throw std::runtime_error("block " + std::to_string(in.block) + " weights do not match its spec");
    const int layer = blk.layer >= 0 ? blk.layer : layer_;
    const std::uint64_t n = static_cast<std::uint64_t>(blk.w.size());
    std::vector<std::int32_t> w(n);

    // 1. weights from program memory over the interconnect (at the modelled weight bits)
    auto rx = payloads_.take();
    auto& rd = rx->begin(tlm::TLM_READ_COMMAND, job_.block_addr.at(static_cast<std::size_t>(in.block)), w.data(), n * 4);
    rx->attach<tlmx::LayerExtension>().layer = layer;
    rx->attach<tlmx::TrafficExtension>().bytes = tlmx::bytes_at(n, blk.spec.weight_bits);
    sc_time t = now();
    transport(rd, t, -1, "weight fetch");

    // 2. program the macro through its weight window (write drivers), deferred: the macro
    // solves its transfer matrix while this controller issues the next programs, and
    // finish_programs() completes it before the next instruction that is not a program.
    auto wx = payloads_.take();
    auto& wr = wx->begin(tlm::TLM_WRITE_COMMAND, macro_map::kWeightBase, w.data(), n * 4);
    wx->attach<tlmx::LayerExtension>().layer = layer;
    auto* spec = &wx->attach<macro_map::BlockSpecExtension>();
    spec->spec = &blk.spec;
    spec->defer = true;
    macro_block_[static_cast<std::size_t>(m)] = -1;  // until the write is accepted
    transport(wr, t, m, "macro program");
    macro_block_[static_cast<std::size_t>(m)] = in.block;
    macro_image_[static_cast<std::size_t>(m)] = job_.image_id;
    if (spec->finish)
        deferred_.push_back({pc, m, std::move(spec->finish), spec->earliest_end});
    else
        finish_op(t);
    set_now(now() + cycle_);  // dispatched: the controller only pays the issue cycle
}

void TileController::before_write(int id) {
    for (auto& [dst_id, v] : views_) {
        if (!v.pending || v.src != id) continue;
        buffer.store().reside(dst_id);
        digital::im2col(v.geom, v.batch, v.src_rps, buffer.store().at(v.src).data, buffer.store().at(dst_id).data);
        v.pending = false;
    }
}

// Stage vectors [v0, v0 + nv) of the input slice (columns [r0, r0 + rows) of the
// column-major source) into the row-major burst mvm_in_, zero padded to the block's `stride`
// rows (a blocked transpose, models/common/Transpose.h).
void TileController::stage_input(const TensorStore::Data& src, int r0, int rows, int stride, Eigen::Index v0,
                                 Eigen::Index nv) {
    to_row_major(src.block(v0, r0, nv, rows), mvm_in_.data(), stride);
    for (Eigen::Index i = 0; i < nv; ++i) std::fill(mvm_in_.data() + i * stride + rows, mvm_in_.data() + (i + 1) * stride, 0.0f);
}

// The row-major output burst `rows` (nv vectors of `stride` columns) into rows [v0, v0 + nv),
// columns [c0, c0 + cols) of the column-major destination, scaled, accumulated or not:
// transposed straight into the destination when it is a plain copy, else through a block
// of kTile vectors that stays in cache.
void TileController::scatter_output(const float* rows, TensorStore::Data& dst, int c0, int cols, int stride,
                                    Eigen::Index v0, Eigen::Index nv, float scale, bool accumulate) {
    if (nv == 1) {
        // One vector (a streamed sample): straight into its row, no transposition through a
        // block (a per-column loop of one element each); the same arithmetic per value.
        const Eigen::Index ld = dst.outerStride();
        float* d = dst.data() + v0 + static_cast<Eigen::Index>(c0) * ld;
        if (!accumulate && scale == 1.0f)
            for (int c = 0; c < cols; ++c) d[c * ld] = rows[c];
        else if (accumulate)
            for (int c = 0; c < cols; ++c) d[c * ld] += scale * rows[c];
        else
            for (int c = 0; c < cols; ++c) d[c * ld] = scale * rows[c];
        return;
    }
    if (!accumulate && scale == 1.0f) {
        from_row_major(rows, stride, dst.block(v0, c0, nv, cols));
        return;
    }
    constexpr Eigen::Index kTile = 256;
    out_block_.resize(static_cast<std::size_t>(kTile) * static_cast<std::size_t>(cols));
    for (Eigen::Index b0 = 0; b0 < nv; b0 += kTile) {
        const Eigen::Index nb = std::min(kTile, nv - b0);
        transpose(rows + b0 * stride, stride, out_block_.data(), nb, nb, cols);  // [c * nb + i]
        for (int c = 0; c < cols; ++c) {
            float* d = dst.col(c0 + c).data() + v0 + b0;
            const float* s = out_block_.data() + static_cast<Eigen::Index>(c) * nb;
            if (accumulate)
                for (Eigen::Index i = 0; i < nb; ++i) d[i] += scale * s[i];
            else
                for (Eigen::Index i = 0; i < nb; ++i) d[i] = scale * s[i];
        }
    }
}

void TileController::exec_mvm(const Instr& in) {
    const int m = in.macro;
    if (m < 0 || static_cast<unsigned>(m) >= to_macros.size())
        throw std::runtime_error("macro " + std::to_string(m) + " does not exist on this tile");
    const int b = macro_block_[static_cast<std::size_t>(m)];
    if (b < 0) throw std::runtime_error("macro " + std::to_string(m) + " has no programmed block");
    const phys::BlockSpec& spec = job_.program->blocks[static_cast<std::size_t>(b)].spec;
    auto& src = local(in.src, "source");
    auto& dst = local(in.dst, "destination");
    const int rows = in.rows > 0 ? in.rows : spec.rows;
    const int cols = in.cols > 0 ? in.cols : spec.cols;
    const Eigen::Index n = src.data.rows();
    if (rows > spec.rows || in.r0 < 0 || in.r0 + rows > src.data.cols())
        throw std::runtime_error("input slice [" + std::to_string(in.r0) + ", " + std::to_string(in.r0 + rows) +
                                 ") does not fit the source (" + std::to_string(src.data.cols()) +
                                 " columns) or the block (" + std::to_string(spec.rows) + " rows)");
    if (cols > spec.cols || in.c0 < 0 || in.c0 + cols > dst.data.cols())
        throw std::runtime_error("output slice [" + std::to_string(in.c0) + ", " + std::to_string(in.c0 + cols) +
                                 ") does not fit the destination (" + std::to_string(dst.data.cols()) +
                                 " columns) or the block (" + std::to_string(spec.cols) + " columns)");
    if (dst.data.rows() != n) throw std::runtime_error("source and destination row counts differ");
    if (in.src == in.dst) throw std::runtime_error("an Mvm cannot write its own source tensor");
    if (decl(in.src).where == Location::Port || decl(in.dst).where == Location::Port)
        throw std::runtime_error("an Mvm reads and writes stored tensors, not a port stream");
    const auto vit = views_.find(in.src);
    Im2colView* view = vit != views_.end() && vit->second.pending ? &vit->second : nullptr;
    if (!view) buffer.store().reside(in.src);  // a gathered tensor read before any Im2col: zeros
    before_write(in.dst);

    // Analog accumulation across row blocks: Partial blocks leave their column charge on the
    // PE's summing node (dst), the Final block converts node + its own block once.
    const phys::AnalogSum role = spec.analog_sum;
    if (role != phys::AnalogSum::None && (cols != spec.cols || in.scale != 1.0f || !in_pe(in.dst)))
        throw std::runtime_error("analog accumulation: an Mvm must cover the whole block, unscaled, into a PE tensor");
    // Inside a round group the executed order decides: the first Mvm into a slice overwrites.
    const bool acc_in = in_round_ ? !group_written_.insert({in.dst, in.c0}).second : in.accumulate;
    if (in_round_ && !acc_in && in_pe(in.dst)) {  // a new slice of partial sums held in the PE until the group ends
        group_values_ += static_cast<double>(n) * cols;
        group_bits_ = std::max(group_bits_, dst.bits);
        group_dsts_.insert(in.dst);
    }
    if (role == phys::AnalogSum::Final && !acc_in)
        throw std::runtime_error("analog accumulation: the final block needs the partial sums already on the node");

    sc_time t0 = max_t(now(), ready_[in.src]);
    if (role == phys::AnalogSum::Final) t0 = max_t(t0, ready_[in.dst]);  // every partial is on the node
    // Input broadcast: the PE's macros share the input lines, so a slice already read for
    // the same data is driven again without another buffer read.
    sc_time t1;
    if (!pe.broadcast_hit(in.src, in.r0, rows, ready_[in.src], t1)) {
        t1 = buffer.read(t0, tlmx::bytes_at(static_cast<std::uint64_t>(n * rows), src.bits), layer_);
        pe.broadcast_store(in.src, in.r0, rows, ready_[in.src], t1);
    }
    t1 = max_t(t0, t1);
    read_done_[in.src] = max_t(read_done_[in.src], t1);

    // The macro's input and output windows bound one burst: long batches (im2col rows of a
    // whole batch) go as several back-to-back bursts to the same macro. Each burst is staged,
    // sent, read back and scattered into dst before the next (reused buffers of one burst,
    // not the whole batch): every burst touches rows [v0, v0 + nv) of src and dst only.
    const Eigen::Index per_burst = std::max<Eigen::Index>(
        1, static_cast<Eigen::Index>(std::min(macro_map::kInputSize / (4ull * spec.rows),
                                              macro_map::kOutputSize / (4ull * spec.cols))));
    const bool final_sum = role == phys::AnalogSum::Final;
    const bool accumulate = acc_in && !final_sum;
    // A Final analog-accumulation block overwrites: the node's sum went through the decision.
    const float scale = final_sum ? 1.0f : in.scale;
    const Eigen::Index burst_cap = std::min(per_burst, n);
    // Grow-only: every burst writes what it sends and reads back, so a buffer that shrank for
    // a narrower block need not be value-initialised again when it grows (16 MB a burst).
    auto at_least = [](std::vector<float>& v, Eigen::Index n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    };
    if (!view) at_least(mvm_in_, burst_cap * spec.rows);
    if (final_sum) at_least(node_, burst_cap * spec.cols);
    sc_time t = t1;
    struct {
        int src, r0, rows, stride, first;
    } const ahead{in.src, in.r0, rows, spec.rows, pass_first_ + 1};   // what a read ahead asks for
    for (Eigen::Index v0 = 0; v0 < n; v0 += per_burst) {
        const Eigen::Index nv = std::min(per_burst, n - v0);
        // An im2col view's rows are gathered on demand, as the macro reads them (its blocks of
        // vectors, in cache), not staged whole: the burst of a whole batch is up to 16 MB.
        std::function<void(std::int64_t, std::int64_t, float*)> gather;
        if (view) {
            Im2colView& iv = *view;
            const auto& vsrc = buffer.store().at(iv.src).data;
            const int block_rows = spec.rows, r0 = in.r0;
            gather = [&iv, &vsrc, v0, r0, rows, block_rows](std::int64_t w0, std::int64_t nw, float* out) {
                digital::im2col_rows(iv.geom, iv.batch, iv.src_rps, vsrc, v0 + w0, nw, r0, rows, out, block_rows,
                                     &iv.stage);
                for (std::int64_t i = 0; i < nw; ++i)
                    std::fill(out + i * block_rows + rows, out + (i + 1) * block_rows, 0.0f);
            };
        } else {
            stage_input(src.data, in.r0, rows, spec.rows, v0, nv);
        }
        if (final_sum)  // the node's partial sums of these vectors, row-major like the burst
            to_row_major(dst.data.block(v0, in.c0, nv, cols), node_.data(), cols);
        auto wx = payloads_.take();
        const unsigned in_bytes = static_cast<unsigned>(nv * spec.rows * 4);
        auto& wr = wx->begin(tlm::TLM_WRITE_COMMAND, macro_map::kInputBase, view ? nullptr : mvm_in_.data(), in_bytes);
        wx->attach<tlmx::LayerExtension>().layer = layer_;
        if (view) wx->attach<macro_map::InputSourceExtension>().fill = std::move(gather);
        if (!view && !final_sum && n == 1 && pass_count_ == 1 && static_cast<std::size_t>(in.src) < ahead_plan_.size() &&
            ahead_plan_[static_cast<std::size_t>(in.src)].ok)
            // Two pointers: std::function keeps them inline (no allocation per Mvm).
            wx->attach<macro_map::LookaheadExtension>().ahead = [this, &ahead](int max, float* o) {
                return fill_ahead(ahead.src, ahead.r0, ahead.rows, ahead.stride, ahead.first, max, o);
            };
        if (final_sum) wx->attach<macro_map::AnalogSumExtension>().sums = node_.data();
        transport(wr, t, m, "MVM input");

        auto rx = payloads_.take();
        const unsigned out_bytes = static_cast<unsigned>(nv * spec.cols * 4);
        auto& rd = rx->begin(tlm::TLM_READ_COMMAND, macro_map::kOutputBase, nullptr, out_bytes);
        rx->attach<tlmx::LayerExtension>().layer = layer_;
        auto* out_view = &rx->attach<macro_map::OutputViewExtension>();   // the tile's own macros answer in place
        transport(rd, t, m, "MVM output");
        // Functional result and the digital post-processing (scale, accumulation).
        scatter_output(out_view->rows, dst.data, in.c0, cols, spec.cols, v0, nv, scale, accumulate);
    }
    ++mvms_;

    const double elems = static_cast<double>(n) * cols;
    if (role != phys::AnalogSum::None) {
        // Charge sharing on the node: no adder, no register traffic (the macro counted the
        // transfer); the node is ready when this block's transfer (or decision) is done.
        ready_[in.dst] = max_t(t, ready_[in.dst]);
        finish_op(t);
        set_now(now() + cycle_);  // dispatched
        return;
    }
    const bool reduce_in_pe = in_pe(in.dst);
    ActionCounter work;
    if (in.scale != 1.0f) work.add(action::kDigitalMult, elems);
    if (acc_in && !reduce_in_pe) work.add(action::kDigitalAdd, elems);
    const double ops = work.total_count();

    const sc_time t4 = max_t(t, max_t(ready_[in.dst], read_done_[in.dst]));
    const auto g = digital_.reserve(t4, cycle_ * std::ceil(ops / cfg_.tile.digital_lanes), layer_);
    sc_time end = g.end;
    if (reduce_in_pe) {
        // Every partial sum goes through one adder of the tree into its output register.
        end = max_t(end, pe.reduce(t4, elems, dst.bits, layer_));
    } else {
        const std::uint64_t dst_bytes = tlmx::bytes_at(static_cast<std::uint64_t>(elems), dst.bits);
        const sc_time tr = acc_in ? buffer.read(t4, dst_bytes, layer_) : t4;
        const sc_time tw = buffer.write(t4, dst_bytes, layer_);
        end = max_t(end, max_t(tr, tw));
    }
    actions_.merge(layer_, work);
    trace_activity(sink_, tile_, g.start, end, work);
    ready_[in.dst] = end;
    finish_op(end);
    set_now(now() + cycle_);  // dispatched
}

// ---- reads ahead ------------------------------------------------------------------------------
// The Mvm sources that can be predicted: in a buffered stream of one sample per pass with no
// Program or Round (no macro changes its block between samples), a local one-row tensor
// written by exactly one Affine / Activation whose source is written by exactly one Load of
// the whole width of the program's input tensor (which the host wrote before the run).
void TileController::plan_ahead() {
    ahead_plan_.clear();
    ahead_rows_.clear();
    const Program& p = *job_.program;
    if (cfg_.sim.stream_window <= 1 || !p.streamed || job_.steps <= 1 || p.step_samples(static_cast<std::size_t>(tile_)) > 1 ||
        !buffered(job_.code) || p.input_tensor < 0)
        return;
    const std::size_t nt = p.tensors.size();
    auto writes_local = [](const Instr& in) {
        switch (in.op) {
            case OpCode::Store: case OpCode::Send: case OpCode::Program: case OpCode::Layer: case OpCode::End:
            case OpCode::Barrier: case OpCode::Round: return false;
            default: return in.dst >= 0;
        }
    };
    std::vector<int> writers(nt, 0);
    std::vector<std::size_t> writer(nt, 0);
    for (std::size_t pc = 0; pc < ibuf_.size(); ++pc) {
        const Instr& in = ibuf_[pc].in;
        if (in.op == OpCode::Program || in.op == OpCode::Round) return;
        if (!writes_local(in) || static_cast<std::size_t>(in.dst) >= nt) continue;
        ++writers[static_cast<std::size_t>(in.dst)];
        writer[static_cast<std::size_t>(in.dst)] = pc;
    }
    ahead_plan_.assign(nt, AheadPlan{});
    ahead_rows_.assign(nt, AheadRows{});
    for (std::size_t x = 0; x < nt; ++x) {
        if (writers[x] != 1) continue;
        const Instr& op = ibuf_[writer[x]].in;
        if ((op.op != OpCode::Affine && op.op != OpCode::Activation) || op.src < 0 || static_cast<std::size_t>(op.src) >= nt)
            continue;
        const auto ps = static_cast<std::size_t>(op.src);
        if (writers[ps] != 1 || writer[ps] > writer[x]) continue;
        const Instr& ld = ibuf_[writer[ps]].in;
        const TensorDecl &xd = p.tensors[x], &pd = p.tensors[ps];
        if (ld.op != OpCode::Load || ld.src != p.input_tensor || ld.c0 != 0 || xd.tile != tile_ || pd.tile != tile_ ||
            xd.rows_per_sample != 1 || pd.rows_per_sample != 1 || p.tensors[static_cast<std::size_t>(ld.src)].rows_per_sample != 1 ||
            (ld.cols > 0 ? ld.cols : p.tensors[static_cast<std::size_t>(ld.src)].width) != pd.width)
            continue;
        ahead_plan_[x] = {writer[ps], writer[x], true};
    }
}

// The rows of tensor `src` for samples [first, first + count) of the run (fewer at its end),
// as its Load and op would produce them: a debug read of the input (no time, no counts) and
// the op on those rows. False when nothing could be predicted.
bool TileController::predict_rows(int src, int first, int count) {
    AheadRows& a = ahead_rows_[static_cast<std::size_t>(src)];
    a.count = 0;
    const int n = std::min(count, job_.batch - first);
    if (n <= 0) return false;
    const AheadPlan& plan = ahead_plan_[static_cast<std::size_t>(src)];
    const Instr& ld = ibuf_[plan.load_pc].in;
    const Instr& op = ibuf_[plan.op_pc].in;
    const int cols = ld.cols > 0 ? ld.cols : decl(ld.src).width;
    ahead_buf_.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(cols));
    auto tx = payloads_.take();
    auto& rd = tx->begin(tlm::TLM_READ_COMMAND, job_.tensor_addr.at(static_cast<std::size_t>(ld.src)), ahead_buf_.data(),
                         ahead_buf_.size() * 4);
    // Row-major, as the global buffer holds it: each sample's row is what its own Load brings.
    tx->attach<TensorSliceExtension>() = TensorSliceExtension(ld.src, ld.src_c0, cols, first, n, false);
    if (to_noc->transport_dbg(rd) != rd.get_data_length() || !rd.is_response_ok()) return false;
    const int width = decl(src).width;
    a.v.resize(n, width);
    try {
        // Sample by sample, as the op runs on each sample's one-row tensor (the same kernel
        // path, so the same values bit for bit).
        for (int i = 0; i < n; ++i) {
            const Eigen::Map<const Eigen::MatrixXf> loaded(ahead_buf_.data() + static_cast<std::ptrdiff_t>(i) * cols, 1, cols);
            Eigen::Map<Eigen::MatrixXf> out(a.v.row(i).data(), 1, width);
            if (op.op == OpCode::Affine) digital::affine(op, loaded, out);
            else digital::activation(op, loaded, out);
        }
    } catch (const std::exception&) {
        return false;   // the op itself will report it, at its sample
    }
    a.first = first;
    a.count = n;
    return true;
}

int TileController::fill_ahead(int src, int r0, int rows, int stride, int first, int max, float* out) {
    AheadRows& a = ahead_rows_[static_cast<std::size_t>(src)];
    const bool covered = a.count > 0 && first >= a.first && first < a.first + a.count &&
                         (first + max <= a.first + a.count || a.first + a.count >= job_.batch);
    if (!covered && !predict_rows(src, first, max)) return 0;
    const int nv = std::min(max, a.first + a.count - first);
    if (r0 < 0 || r0 + rows > a.v.cols() || rows > stride) return 0;
    for (int i = 0; i < nv; ++i) {
        const float* row = a.v.row(first - a.first + i).data() + r0;
        float* o = out + static_cast<std::ptrdiff_t>(i) * stride;
        std::copy(row, row + rows, o);
        std::fill(o + rows, o + stride, 0.0f);
    }
    return nv;
}

// ---- data movement -----------------------------------------------------------------------------
// A Load / Store of a global tensor's slice: the payload is the slice as `s` lays it out
// (rows x cols floats at `data`), its traffic at the tensor's `bits` per value, tagged with
// the current layer (one set-up for every slice transaction that takes time).
tlm::tlm_generic_payload& TileController::prepare_slice(Payloads::Tx& tx, tlm::tlm_command cmd, float* data,
                                                        const TensorSliceExtension& s, int bits) {
    const std::size_t n = static_cast<std::size_t>(s.rows) * static_cast<std::size_t>(s.cols);
    auto& t = tx.begin(cmd, job_.tensor_addr.at(static_cast<std::size_t>(s.tensor)), data, n * 4);
    tx.attach<TensorSliceExtension>() = s;
    tx.attach<tlmx::TrafficExtension>().bytes = tlmx::bytes_at(n, bits);
    tx.attach<tlmx::LayerExtension>().layer = layer_;
    return t;
}

void TileController::exec_load(const Instr& in) {
    const auto& sd = decl(in.src);
    if (sd.where != Location::Global) throw std::runtime_error("Load source must be a global tensor");
    auto& dst = local(in.dst, "destination");
    const int cols = in.cols > 0 ? in.cols : sd.width;
    const Eigen::Index rows = dst.data.rows();
    const auto [row0, nrows] = global_rows(in.src);
    if (nrows != rows) throw std::runtime_error("Load: source and destination row counts differ");
    if (in.src_c0 < 0 || in.src_c0 + cols > sd.width || in.c0 < 0 || in.c0 + cols > dst.data.cols())
        throw std::runtime_error("Load: column slice out of range");
    const sc_time t0 = max_t(now(), max_t(ready_[in.dst], read_done_[in.dst]));
    before_write(in.dst);  // a multicast Load writes the destination too
    if (in.multicast) return exec_multicast_load(in, sd, dst, cols, row0, nrows, t0);
    mark_input(t0);
    // Column-major, straight into the destination's columns (contiguous: every row).
    float* into = dst.data.middleCols(in.c0, cols).data();
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    auto tx = payloads_.take();
    auto& rd = prepare_slice(*tx, tlm::TLM_READ_COMMAND, into, {in.src, in.src_c0, cols, row0, nrows, true}, sd.bits);
    sc_time t = t0;
    transport(rd, t, -1, "Load");
    // Into a port tensor the data streams into the digital unit: no buffer write.
    const sc_time tw = unbuffered(in.dst) ? t0 : buffer.write(t0, tlmx::bytes_at(n, dst.bits), layer_);
    const sc_time end = max_t(t, tw);
    ready_[in.dst] = end;
    finish_op(end);
    set_now(end);
}

// One global read for the whole group (MulticastHub): the member that completes the group
// reads at the latest ready time of all members with the members as the interconnect's
// destinations; each member then writes its own copy into its local buffer as it arrives.
void TileController::exec_multicast_load(const Instr& in, const TensorDecl& sd, TensorStore::Entry& dst, int cols,
                                         int row0, int nrows, const sc_time& t0) {
    MulticastHub* hub = job_.multicast;
    if (hub == nullptr) throw std::runtime_error("multicast Load: the chip has no multicast hub");
    if (in.peer < 0 || in.levels < 1 || in.levels > static_cast<int>(peers_.size()))
        throw std::runtime_error("multicast Load: group " + std::to_string(in.peer) + " of " +
                                 std::to_string(in.levels) + " tiles is not valid on a chip of " +
                                 std::to_string(peers_.size()) + " tiles");
    const MulticastHub::Key key{in.peer, multicast_seen_[in.peer]++};
    // Join at kernel time: the group's start is the latest ready time, whoever joins last.
    set_now(t0);
    qk_.sync();
    MulticastHub::Transfer& x = hub->join(key, tile_, t0);
    if (static_cast<int>(x.tiles.size()) > in.levels)
        throw std::runtime_error("multicast Load: group " + std::to_string(in.peer) + " has more than " +
                                 std::to_string(in.levels) + " members");
    if (static_cast<int>(x.tiles.size()) == in.levels) {
        const sc_time start = x.start;
        std::vector<float> data(static_cast<std::size_t>(nrows) * cols);
        auto tx = payloads_.take();
        auto& rd = prepare_slice(*tx, tlm::TLM_READ_COMMAND, data.data(), {in.src, in.src_c0, cols, row0, nrows, true},
                                 sd.bits);
        auto* mc = &tx->attach<tlmx::MulticastExtension>();
        mc->initiators = x.tiles;  // tile i is interconnect initiator i
        set_now(start);
        sc_time t = start;
        transport(rd, t, -1, "multicast Load");
        MulticastHub::Transfer& done = hub->at(key);  // transport may have waited: look it up again
        done.data = std::move(data);
        for (std::size_t i = 0; i < done.tiles.size(); ++i) done.arrival[done.tiles[i]] = mc->arrival.at(i);
        hub->deliver(key);
    }
    while (!hub->delivered(key)) {
        // The members that joined still run; fewer running tiles than members: nobody else comes.
        if (hub->running() < in.levels)
            throw std::runtime_error("multicast Load: group " + std::to_string(in.peer) + " can never complete (" +
                                     std::to_string(hub->at(key).tiles.size()) + " of " + std::to_string(in.levels) +
                                     " members joined, the other tiles ended)");
        wait_for(hub->event());
    }
    MulticastHub::Transfer& x2 = hub->at(key);
    const sc_time start = x2.start, arrival = x2.arrival.at(tile_);
    mark_input(start);
    const sc_time tw = unbuffered(in.dst) ? start : buffer.write(start, tlmx::bytes_at(x2.data.size(), dst.bits), layer_);
    auto into = dst.data.middleCols(in.c0, cols);
    copy_columns(x2.data.data(), nrows, into.data(), into.outerStride(), nrows, cols);
    hub->taken(key);
    ++multicast_loads_;
    const sc_time end = max_t(arrival, tw);
    ready_[in.dst] = end;
    finish_op(end);
    set_now(end);
}

void TileController::exec_store(const Instr& in) {
    const auto& dd = decl(in.dst);
    if (dd.where != Location::Global) throw std::runtime_error("Store destination must be a global tensor");
    auto& src = local(in.src, "source");
    const int cols = in.cols > 0 ? in.cols : static_cast<int>(src.data.cols());
    const Eigen::Index rows = src.data.rows();
    const auto [row0, nrows] = global_rows(in.dst);
    if (nrows != rows) throw std::runtime_error("Store: source and destination row counts differ");
    if (in.src_c0 < 0 || in.src_c0 + cols > src.data.cols() || in.c0 < 0 || in.c0 + cols > dd.width)
        throw std::runtime_error("Store: column slice out of range");
    const sc_time t0 = max_t(now(), ready_[in.src]);
    // Column-major, straight from the source's columns (contiguous: every row).
    float* from = src.data.middleCols(in.src_c0, cols).data();
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    const sc_time tr = unbuffered(in.src) ? t0 : buffer.read(t0, tlmx::bytes_at(n, src.bits), layer_);
    auto tx = payloads_.take();
    auto& wr = prepare_slice(*tx, tlm::TLM_WRITE_COMMAND, from, {in.dst, in.c0, cols, row0, nrows, true}, dd.bits);
    sc_time t = t0;
    transport(wr, t, -1, "Store");
    const sc_time end = max_t(t, tr);
    read_done_[in.src] = max_t(read_done_[in.src], end);
    finish_op(end);
    set_now(end);
}

std::pair<int, int> TileController::global_rows(int id) const {
    const int rps = decl(id).rows_per_sample;
    if (job_.steps > 1 || job_.program->streamed) return {pass_first_ * rps, pass_count_ * rps};
    return {0, rows_of(id)};
}

// Wait (in wall-clock order, not in simulated time) until another tile acts: sync first so
// the kernel is at our local time; afterwards our local time is the kernel's, which is never
// later than the time stamp of whatever we wait for (every sender is at or after it).
// Callers loop: while (!condition) wait_for(event).
void TileController::abort_peers() {
    for (TileController* p : peers_) {
        if (p == nullptr) continue;
        p->aborted_ = true;
        p->inbox_.wake();
    }
    if (job_.multicast) job_.multicast->wake();
}

void TileController::wait_for(const sc_event& ev) {
    if (aborted_) throw std::runtime_error("stopped: another tile failed");
    tr_phase_.record(now(), kWait);
    // Sync first and let the caller re-check: the awaited event may fire during the sync.
    if (qk_.get_local_time() > SC_ZERO_TIME) {
        qk_.sync();
        return;
    }
    wait(ev);
    qk_.reset();
    if (aborted_) throw std::runtime_error("stopped: another tile failed");
}

// A layer's time for one sample starts when its first input is there (Load / Receive),
// not when the controller issued the Layer marker and then waited for the data.
void TileController::mark_input(const sc_time& t0) {
    if (sample_started_) return;
    sample_started_ = true;
    sample_start_ = t0;
    sample_end_ = max_t(sample_end_, t0);
}

// Sample i's slice of a Send's source as one write into the inbox window of tile in.peer,
// starting at t0: the source read (none from a port tensor), the payload with its stream,
// traffic and layer extensions, and the transport. `receivers` > 0: a multicast Send to
// tiles in.peer .. in.peer + receivers - 1, whose arrival times land in `arrival`. The
// slice stays in xfer_. Returns the end of the transfer.
sc_time TileController::send_slice(const Instr& in, const TensorStore::Entry& src, Eigen::Index i, Eigen::Index rps,
                                   int cols, std::uint64_t sample, const sc_time& t0, int receivers,
                                   std::vector<sc_time>* arrival, const char* what) {
    xfer_.resize(static_cast<std::size_t>(rps * cols));
    to_row_major(src.data.block(i * rps, in.src_c0, rps, cols), xfer_.data(), cols);
    const std::uint64_t bytes = tlmx::bytes_at(xfer_.size(), src.bits);
    const sc_time tr = unbuffered(in.src) ? t0 : buffer.read(t0, bytes, layer_);
    auto tx = payloads_.take();
    auto& wr = tx->begin(tlm::TLM_WRITE_COMMAND, inbox_base_ + static_cast<std::uint64_t>(in.peer) * inbox_stride_,
                         xfer_.data(), xfer_.size() * 4);
    auto* se = &tx->attach<StreamExtension>();
    se->from = tile_;
    se->tensor = in.dst;
    se->c0 = in.c0;
    se->rows = static_cast<int>(rps);
    se->cols = cols;
    se->sample = sample;
    tlmx::MulticastExtension* mc = nullptr;
    if (receivers > 0) {
        mc = &tx->attach<tlmx::MulticastExtension>();
        for (int k = 0; k < receivers; ++k) mc->initiators.push_back(in.peer + k);
    }
    tx->attach<tlmx::TrafficExtension>().bytes = bytes;
    tx->attach<tlmx::LayerExtension>().layer = layer_;
    sc_time t = tr;
    transport(wr, t, -1, what);
    if (mc && arrival) *arrival = mc->arrival;   // before the lease gives the transaction back
    return t;
}

// A step of several samples (a time-multiplexed stage) sends one message per sample, so the
// receiving stage takes them one at a time whatever its own step.
void TileController::exec_send(const Instr& in) {
    if (in.multicast) return exec_multicast_send(in);
    if (in.peer < 0 || static_cast<std::size_t>(in.peer) >= peers_.size() || peers_[in.peer] == nullptr)
        throw std::runtime_error("Send to tile " + std::to_string(in.peer) + ", which does not exist");
    auto& src = local(in.src, "source");
    const int cols = in.cols > 0 ? in.cols : static_cast<int>(src.data.cols());
    if (in.src_c0 < 0 || in.src_c0 + cols > src.data.cols()) throw std::runtime_error("Send: column slice out of range");
    const Eigen::Index rps = src.data.rows() / std::max(1, pass_count_);
    ActivationInbox& to = peers_[static_cast<std::size_t>(in.peer)]->inbox_;
    const ActivationInbox::Key key{tile_, in.dst, in.c0};
    // A channel into or out of a step of S samples has S slots: the step's tensors hold
    // them anyway, and fewer would deadlock (a step receiver drains one sender's S messages
    // before the next sender's; a step sender sends one channel's S messages before the
    // next channel's, which a per-sample receiver takes in turn).
    const int depth = std::max({cfg_.chip.pipeline_depth, job_.step_samples,
                                job_.program->step_samples(static_cast<std::size_t>(in.peer))});
    for (int i = 0; i < pass_count_; ++i) {
        const std::uint64_t sample = static_cast<std::uint64_t>(pass_first_ + i);
        // Flow control: the slot of sample - depth must have been consumed.
        sc_time free_at;
        while (!to.slot_free(key, sample, depth, free_at)) wait_for(to.freed_event());
        const sc_time t0 = max_t(max_t(now(), free_at), ready_[in.src]);
        const sc_time t = send_slice(in, src, i, rps, cols, sample, t0, 0, nullptr, "Send");
        read_done_[in.src] = max_t(read_done_[in.src], t);
        finish_op(t);
        set_now(max_t(now(), free_at) + cycle_);  // dispatched once the slot is free
    }
}

// Multicast Send: tiles peer .. peer + levels - 1 each receive the slice into their tensor
// dst + k (k-th receiver). Per sample the source is read once and one interconnect
// transfer carries it to all of them (MulticastExtension on the write); the Send waits
// until every receiver's channel has a free slot. Each receiver writes its buffer when it
// takes the message (Receive), as for a plain Send.
void TileController::exec_multicast_send(const Instr& in) {
    const int n = in.levels;
    if (n < 1 || in.peer < 0 || static_cast<std::size_t>(in.peer) + static_cast<std::size_t>(n) > peers_.size())
        throw std::runtime_error("multicast Send to tiles " + std::to_string(in.peer) + " .. " +
                                 std::to_string(in.peer + n - 1) + ", which do not all exist");
    for (int k = 0; k < n; ++k) {
        const int q = in.peer + k;
        if (peers_[static_cast<std::size_t>(q)] == nullptr || q == tile_)
            throw std::runtime_error("multicast Send: tile " + std::to_string(q) + " cannot receive it");
        const auto& d = decl(in.dst + k);
        if (d.where != Location::Local || d.tile != q)
            throw std::runtime_error("multicast Send: tensor " + std::to_string(in.dst + k) + " is not local to tile " +
                                     std::to_string(q));
    }
    auto& src = local(in.src, "source");
    const int cols = in.cols > 0 ? in.cols : static_cast<int>(src.data.cols());
    if (in.src_c0 < 0 || in.src_c0 + cols > src.data.cols()) throw std::runtime_error("Send: column slice out of range");
    const Eigen::Index rps = src.data.rows() / std::max(1, pass_count_);
    std::vector<sc_time> arrival;   // of the transfer at each receiver
    for (int i = 0; i < pass_count_; ++i) {
        const std::uint64_t sample = static_cast<std::uint64_t>(pass_first_ + i);
        sc_time free_all = SC_ZERO_TIME;
        for (int k = 0; k < n; ++k) {
            const int q = in.peer + k;
            ActivationInbox& to = peers_[static_cast<std::size_t>(q)]->inbox_;
            const ActivationInbox::Key key{tile_, in.dst + k, in.c0};
            const int depth = std::max({cfg_.chip.pipeline_depth, job_.step_samples,
                                        job_.program->step_samples(static_cast<std::size_t>(q))});
            sc_time free_at;
            while (!to.slot_free(key, sample, depth, free_at)) wait_for(to.freed_event());
            free_all = max_t(free_all, free_at);
        }
        const sc_time t0 = max_t(max_t(now(), free_all), ready_[in.src]);
        const sc_time t = send_slice(in, src, i, rps, cols, sample, t0, n, &arrival, "multicast Send");
        // The transfer reached every receiver: each inbox gets its copy at its arrival.
        for (int k = 0; k < n; ++k) {
            ActivationInbox::Message m;
            m.rows = static_cast<int>(rps);
            m.cols = cols;
            m.data.resize(xfer_.size());
            std::memcpy(m.data.data(), xfer_.data(), 4 * xfer_.size());
            m.arrival = arrival.at(static_cast<std::size_t>(k));
            peers_[static_cast<std::size_t>(in.peer + k)]->inbox_.deliver({tile_, in.dst + k, in.c0}, sample, std::move(m));
        }
        read_done_[in.src] = max_t(read_done_[in.src], t);
        finish_op(t);
        set_now(max_t(now(), free_all) + cycle_);  // dispatched once every slot is free
    }
}

void TileController::exec_receive(const Instr& in) {
    auto& dst = local(in.dst, "destination");
    const ActivationInbox::Key key{in.peer, in.dst, in.c0};
    const Eigen::Index rps = dst.data.rows() / std::max(1, pass_count_);
    for (int i = 0; i < pass_count_; ++i) {
        const std::uint64_t sample = static_cast<std::uint64_t>(pass_first_ + i);
        while (!inbox_.has(key, sample)) wait_for(inbox_.arrived_event());
        ActivationInbox::Message m = inbox_.take(key, sample);
        if (m.rows != rps || in.c0 < 0 || in.c0 + m.cols > dst.data.cols() || (in.cols > 0 && in.cols != m.cols))
            throw std::runtime_error("Receive: the message from tile " + std::to_string(in.peer) + " (" +
                                     std::to_string(m.rows) + "x" + std::to_string(m.cols) + ") does not fit columns [" +
                                     std::to_string(in.c0) + ", ...) of the destination");
        const sc_time t0 = max_t(max_t(now(), m.arrival), read_done_[in.dst]);
        mark_input(max_t(now(), m.arrival));
        const sc_time tw = buffer.write(t0, tlmx::bytes_at(m.data.size(), dst.bits), layer_);
        before_write(in.dst);
        from_row_major(m.data.data(), m.cols, dst.data.block(i * rps, in.c0, rps, m.cols));
        inbox_.consumed(key, tw);
        ready_[in.dst] = max_t(ready_[in.dst], tw);
        finish_op(tw);
        set_now(now() + cycle_);  // later instructions wait for the data through the scoreboard
    }
}

void TileController::inbox_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    auto* se = t.get_extension<StreamExtension>();
    if (!t.is_write() || se == nullptr) return tlmx::command_error(t);  // only Sends write here
    if (!tlmx::plain_access(t)) return;
    if (t.get_address() != 0 || t.get_data_length() != 4ull * se->rows * se->cols) return tlmx::burst_error(t);
    // A multicast Send: its sender hands every receiver (this one included) its copy with
    // that receiver's arrival time, once the interconnect has carried the transfer.
    if (t.get_extension<tlmx::MulticastExtension>()) return tlmx::ok(t);
    ActivationInbox::Message m;
    m.rows = se->rows;
    m.cols = se->cols;
    m.data.resize(static_cast<std::size_t>(se->rows) * se->cols);
    std::memcpy(m.data.data(), t.get_data_ptr(), t.get_data_length());
    m.arrival = sc_time_stamp() + delay;
    inbox_.deliver({se->from, se->tensor, se->c0}, se->sample, std::move(m));
    tlmx::ok(t);
}

unsigned TileController::inbox_dbg(tlm::tlm_generic_payload& t) {
    tlmx::command_error(t);  // messages in flight are not memory: nothing to inspect or poke
    return 0;
}

// ---- digital unit ---------------------------------------------------------------------------------
void TileController::exec_digital(const Instr& in) {
    auto& dst = local(in.dst, "destination");
    std::vector<int> srcs;
    if (in.op != OpCode::PositionBias) srcs.push_back(in.src);
    if (in.op == OpCode::Add) srcs.push_back(in.src2);
    std::vector<TensorStore::Entry*> s;
    for (int id : srcs) s.push_back(&local(id, "source"));
    const int B = job_.program->streamed ? pass_count_ : job_.batch;  // samples held by local tensors
    before_write(in.dst);
    digital::Work w;
    if (in.op == OpCode::Im2col && gathered(in.dst)) {
        w = digital::im2col_check(in.geom, B, decl(in.src).rows_per_sample, s[0]->data, dst.data.rows(), dst.data.cols());
        Im2colView& v = views_[in.dst];
        v.src = in.src;
        v.geom = in.geom;
        v.batch = B;
        v.src_rps = decl(in.src).rows_per_sample;
        v.pending = true;
        v.stage.reset();  // this pass's source values
    } else switch (in.op) {
        case OpCode::Affine: w = digital::affine(in, s[0]->data, dst.data); break;
        case OpCode::Activation: w = digital::activation(in, s[0]->data, dst.data); break;
        case OpCode::Add: w = digital::add(s[0]->data, s[1]->data, dst.data); break;
        case OpCode::Copy:
            w = digital::copy(B, decl(in.src).rows_per_sample, decl(in.dst).rows_per_sample, s[0]->data, dst.data);
            break;
        case OpCode::Im2col: w = digital::im2col(in.geom, B, decl(in.src).rows_per_sample, s[0]->data, dst.data); break;
        case OpCode::Pool:
            w = digital::pool(in.geom, in.pool_max, B, decl(in.src).rows_per_sample, s[0]->data, dst.data);
            break;
        case OpCode::PositionBias: w = digital::position_bias(in, B, dst.data); break;
        default: throw std::runtime_error("unsupported opcode");
    }
    sc_time t0 = max_t(now(), max_t(ready_[in.dst], read_done_[in.dst]));
    std::uint64_t rbytes = 0;
    for (std::size_t i = 0; i < srcs.size(); ++i) {
        t0 = max_t(t0, ready_[srcs[i]]);
        if (!unbuffered(srcs[i]))  // PE output registers and a Load's port stream: no buffer traffic
            rbytes += tlmx::bytes_at(static_cast<std::uint64_t>(s[i]->data.size()), s[i]->bits);
    }
    std::uint64_t wbytes = unbuffered(in.dst) ? 0 : tlmx::bytes_at(static_cast<std::uint64_t>(dst.data.size()), dst.bits);
    if (in.op == OpCode::PositionBias && !in_pe(in.dst)) {  // read-modify-write of the touched slice only
        wbytes = tlmx::bytes_at(static_cast<std::uint64_t>(w.elements), dst.bits);
        rbytes += wbytes;
    }
    const auto g = digital_.reserve(t0, cycle_ * std::ceil(w.ops() / cfg_.tile.digital_lanes), layer_);
    const sc_time tr = buffer.read(t0, rbytes, layer_);
    const sc_time tw = buffer.write(t0, wbytes, layer_);
    const sc_time end = max_t(g.end, max_t(tr, tw));
    actions_.merge(layer_, w.actions);
    trace_activity(sink_, tile_, g.start, end, w.actions);
    for (int id : srcs) read_done_[id] = max_t(read_done_[id], end);
    ready_[in.dst] = end;
    finish_op(end);
    set_now(end);
}

std::vector<StatValue> TileController::stats() const {
    return {{"digital_busy_s", digital_.busy_time().to_seconds(), "s", "digital unit busy time"},
            {"instructions", static_cast<double>(instructions_), "1", "instructions executed"},
            {"mvm_dispatched", static_cast<double>(mvms_), "1", "MVM transactions sent to macros"},
            {"fetch_words", static_cast<double>(fetch_words_), "1", "instruction-buffer words read when issuing"},
            {"programs_skipped", static_cast<double>(programs_skipped_), "1",
             "Program instructions skipped: the macro still held the block"},
            {"partial_sum_spill_bytes", static_cast<double>(spill_bytes_), "B",
             "partial sums beyond the PE registers kept in the tile buffer between rounds (written, then read)"},
            {"multicast_loads", static_cast<double>(multicast_loads_), "1",
             "multicast Loads received (one global read served the whole group)"},
            {"remote_fetches", static_cast<double>(remote_fetches_), "1",
             "instructions fetched from program memory (stream larger than the instruction buffer)"},
            {"finish_time_s", finish_.to_seconds(), "s", "simulated time the last stream ended"}};
}

}  // namespace sotsim
