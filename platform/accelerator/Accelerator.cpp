#include "platform/accelerator/Accelerator.h"

#include <cstring>
#include <stdexcept>

namespace sotsim {

using namespace sc_core;
using namespace host_map;

Accelerator::Accelerator(sc_module_name name, const Config& cfg)
    : sc_module(name),
      host("host"),
      irq("irq"),
      tiles("tile"),
      noc("noc", cfg.chip),
      gbuf("gbuf", cfg.chip),
      progmem("progmem", cfg.chip, kProgSize),
      cfg_(cfg),
      host_port_("host_port") {
    tiles.init(static_cast<std::size_t>(cfg.chip.tiles), [&](const char*, std::size_t i) {
        const std::string n = "tile" + std::to_string(i);
        return new TileController(n.c_str(), cfg, static_cast<int>(i));
    });
    for (auto& t : tiles) t.to_noc.bind(noc.from_initiators);
    host_port_.bind(noc.from_initiators);
    noc.to_targets.bind(gbuf.port);
    noc.to_targets.bind(progmem.port);
    noc.map_target(0, kGbufBase, kGbufSize, "global buffer");
    noc.map_target(1, kProgBase, kProgSize, "program memory");
    std::vector<TileController*> peers;
    for (auto& t : tiles) peers.push_back(&t);
    for (std::size_t i = 0; i < tiles.size(); ++i) {
        noc.to_targets.bind(tiles[i].inbox);
        noc.map_target(static_cast<int>(2 + i), kInboxBase + i * kInboxStride, kInboxStride,
                       "tile " + std::to_string(i) + " inbox", /*at_node=*/static_cast<int>(i));
        noc.place_initiator(static_cast<int>(i), static_cast<int>(i));  // tile i at mesh router i
        tiles[i].connect_peers(peers, kInboxBase, kInboxStride);
    }
    SC_METHOD(drive_irq);
    sensitive << irq_ev_;
    dont_initialize();
    host.register_b_transport(this, &Accelerator::b_transport);
    host.register_transport_dbg(this, &Accelerator::transport_dbg);
    host.register_get_direct_mem_ptr(this, &Accelerator::get_direct_mem_ptr);
    host_port_.register_invalidate_direct_mem_ptr(this, &Accelerator::invalidate_direct_mem_ptr);
    declare_csrs();
}

void Accelerator::set_trace(TraceSink* sink) {
    for (auto& t : tiles) t.set_trace(sink);
    noc.set_trace(sink);
    gbuf.set_trace(sink);
}

// ---- program loading -----------------------------------------------------------------------
std::vector<std::uint8_t> Accelerator::image_of(const Program& p) const {
    return image::encode(p, image::Target{cfg_.chip.tiles, cfg_.tile.macros});
}

void Accelerator::load_program(const Program& p, int batch) {
    if (busy_) throw std::runtime_error("accelerator: cannot load a program while a run is in progress");
    const auto img = image_of(p);
    progmem.place(img);
    image_size_ = static_cast<std::uint32_t>(img.size());
    load_image(img.size(), batch);
}

void Accelerator::load_image(std::uint64_t bytes, int batch) {
    if (busy_) throw std::runtime_error("accelerator: cannot load a program while a run is in progress");
    if (bytes > progmem.size())
        throw std::runtime_error("program image: IMAGE_SIZE is " + std::to_string(bytes) + " bytes but only " +
                                 std::to_string(progmem.size()) + " were written to program memory");
    image::Target target;
    Program p;
    try {
        p = image::decode(progmem.data(), bytes, &target);
    } catch (const image::ImageError& e) {
        throw std::runtime_error(std::string("program image: ") + e.what());
    }
    if (target.tiles != cfg_.chip.tiles || target.macros_per_tile != cfg_.tile.macros)
        throw std::runtime_error("program image was compiled for " + std::to_string(target.tiles) + " tiles x " +
                                 std::to_string(target.macros_per_tile) + " macros, this chip has " +
                                 std::to_string(cfg_.chip.tiles) + " x " + std::to_string(cfg_.tile.macros));
    install(std::move(p), batch);
    layout_ = image::layout(progmem.data(), bytes);
    ++image_id_;
    progmem.loaded(layout_);
    allocate_tensors();
}

// Checks placement against the chip; the program becomes current only if it fits.
void Accelerator::install(Program p, int batch) {
    const int T = cfg_.chip.tiles, M = cfg_.tile.macros;
    if (static_cast<int>(p.tile_code.size()) > T || static_cast<int>(p.setup_code.size()) > T)
        throw std::runtime_error("program has " + std::to_string(std::max(p.tile_code.size(), p.setup_code.size())) +
                                 " tile streams but the chip has " + std::to_string(T) + " tiles");
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
        const auto& b = p.blocks[i];
        if (b.tile < -1 || b.tile >= T || b.macro < -1 || b.macro >= M)
            throw std::runtime_error("block " + std::to_string(i) + " is placed on tile " + std::to_string(b.tile) +
                                     ", macro " + std::to_string(b.macro) + ", outside the chip (" + std::to_string(T) +
                                     " tiles x " + std::to_string(M) + " macros)");
    }
    for (std::size_t i = 0; i < p.tensors.size(); ++i) {
        const auto& d = p.tensors[i];
        if (d.width < 1 || d.rows_per_sample < 1 || d.bits < 1)
            throw std::runtime_error("tensor " + std::to_string(i) + " ('" + d.name + "') has an empty shape or precision");
        if (d.where != Location::Global && (d.tile < 0 || d.tile >= T))
            throw std::runtime_error("tensor " + std::to_string(i) + " ('" + d.name + "') lives on tile " +
                                     std::to_string(d.tile) + ", outside the chip");
    }
    for (int id : {p.input_tensor, p.output_tensor})
        if (id >= 0 && (static_cast<std::size_t>(id) >= p.tensors.size() ||
                        p.tensors[static_cast<std::size_t>(id)].where != Location::Global))
            throw std::runtime_error("program input/output tensor " + std::to_string(id) + " is not a global tensor");
    if (batch < 1) throw std::runtime_error("accelerator: batch must be at least 1, got " + std::to_string(batch));
    program_ = std::make_unique<Program>(std::move(p));
    batch_ = batch;
}

