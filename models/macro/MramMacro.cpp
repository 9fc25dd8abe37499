#include "models/macro/MramMacro.h"

#include <algorithm>
#include <cstring>

#include "models/physics/Adc.h"

namespace sotsim {

using namespace sc_core;
using namespace macro_map;

MramMacro::MramMacro(sc_module_name name, const Config& config, int macro_id, int power_group)
    : sc_module(name),
      cfg("cfg"),
      config_(config),
      macro_id_(macro_id),
      power_group_(power_group),
      analog_(config, macro_id),
      cycle_(tlmx::cycles(1, config.macro.clock)) {
    cfg.register_b_transport(this, &MramMacro::b_transport);
    cfg.register_transport_dbg(this, &MramMacro::transport_dbg);
    declare_csrs();
}

MramMacro::~MramMacro() {
    // A program's task still running adds to pending_.delta, which goes before analog_.
    if (!analog_.program_pending()) return;
    try {
        analog_.finish_program(pending_.delta);
    } catch (...) {
    }
}

void MramMacro::set_trace(TraceSink* sink) {
    sink_ = sink;
    const std::string p = name();
    tr_busy_.declare(sink, p + ".busy", 2);  // 0 idle, 1 MVM, 2 programming
    tr_mvm_count_.declare(sink, p + ".mvm_count", 32);
    tr_adc_.declare(sink, p + ".adc_active", 16);
}

void MramMacro::b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    access(t, &delay);
    if (t.is_response_error()) {
        ++error_count_;
        error_flag_ = true;
    }
}

unsigned MramMacro::transport_dbg(tlm::tlm_generic_payload& t) {
    access(t, nullptr);
    return t.is_response_ok() ? t.get_data_length() : 0;
}

void MramMacro::access(tlm::tlm_generic_payload& t, sc_time* delay) {
    if (pending_.active) {
        sc_time end;
        settle(end);   // a deferred program ends before anything else reaches the macro
    }
    if (!tlmx::plain_access(t, delay == nullptr)) return;
    // A debug access never changes state: no register side effects, and no programming
    // (that would resample conductances and draw from the macro's random streams).
    if (delay == nullptr && t.is_write()) return tlmx::command_error(t);
    const std::uint64_t a = t.get_address();
    const std::uint64_t len = t.get_data_length();
    const bool write = t.is_write();
    if (!write && !t.is_read()) {
        tlmx::command_error(t);
        return;
    }
    auto inside = [&](std::uint64_t base, std::uint64_t size) { return a >= base && a - base < size; };
    auto fits = [&](std::uint64_t base, std::uint64_t size) { return a - base + len <= size; };
    if (inside(kCsrBase, kCsrSize)) {
        if (!fits(kCsrBase, kCsrSize)) return tlmx::address_error(t);
        return csr_access(t, a - kCsrBase, delay);
    }
    if (inside(kWeightBase, kWeightSize)) {
        if (!fits(kWeightBase, kWeightSize)) return tlmx::address_error(t);
        return write ? weight_write(t, a - kWeightBase, delay) : weight_read(t, a - kWeightBase, delay);
    }
    if (inside(kInputBase, kInputSize)) {
        if (!fits(kInputBase, kInputSize)) return tlmx::address_error(t);
        if (!write) return tlmx::command_error(t);
        return input_write(t, a - kInputBase, delay);
    }
    if (inside(kOutputBase, kOutputSize)) {
        if (!fits(kOutputBase, kOutputSize)) return tlmx::address_error(t);
        if (write) return tlmx::command_error(t);
        return output_read(t, a - kOutputBase, delay);
    }
    tlmx::address_error(t);
}

BusyResource::Grant MramMacro::occupy(sc_time& delay, const sc_time& duration, int layer) {
    const sc_time arrival = sc_time_stamp() + delay;
    auto g = busy_.reserve(arrival, duration, layer);
    delay = g.end - sc_time_stamp();
    return g;
}

void MramMacro::account(int layer, const ActionCounter& delta, const BusyResource::Grant& g) {
    actions_.merge(layer, delta);
    trace_activity(sink_, power_group_, g.start, g.end, delta);
}

// ---- CSRs -----------------------------------------------------------------------------
// The register file of models/macro/MacroMap.h as a CsrTable (decode and responses there).
void MramMacro::declare_csrs() {
    using tlmx::CsrAccess;
    auto u32 = [](auto v) { return static_cast<std::uint32_t>(v); };
    auto value = [](auto f) { return [f](const sc_time&) { return static_cast<std::uint32_t>(f()); }; };
    // ACTIVE_ROWS / ACTIVE_COLS: 1..the programmed block's rows / cols.
    auto active = [this](int* field, bool rows) {
        return [this, field, rows](std::uint32_t v, const sc_time&) {
            if (!analog_.programmed()) return false;
            const int limit = rows ? analog_.spec().rows : analog_.spec().cols;
            if (v < 1 || static_cast<int>(v) > limit) return false;
            *field = static_cast<int>(v);
            return true;
        };
    };
    csr_.add({"ID", kId, CsrAccess::RO, kIdValue, {}, {}})
        .add({"ROWS", kRows, CsrAccess::RO, u32(config_.array.rows), {}, {}})
        .add({"COLS", kCols, CsrAccess::RO, u32(config_.array.cols), {}, {}})
        .add({"ACTIVE_ROWS", kActiveRows, CsrAccess::RW, 0, value([this] { return active_rows_; }),
              active(&active_rows_, true)})
        .add({"ACTIVE_COLS", kActiveCols, CsrAccess::RW, 0, value([this] { return active_cols_; }),
              active(&active_cols_, false)})
        .add({"INPUT_BITS", kInputBits, CsrAccess::RO, 0,
              value([this] { return analog_.programmed() ? analog_.spec().input_bits : 0; }), {}})
        .add({"READOUT", kReadout, CsrAccess::RO, 0,
              value([this] { return analog_.programmed() ? static_cast<int>(analog_.spec().readout) : 0; }), {}})
        .add({"BATCH", kBatch, CsrAccess::RO, 0, value([this] { return last_batch_; }), {}})
        .add({"STATUS", kStatus, CsrAccess::RO, 0,
              [this](const sc_time& now) {
                  return (analog_.programmed() ? kStatusProgrammed : 0u) | (busy_.busy_at(now) ? kStatusBusy : 0u) |
                         (error_flag_ ? kStatusError : 0u);
              },
              {}})
        .add({"WRITE_FAILURES", kWriteFailures, CsrAccess::RO, 0, value([this] { return last_write_failures_; }), {}})
        .add({"ERROR_COUNT", kErrorCount, CsrAccess::RO, 0, value([this] { return error_count_; }), {}})
        .add({"MVM_COUNT", kMvmCount, CsrAccess::RO, 0, value([this] { return mvm_count_; }), {}})  // low 32 bits
        .add({"CONTROL", kControl, CsrAccess::WO, 0, {}, [this](std::uint32_t v, const sc_time&) {
                  if (v & 1u) {
                      error_count_ = 0;
                      error_flag_ = false;
                  }
                  return true;
              }});
}

void MramMacro::csr_access(tlm::tlm_generic_payload& t, std::uint64_t off, sc_time* delay) {
    csr_.access(t, off, sc_time_stamp() + (delay ? *delay : SC_ZERO_TIME), delay == nullptr);
    if (delay && t.is_response_ok()) *delay += cycle_;  // register access: one control-clock cycle, not queued
}

// ---- weight window ----------------------------------------------------------------------
void MramMacro::weight_write(tlm::tlm_generic_payload& t, std::uint64_t off, sc_time* delay) {
    auto* ext = t.get_extension<BlockSpecExtension>();
    if (!ext || !ext->spec || off != 0) return tlmx::command_error(t);  // whole-block program only
    const phys::BlockSpec& spec = *ext->spec;
    if (spec.rows < 1 || spec.cols < 1 ||
        spec.rows > phys::AnalogMacro::logical_rows(config_, spec.weight_bits) ||
        spec.cols > phys::AnalogMacro::logical_cols(config_, spec.weight_bits))
        return tlmx::generic_error(t);
    const std::uint64_t n = static_cast<std::uint64_t>(spec.rows) * spec.cols;
    if (t.get_data_length() != n * 4) return tlmx::burst_error(t);
    using RowMajorI = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::MatrixXi w = Eigen::Map<const RowMajorI>(reinterpret_cast<const std::int32_t*>(t.get_data_ptr()),
                                                    spec.rows, spec.cols);
    drop_window();   // its reads belong to the block being replaced
    pending_ = PendingProgram{};
    // Deferred, the rest of the program (sampling, IR drop, calibration) runs as a task on
    // the sim.threads pool while the initiator programs other macros; settle() waits for it.
    const bool deferred = ext->defer && delay;
    phys::ProgramResult write;
    try {
        write = deferred ? analog_.begin_program_async(w, spec, pending_.delta) : analog_.begin_program(w, spec, pending_.delta);
    } catch (const std::exception&) {
        return tlmx::generic_error(t);  // weights outside the block's value domain
    }
    pending_.active = true;
    pending_.spec = spec;
    pending_.timed = delay != nullptr;
    pending_.arrival = sc_time_stamp() + (delay ? *delay : SC_ZERO_TIME);
    pending_.layer = tlmx::layer_of(t);
    tlmx::ok(t);
    if (deferred) {
        ext->finish = [this](sc_time& end) { return settle(end); };
        ext->earliest_end = pending_.arrival + tlmx::seconds(write.time_s);
        return;
    }
    sc_time end;
    if (!settle(end)) return tlmx::generic_error(t);
    *delay = end - sc_time_stamp();
}