void Accelerator::set_batch(int batch) {
    if (busy_) throw std::runtime_error("accelerator: cannot change the batch while a run is in progress");
    if (!program_) throw std::runtime_error("accelerator: no program loaded");
    if (batch < 1) throw std::runtime_error("accelerator: batch must be at least 1, got " + std::to_string(batch));
    batch_ = batch;
    allocate_tensors();
}

void Accelerator::allocate_tensors() {
    gbuf.clear();
    const auto& p = *program_;
    std::vector<std::uint64_t> taddr(p.tensors.size(), 0);
    for (std::size_t i = 0; i < p.tensors.size(); ++i) {
        const auto& d = p.tensors[i];
        if (d.where != Location::Global) continue;
        taddr[i] = kGbufBase + gbuf.allocate(static_cast<int>(i), batch_ * d.rows_per_sample, d.width, d.bits, batch_);
    }
    gbuf.store().release_unused();
    if (gbuf.window_bytes() > kGbufSize)
        throw std::runtime_error("global tensors need " + std::to_string(gbuf.window_bytes()) +
                                 " bytes of host window, more than the 256 MiB map");
    // A streamed program keeps one step (one sample, or chip.step_samples on a time-multiplexed
    // stage) per local tensor: samples pass through the tiles.
    for (std::size_t i = 0; i < tiles.size(); ++i)
        tiles[i].prepare(p, p.streamed ? std::min(p.step_samples(i), batch_) : batch_);
    std::vector<std::uint64_t> baddr(p.blocks.size());
    for (std::size_t b = 0; b < p.blocks.size(); ++b) baddr[b] = kProgBase + layout_.block_offsets.at(b);
    jobs_.assign(tiles.size(), TileJob{});
    for (auto& j : jobs_) {
        j.program = program_.get();
        j.params_addr = kProgBase + layout_.params_offset;
        j.image_id = image_id_;
        j.batch = batch_;
        j.tensor_addr = taddr;
        j.block_addr = baddr;
        j.barrier = &barrier_;
        j.multicast = &multicast_;
    }
}

std::uint64_t Accelerator::tensor_address(int tensor) const {
    if (!program_) throw std::runtime_error("accelerator: no program loaded");
    return kGbufBase + gbuf.tensor_base(tensor);
}