bool MramMacro::settle(sc_time& end) {
    if (!pending_.active) {
        end = settled_end_;
        return settled_ok_;
    }
    pending_.active = false;
    phys::ProgramResult r;
    settled_ok_ = false;
    settled_end_ = pending_.arrival;
    end = settled_end_;
    try {
        r = analog_.finish_program(pending_.delta);
    } catch (const std::exception&) {
        ++error_count_;   // as b_transport counts the error response of an undeferred write
        error_flag_ = true;
        return false;
    }
    const phys::BlockSpec& spec = pending_.spec;
    active_rows_ = spec.rows;
    active_cols_ = spec.cols;
    last_y_.resize(0, 0);
    last_batch_ = 0;
    last_write_failures_ = r.write_failures;
    if (pending_.timed) {
        // Booked at the write's arrival, whenever the program is finished.
        auto g = busy_.reserve_late(pending_.arrival, tlmx::seconds(r.time_s), pending_.layer);
        ++programs_;
        pulses_ += r.pulses;
        write_failures_ += r.write_failures;
        account(pending_.layer, pending_.delta, g);
        tr_busy_.record(g.start, 2);
        tr_busy_.record(g.end, 0);
        settled_end_ = g.end;
    }
    settled_ok_ = true;
    end = settled_end_;
    return true;
}

void MramMacro::weight_read(tlm::tlm_generic_payload& t, std::uint64_t off, sc_time* delay) {
    if (!analog_.programmed()) return tlmx::generic_error(t);
    const auto& spec = analog_.spec();
    const std::uint64_t len = t.get_data_length();
    if (off % 4 != 0 || len % 4 != 0) return tlmx::burst_error(t);
    const std::uint64_t n = static_cast<std::uint64_t>(spec.rows) * spec.cols;
    if (off / 4 + len / 4 > n) return tlmx::address_error(t);
    using RowMajorI = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowMajorI w = analog_.read_weights();
    std::memcpy(t.get_data_ptr(), w.data() + off / 4, len);
    if (delay) {
        // A verify read senses whole rows: every row the access touches is read once.
        const std::uint64_t first_row = off / 4 / spec.cols, last_row = (off / 4 + len / 4 - 1) / spec.cols;
        const double rows = static_cast<double>(last_row - first_row + 1);
        ActionCounter delta;
        delta.add(action::kVerifyRead, rows);
        auto g = occupy(*delay, tlmx::seconds(rows * config_.periphery.t_settle), tlmx::layer_of(t));
        account(tlmx::layer_of(t), delta, g);
    }
    tlmx::ok(t);
}

// ---- compute -------------------------------------------------------------------------------
void MramMacro::drop_window() {
    if (window_.next < window_.count) analog_.rewind_reads(window_.first_read + static_cast<std::uint64_t>(window_.next));
    window_.next = window_.count = 0;
}