// ---- running ---------------------------------------------------------------------------------
bool Accelerator::start(bool setup, const sc_time& offset) {
    if (busy_ || !program_) return false;
    // Each tile's streams in program memory. SETUP runs the setup streams and has every tile
    // with a RUN stream fetch it into its instruction buffer; RUN runs the RUN streams.
    auto ref = [&](std::uint32_t first, std::uint32_t count) {
        return StreamRef{kProgBase + layout_.code_offset + static_cast<std::uint64_t>(first) * sizeof(image::InstrRecord),
                         count};
    };
    std::vector<TileJob*> starting;
    for (std::size_t i = 0; i < tiles.size(); ++i) {
        const image::StreamRecord s = i < layout_.streams.size() ? layout_.streams[i] : image::StreamRecord{0, 0, 0, 0, 1};
        TileJob& j = jobs_[i];
        j.code = setup ? ref(s.setup_first, s.setup_count) : ref(s.code_first, s.code_count);
        j.next = setup ? ref(s.code_first, s.code_count) : StreamRef{};
        j.step_samples = program_->streamed ? program_->step_samples(i) : 1;
        j.steps = (!setup && program_->streamed) ? (batch_ + j.step_samples - 1) / j.step_samples : 1;
        if (j.code.count > 0 || j.next.count > 0) starting.push_back(&j);
    }
    busy_ = true;
    done_ = false;
    error_.clear();
    run_start_ = sc_time_stamp() + offset;
    running_ = static_cast<int>(starting.size());
    barrier_.reset(running_);
    multicast_.reset(running_);
    ++runs_;
    progmem.set_locked(true);  // the program may not change under the run (DMI too)
    if (running_ == 0) {
        run_end_ = run_start_;
        finish_run();
        done_ev_.notify(offset);
        return true;
    }
    for (TileJob* j : starting)
        tiles[static_cast<std::size_t>(j - jobs_.data())].start(*j, [this](int t) { tile_done(t); }, offset);
    return true;
}

void Accelerator::tile_done(int tile) {
    auto& t = tiles[static_cast<std::size_t>(tile)];
    // The first failure names the cause; tiles it stopped report "stopped: ..." after it.
    if (t.failed() && (error_.empty() || error_.find("stopped: another tile failed") != std::string::npos))
        error_ = t.error();
    if (--running_ > 0) return;
    run_end_ = sc_time_stamp();
    finish_run();
    done_ev_.notify(SC_ZERO_TIME);
}

void Accelerator::finish_run() {
    busy_ = false;
    done_ = true;
    irq_status_ = true;
    progmem.set_locked(false);
    update_irq();
}

// The line changes in the next delta cycle of the kernel time at which the CSR access or
// the run's end happened (a loosely-timed initiator ahead in local time syncs first).
void Accelerator::update_irq() {
    irq_line_ = irq_enable_ && irq_status_;
    irq_ev_.notify(SC_ZERO_TIME);
}

void Accelerator::drive_irq() {
    if (irq.size() > 0) irq->write(irq_line_);
}

sc_time Accelerator::run_blocking(bool setup) {
    // Before the first sc_start the tile threads have not reached their wait yet.
    if (sc_get_status() == SC_ELABORATION) sc_start(SC_ZERO_TIME);
    if (!start(setup, SC_ZERO_TIME))
        throw std::runtime_error(program_ ? "accelerator is busy" : "accelerator: no program loaded");
    while (busy_) {
        sc_start();
        if (busy_ && !sc_pending_activity()) throw std::runtime_error("accelerator: simulation stalled before the run ended");
    }
    if (failed()) throw std::runtime_error(error_);
    return run_end_ - run_start_;
}

// ---- host socket -------------------------------------------------------------------------------
// The CSRs of HostMap.h as a CsrTable (models/common/CsrTable.h: decode and responses there).
void Accelerator::declare_csrs() {
    using tlmx::CsrAccess;
    auto value = [](auto f) { return [f](const sc_time&) { return static_cast<std::uint32_t>(f()); }; };
    auto addr_of = [this](int id) -> std::uint32_t {
        return program_ && id >= 0 ? static_cast<std::uint32_t>(tensor_address(id)) : 0u;
    };
    csr_.add({"ID", kId, CsrAccess::RO, kIdValue, {}, {}})
        .add({"VERSION", kVersion, CsrAccess::RO, kVersionValue, {}, {}})
        .add({"CONTROL", kControl, CsrAccess::WO, 0, {},
              [this](std::uint32_t v, const sc_time& at) { return control(v, at); }})
        .add({"STATUS", kStatus, CsrAccess::RO, 0, value([this] {
                  return (busy_ ? kStatusBusy : 0u) | (done_ ? kStatusDone : 0u) | (failed() ? kStatusError : 0u);
              }), {}})
        .add({"IRQ_ENABLE", kIrqEnable, CsrAccess::RW, 0, value([this] { return irq_enable_ ? 1 : 0; }),
              [this](std::uint32_t v, const sc_time&) {
                  irq_enable_ = (v & 1u) != 0;
                  update_irq();
                  return true;
              }})
        .add({"IRQ_STATUS", kIrqStatus, CsrAccess::RW, 0, value([this] { return irq_status_ ? 1 : 0; }),
              [this](std::uint32_t v, const sc_time&) {  // write 1 to clear
                  if (v & 1u) irq_status_ = false;
                  update_irq();
                  return true;
              }})
        .add({"BATCH", kBatch, CsrAccess::RW, 0, value([this] { return batch_; }),
              [this](std::uint32_t v, const sc_time&) {
                  try {
                      set_batch(static_cast<int>(v));
                      return true;
                  } catch (const std::exception& e) {
                      error_ = e.what();  // STATUS.ERROR says why
                      return false;
                  }
              }})
        .add({"TILES", kTiles, CsrAccess::RO, static_cast<std::uint32_t>(cfg_.chip.tiles), {}, {}})
        .add({"MACROS", kMacros, CsrAccess::RO, static_cast<std::uint32_t>(cfg_.total_macros()), {}, {}})
        .add({"INPUT_ADDR", kInputAddr, CsrAccess::RO, 0,
              value([this, addr_of] { return program_ ? addr_of(program_->input_tensor) : 0u; }), {}})
        .add({"OUTPUT_ADDR", kOutputAddr, CsrAccess::RO, 0,
              value([this, addr_of] { return program_ ? addr_of(program_->output_tensor) : 0u; }), {}})
        .add({"INPUT_WIDTH", kInputWidth, CsrAccess::RO, 0,
              value([this] { return program_ ? program_->input_width : 0; }), {}})
        .add({"OUTPUT_WIDTH", kOutputWidth, CsrAccess::RO, 0,
              value([this] { return program_ ? program_->output_width : 0; }), {}})
        .add({"IMAGE_SIZE", kImageSize, CsrAccess::RW, 0, value([this] { return image_size_; }),
              [this](std::uint32_t v, const sc_time&) {
                  if (busy_) return false;
                  image_size_ = v;
                  return true;
              }});
}