bool MramMacro::windowed_read(tlm::tlm_generic_payload& t, const float* in, double& latency, ActionCounter& delta) {
    if (config_.sim.stream_window <= 1 || !analog_.reads_batch_exact()) return false;
    const std::size_t rows = static_cast<std::size_t>(active_rows_), cols = static_cast<std::size_t>(active_cols_);
    if (window_.next < window_.count &&
        std::memcmp(window_.x.data() + window_.next * rows, in, 4 * rows) == 0) {
        // The read made ahead for this vector, at its place in the block's noise streams.
        std::memcpy(last_y_.data(), window_.y.data() + window_.next * cols, 4 * cols);
        ++window_.next;
        ++windowed_vectors_;
        latency = analog_.read_cost(in, delta);
        return true;
    }
    drop_window();
    const auto* ext = t.get_extension<LookaheadExtension>();
    if (!ext || !ext->ahead) return false;
    const int max = config_.sim.stream_window - 1;
    window_.x.resize(static_cast<std::size_t>(max + 1) * rows);
    std::memcpy(window_.x.data(), in, 4 * rows);
    const int more = std::clamp(ext->ahead(max, window_.x.data() + rows), 0, max);
    if (more == 0) return false;
    const int n = 1 + more;
    window_.y.resize(static_cast<std::size_t>(n) * cols);
    window_.first_read = analog_.reads();
    try {
        // The window's counts are not any write's: each write counts its own read below.
        window_actions_.clear();
        for (int at = 0; at < n; at += kVectorsPerRead)
            analog_.mvm_rows(window_.x.data() + at * rows, std::min(kVectorsPerRead, n - at),
                             window_.y.data() + at * cols, window_actions_, nullptr);
    } catch (const std::exception&) {
        analog_.rewind_reads(window_.first_read);   // a later input outside the domain: read alone
        return false;
    }
    window_.count = n;
    window_.next = 1;
    std::memcpy(last_y_.data(), window_.y.data(), 4 * cols);
    latency = analog_.read_cost(in, delta);
    return true;
}

void MramMacro::input_write(tlm::tlm_generic_payload& t, std::uint64_t off, sc_time* delay) {
    if (!delay) return tlmx::command_error(t);  // debug accesses never compute
    if (!analog_.programmed()) return tlmx::generic_error(t);
    const std::uint64_t vec_bytes = 4ull * static_cast<std::uint64_t>(active_rows_);
    const std::uint64_t len = t.get_data_length();
    if (off != 0 || len % vec_bytes != 0) return tlmx::burst_error(t);
    const int batch = static_cast<int>(len / vec_bytes);
    const auto& spec = analog_.spec();
    const float* in = reinterpret_cast<const float*>(t.get_data_ptr());
    ActionCounter delta;
    // The physics core keeps work buffers sized to its largest call, so a batch is read in
    // chunks of at most kVectorsPerRead vectors: host memory per macro stays bounded
    // whatever the batch (the memory budget then covers the tensors only). Results do not
    // depend on the chunking (read noise is drawn per vector, AnalogMacro.cpp).
    double latency = 0.0;
    last_y_.resize(batch, active_cols_);
    // Analog accumulation: the summing node's partial sums (final block only).
    const auto* sum_ext = t.get_extension<AnalogSumExtension>();
    if ((spec.analog_sum == phys::AnalogSum::Final) != (sum_ext != nullptr && sum_ext->sums != nullptr) ||
        (spec.analog_sum == phys::AnalogSum::Final && active_cols_ != spec.cols))
        return tlmx::generic_error(t);
    const float* node = sum_ext && sum_ext->sums ? sum_ext->sums : nullptr;
    // Inputs produced on demand (InputSourceExtension): kFillVectors at a time into x_rows_.
    const auto* source = t.get_extension<InputSourceExtension>();
    const bool produced = source != nullptr && static_cast<bool>(source->fill);
    if (!produced && in == nullptr && batch > 0) return tlmx::generic_error(t);
    if (batch == 1 && !produced && !node && windowed_read(t, in, latency, delta)) {
        // answered from (or opened) a window of reads made ahead
    } else try {
        drop_window();
        const float* block = in;   // vector `filled` of the burst at block[0]
        int filled = 0;
        for (int at = 0; at < batch; at += kVectorsPerRead) {
            const int len = std::min(kVectorsPerRead, batch - at);
            if (produced && at % kFillVectors == 0) {
                const int nf = std::min(kFillVectors, batch - at);
                x_rows_.resize(static_cast<std::size_t>(nf) * static_cast<std::size_t>(active_rows_));
                source->fill(at, nf, x_rows_.data());
                block = x_rows_.data();
                filled = at;
            }
            // The chunk's vectors straight from the burst, the results straight into the
            // row-major output registers (AnalogMacro::mvm_rows).
            const std::ptrdiff_t v0 = at, off_rows = produced ? at - filled : at;
            latency += analog_.mvm_rows(block + off_rows * active_rows_, len, last_y_.data() + v0 * active_cols_, delta,
                                        node ? node + v0 * spec.cols : nullptr);
        }
    } catch (const std::exception&) {
        last_y_.resize(0, 0);
        return tlmx::generic_error(t);  // inputs outside the encoding's value domain
    }
    last_batch_ = batch;
    ++mvm_count_;
    vectors_ += static_cast<std::uint64_t>(batch);
    auto g = occupy(*delay, tlmx::seconds(latency), tlmx::layer_of(t));
    account(tlmx::layer_of(t), delta, g);
    tr_busy_.record(g.start, 1);
    tr_adc_.record(g.start, active_readout_units());
    tr_busy_.record(g.end, 0);
    tr_adc_.record(g.end, 0);
    tr_mvm_count_.record(g.end, static_cast<double>(mvm_count_));
    tlmx::ok(t);
}