// CONTROL: at most one of RUN, SETUP, LOAD per write; CLEAR may come with any. False: the
// write is refused (generic error): busy, no program, or an image LOAD rejected.
bool Accelerator::control(std::uint32_t v, const sc_time& at) {
    if (v & kCtrlClear) {
        done_ = false;
        error_.clear();
    }
    if (((v & kCtrlRun) != 0) + ((v & kCtrlSetup) != 0) + ((v & kCtrlLoad) != 0) > 1) return false;
    if (v & kCtrlLoad) {
        if (busy_) return false;
        try {
            load_image(image_size_, std::max(1, batch_));
        } catch (const std::exception& e) {
            error_ = e.what();  // STATUS.ERROR; a malformed image keeps the previous program
            return false;
        }
    }
    if ((v & (kCtrlRun | kCtrlSetup)) && !start((v & kCtrlSetup) != 0, at - sc_time_stamp()))
        return false;  // busy or no program
    return true;
}

void Accelerator::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    if (!t.is_read() && !t.is_write()) return tlmx::command_error(t);
    if (t.get_address() < kCsrBase + kCsrSize) {
        if (!tlmx::plain_access(t)) return;
        delay += tlmx::cycles(1, cfg_.chip.bus_clock);
        return csr_.access(t, t.get_address() - kCsrBase, sc_time_stamp() + delay, /*debug=*/false);
    }
    // The program may not change under a running stream.
    if (busy_ && t.is_write() && t.get_address() >= kProgBase && t.get_address() < kProgBase + kProgSize)
        return tlmx::generic_error(t);
    host_port_->b_transport(t, delay);
}

unsigned Accelerator::transport_dbg(tlm::tlm_generic_payload& t) {
    if (t.get_address() < kCsrBase + kCsrSize) {
        // Debug reads through the same decode; debug writes are refused (never start runs or change state).
        if (!tlmx::plain_access(t, true)) return 0;
        csr_.access(t, t.get_address() - kCsrBase, sc_time_stamp(), /*debug=*/true);
        return t.is_response_ok() ? 4u : 0u;
    }
    return host_port_->transport_dbg(t);
}

// DMI: plain memories only. Registers have side effects and the global buffer keeps its
// tensors in the simulator's own layout (per tensor, column major), not as the host's
// row-major float32 image, so both are denied; program memory is granted (ProgramMemory.h).
bool Accelerator::get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) {
    if (t.get_address() < kCsrBase + kCsrSize) {
        d.set_start_address(kCsrBase);
        d.set_end_address(kCsrBase + kCsrSize - 1);
        d.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        return false;
    }
    return host_port_->get_direct_mem_ptr(t, d);
}

void Accelerator::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (host.size() > 0) host->invalidate_direct_mem_ptr(start, end);
}

std::vector<StatValue> Accelerator::stats() const {
    return {{"runs", static_cast<double>(runs_), "1", "SETUP and RUN commands executed"},
            {"last_run_s", (run_end_ - run_start_).to_seconds(), "s", "duration of the last run"},
            {"batch", static_cast<double>(batch_), "1", "samples per run"}};
}

}  // namespace sotsim