void MramMacro::output_read(tlm::tlm_generic_payload& t, std::uint64_t off, sc_time* delay) {
    if (!analog_.programmed()) return tlmx::generic_error(t);
    const std::uint64_t len = t.get_data_length();
    if (off % 4 != 0 || len % 4 != 0) return tlmx::burst_error(t);
    const std::uint64_t n = static_cast<std::uint64_t>(last_y_.rows()) * last_y_.cols();
    if (off / 4 + len / 4 > n) return tlmx::address_error(t);
    if (auto* view = t.get_extension<OutputViewExtension>()) view->rows = last_y_.data() + off / 4;
    else std::memcpy(t.get_data_ptr(), last_y_.data() + off / 4, len);
    // Output registers are read after the MVM that produced them: queue behind it.
    if (delay) occupy(*delay, cycle_, tlmx::layer_of(t));
    tlmx::ok(t);
}

// ---- stats -----------------------------------------------------------------------------------
int MramMacro::readout_units() const {
    const int cols = config_.array.cols;
    switch (config_.periphery.readout) {
        case ReadoutKind::Adc:
            return phys::adc_units(config_);
        case ReadoutKind::SenseAmp:
        case ReadoutKind::Tdc:
        case ReadoutKind::SigmoidNeuron: return cols;
    }
    return cols;
}

int MramMacro::active_readout_units() const {
    if (!analog_.programmed()) return 0;
    const auto& s = analog_.spec();
    const int pcols = phys::AnalogMacro::physical_cols(config_, s.weight_bits, s.cols);
    if (s.readout == ReadoutKind::Adc) {
        const int per = config_.periphery.adc.cols_per_adc;
        return std::min(readout_units(), (pcols + per - 1) / per);
    }
    return pcols;
}

std::vector<StatValue> MramMacro::stats() const {
    return {
        {"busy_time_s", busy_.busy_time().to_seconds(), "s", "time the macro computed or was programmed"},
        {"queue_wait_s", busy_.wait_time().to_seconds(), "s", "time requests waited behind earlier ones"},
        {"mvm_count", static_cast<double>(mvm_count_), "1", "MVM transactions"},
        {"vectors", static_cast<double>(vectors_), "1", "input vectors processed"},
        {"programs", static_cast<double>(programs_), "1", "block (re)programmings"},
        {"write_pulses", static_cast<double>(pulses_), "1", "SOT write pulses"},
        {"write_failures", static_cast<double>(write_failures_), "1", "cells left in the wrong state"},
        {"error_responses", static_cast<double>(error_count_), "1", "transactions answered with an error"},
    };
}

std::map<std::string, double> MramMacro::area_items() const {
    const double rows = config_.array.rows, cols = config_.array.cols;
    std::map<std::string, double> a{{"mtj_cell", rows * cols},
                                    {"row_driver", rows},
                                    {"write_driver", cols},
                                    {"macro_control", 1}};
    switch (config_.periphery.readout) {
        case ReadoutKind::Adc: a["adc"] = readout_units(); break;
        case ReadoutKind::SenseAmp: a["sense_amp"] = readout_units(); break;
        case ReadoutKind::Tdc: a["tdc"] = readout_units(); break;
        case ReadoutKind::SigmoidNeuron: a["neuron"] = readout_units(); break;
    }
    return a;
}

}  // namespace sotsim
