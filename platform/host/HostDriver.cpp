#include "platform/host/HostDriver.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/common/Payload.h"
#include "models/common/TlmUtil.h"
#include "models/physics/AnalogMacro.h"
#include "platform/host/TraceSetup.h"
#include "models/physics/Rng.h"
#include "platform/accelerator/Accelerator.h"
#include "platform/accelerator/HostMap.h"
#include "platform/accelerator/TransferCache.h"
#include "platform/report/ScTreeWalk.h"

namespace sotsim::host {

using namespace sc_core;
namespace hm = host_map;

namespace {

// A CPU-side driver: everything it does goes through the accelerator's host socket.
class HostDriver : public sc_module {
public:
    tlm_utils::simple_initiator_socket<HostDriver> socket;

    SC_HAS_PROCESS(HostDriver);
    HostDriver(sc_module_name name, Accelerator& acc, std::vector<std::uint8_t> image, const SampleMatrix& images,
               int batch, std::function<void(int, int)> progress)
        : sc_module(name), socket("socket"), acc_(acc), image_(std::move(image)), images_(images), batch_(batch),
          progress_(std::move(progress)) {
        SC_THREAD(main);
        set_stack_size(TileController::kThreadStackBytes);  // collects stats, evaluates nothing big
    }

    SampleMatrix outputs;
    double programming_time_s = 0, inference_time_s = 0, latency_s = 0;
    report::Collection after_programming;
    std::string error;
    bool finished = false;  // main() ran to its end (else the simulation ran out of events first)
    int runs = 0;

private:
    // `modelled_bytes` > 0: the data is stored as float32 but moves at its modelled
    // precision (e.g. 8-bit pixels), which is what the bus and buffer are charged for.
    void transport(bool write, std::uint64_t addr, void* data, std::size_t bytes, std::uint64_t modelled_bytes = 0) {
        tlm::tlm_generic_payload t;
        if (modelled_bytes > 0) t.set_extension(new tlmx::TrafficExtension(modelled_bytes));
        tlmx::prepare(t, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, bytes);
        sc_time d = SC_ZERO_TIME;
        socket->b_transport(t, d);
        if (t.is_response_error()) {
            if (acc_.failed()) throw std::runtime_error(acc_.error_message());  // e.g. BATCH: tensors do not fit
            throw std::runtime_error("host: " + std::string(write ? "write" : "read") + " at 0x" + hex(addr) +
                                     " failed: " + t.get_response_string());
        }
        wait(d);  // the host is a simple in-order driver: it syncs after every access
    }
    static std::string hex(std::uint64_t v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
        return buf;
    }
    void write_csr(std::uint32_t reg, std::uint32_t v) { transport(true, hm::kCsrBase + reg, &v, 4); }
    std::uint32_t read_csr(std::uint32_t reg) {
        std::uint32_t v = 0;
        transport(false, hm::kCsrBase + reg, &v, 4);
        return v;
    }
    void start_and_wait(std::uint32_t what) {
        write_csr(hm::kControl, what);
        if (!acc_.done()) wait(acc_.done_event());
        if (read_csr(hm::kStatus) & hm::kStatusError)
            throw std::runtime_error("accelerator: " + acc_.error_message());
        write_csr(hm::kIrqStatus, 1);
    }

    // The program image goes over the host socket into program memory, then LOAD decodes
    // it on the chip (a malformed image: STATUS.ERROR and the chip's message).
    void load_image() {
        // Charged at the bytes the hardware stores (weights at their precision).
        transport(true, hm::kProgBase, image_.data(), image_.size(),
                  image::modelled_bytes(image::layout(image_.data(), image_.size())));
        write_csr(hm::kImageSize, static_cast<std::uint32_t>(image_.size()));
        tlm::tlm_generic_payload t;
        std::uint32_t v = hm::kCtrlLoad;
        tlmx::prepare(t, tlm::TLM_WRITE_COMMAND, hm::kCsrBase + hm::kControl, &v, 4);
        sc_time d = SC_ZERO_TIME;
        socket->b_transport(t, d);
        if (t.is_response_error()) throw std::runtime_error(acc_.error_message());  // the chip's own words
        wait(d);
    }

    void main() {
        try {
            load_image();
            // Program memory holds the image now (the chip fetches from there): the host's
            // copy (~0.9 MB for the demo) is freed for the programming that follows.
            std::vector<std::uint8_t>().swap(image_);
            const Program& p = *acc_.program();
            const int n = static_cast<int>(images_.rows());
            const int in_w = static_cast<int>(images_.cols()), out_w = p.output_width;
            const int in_bits = p.tensors.at(static_cast<std::size_t>(p.input_tensor)).bits;
            outputs.resize(n, out_w);

            // Weights of resident blocks: programmed once, reported apart from inference.
            const sc_time t_prog = sc_time_stamp();
            start_and_wait(hm::kCtrlSetup);
            programming_time_s = (sc_time_stamp() - t_prog).to_seconds();
            after_programming = report::collect(acc_);

            std::uint64_t in_addr = 0, out_addr = 0;
            const sc_time t0 = sc_time_stamp();
            int done = 0, current = -1;
            while (done < n) {
                // The first run carries one sample: its duration is the single-inference
                // latency. Later runs use full batches for throughput.
                const int b = done == 0 ? 1 : std::min(batch_, n - done);
                const sc_time ts = sc_time_stamp();
                if (b != current) {
                    write_csr(hm::kBatch, static_cast<std::uint32_t>(b));
                    current = b;
                    // A new batch size reallocates the tensors: their addresses move.
                    in_addr = read_csr(hm::kInputAddr);
                    out_addr = read_csr(hm::kOutputAddr);
                }
                transport(true, in_addr, const_cast<float*>(images_.data()) + static_cast<std::size_t>(done) * in_w,
                          static_cast<std::size_t>(b) * in_w * sizeof(float),
                          tlmx::bytes_at(static_cast<std::uint64_t>(b) * in_w, in_bits));
                start_and_wait(hm::kCtrlRun);
                transport(false, out_addr, outputs.data() + static_cast<std::size_t>(done) * out_w,
                          static_cast<std::size_t>(b) * out_w * sizeof(float));
                if (done == 0) latency_s = (sc_time_stamp() - ts).to_seconds();
                done += b;
                ++runs;
                if (progress_) progress_(done, n);
            }
            inference_time_s = (sc_time_stamp() - t0).to_seconds();
            finished = true;
        } catch (const std::exception& e) {
            error = e.what();
        }
    }

    Accelerator& acc_;
    std::vector<std::uint8_t> image_;
    const SampleMatrix& images_;
    int batch_;
    std::function<void(int, int)> progress_;
};

}  // namespace

double memory_budget(const Config& cfg) {
    if (cfg.sim.memory_budget > 0) return cfg.sim.memory_budget;
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string key;
        double kib = 0;
        if (ls >> key >> kib && key == "MemAvailable:" && kib > 0) return std::min(4e9, 0.5 * kib * 1024.0);
    }
    return 1e9;
}

double bytes_per_sample(const Config& /*cfg*/, const Program& p) {
    // Macro work buffers do not grow with the batch (MramMacro reads in chunks), so one
    // sample costs its tensors: float32, rows_per_sample x width each.
    double floats = 0;
    for (const TensorDecl& d : p.tensors) floats += static_cast<double>(d.rows_per_sample) * d.width;
    return floats * sizeof(float);
}

int choose_batch(const Config& cfg, const Program& p, int samples, const HostOptions& opt) {
    const int want = std::max(1, std::min(opt.max_batch > 0 ? opt.max_batch : cfg.sim.batch, samples));
    const double budget = opt.memory_budget_bytes > 0 ? opt.memory_budget_bytes : memory_budget(cfg);
    const double fit = budget / std::max(1.0, bytes_per_sample(cfg, p));
    return std::max(1, std::min(want, static_cast<int>(fit)));
}

report::MacroPeakSpec macro_peak_spec(const Config& cfg, const std::map<std::string, double>& macro_area_items) {
    report::MacroPeakSpec s;
    const int wb = std::max(1, cfg.macro.weight_bits);
    const int ib = std::max(1, cfg.periphery.input.bits);
    s.rows = phys::AnalogMacro::logical_rows(cfg, wb);
    s.cols_logical = phys::AnalogMacro::logical_cols(cfg, wb);
    s.weight_bits = wb;
    s.input_bits = ib;
    s.macro_area_items = macro_area_items;
    s.measure_full_mvm = [cfg, wb, ib, rows = s.rows, cols = s.cols_logical]() {
        // Random weights and 50 %-density inputs: the average data of the peak figure.
        // Its exact IR-drop transfer matrix is cached like the chip's (the same seed gives
        // the same conductances, so a repeated run skips this solve too).
        const phys::ScopedTransferStore cache(make_transfer_cache(cfg.sim));
        phys::AnalogMacro m(cfg, /*macro_id=*/1 << 20);
        phys::BlockSpec spec;
        spec.rows = rows;
        spec.cols = cols;
        spec.weight_bits = wb;
        spec.input_bits = ib;
        spec.input = ib == 1 ? InputEncoding::Binary
                             : (cfg.periphery.input.encoding == InputEncoding::Pwm ? InputEncoding::Pwm
                                                                                    : InputEncoding::BitSerial);
        spec.readout = cfg.periphery.readout;
        spec.threshold.assign(static_cast<std::size_t>(cols), 0.0f);
        phys::Rng rng = phys::Rng::derive(cfg.sim.seed, 1u << 20, "macro_peak");
        const int qmax = wb == 1 ? 1 : (1 << (wb - 1)) - 1;
        Eigen::MatrixXi w(rows, cols);
        for (int i = 0; i < rows; ++i)
            for (int j = 0; j < cols; ++j) {
                if (wb == 1) w(i, j) = rng.uniform() < 0.5 ? -1 : 1;
                else w(i, j) = static_cast<int>(std::floor(rng.uniform() * (2 * qmax + 1))) - qmax;
            }
        ActionCounter programming;
        m.program(w, spec, programming);
        const int vectors = 64;
        const int levels = (1 << ib) - 1;
        Eigen::MatrixXf x(vectors, rows);
        for (int v = 0; v < vectors; ++v)
            for (int i = 0; i < rows; ++i)
                x(v, i) = ib == 1 ? (rng.uniform() < 0.5 ? 0.0f : 1.0f)
                                  : static_cast<float>(std::floor(rng.uniform() * (levels + 1)));
        report::MacroMvmCost cost;
        const phys::MvmResult r = m.mvm(x, cost.actions);
        cost.latency_s = r.latency_s;
        cost.vectors = vectors;
        return cost;
    };
    return s;
}

HostOutcome run_program(const Config& cfg, const Program& program, const SampleMatrix& inputs,
                        const HostOptions& opt) {
    const int n = static_cast<int>(inputs.rows());
    if (n == 0) throw std::runtime_error("the dataset selection is empty");
    if (inputs.cols() != program.input_width)
        throw std::runtime_error("dataset samples have " + std::to_string(inputs.cols()) +
                                 " values but the model input has " + std::to_string(program.input_width));
    const int batch = choose_batch(cfg, program, n, opt);
    // Exact IR-drop transfer matrices computed by earlier runs are reused (TransferCache.h).
    const phys::ScopedTransferStore cache(make_transfer_cache(cfg.sim));

    // The platform owns the quantum (TLM-2.0 rule): the chip model never sets it.
    tlm::tlm_global_quantum::instance().set(tlmx::seconds(cfg.sim.quantum));
    auto acc = std::make_unique<Accelerator>("chip", cfg);
    auto host = std::make_unique<HostDriver>("host", *acc, acc->image_of(program), inputs, batch, opt.progress);
    host->socket.bind(acc->host);
    std::shared_ptr<report::VcdWriter> vcd;
    if (!opt.vcd_path.empty()) {
        vcd = std::make_shared<report::VcdWriter>(report::derive_tech(cfg), cfg.sim.power_window);
        acc->set_trace(vcd.get());
        if (!opt.vcd_all_macros) hide_unmapped_macros(*vcd, *acc, program);
        vcd->start_unknown("layer");   // TileController's layer id: x until the first layer
    }
    sc_start();
    if (!host->error.empty()) throw std::runtime_error(host->error);
    // No events left while the host still waits: tiles wait on each other (a deadlock).
    if (!host->finished)
        throw std::runtime_error("simulation stalled after " + std::to_string(host->runs) +
                                 " runs: the accelerator never finished (its tiles wait on each other)");

    HostOutcome out;
    out.outputs = std::move(host->outputs);
    out.batch = batch;
    out.runs = host->runs;
    out.programming_time_s = host->programming_time_s;
    out.inference_time_s = host->inference_time_s;
    out.latency_s = host->latency_s;
    out.after_programming = host->after_programming;
    out.end_of_run = report::collect(*acc);
    out.trace = vcd;
    if (vcd) {
        set_trace_leakage(*vcd, cfg, out.end_of_run);
        out.trace_view = trace_view(*acc, program);
    }
    out.trace_end_ps = static_cast<std::uint64_t>(sc_time_stamp().value());
    out.macro_area_items = acc->macro(0, 0).area_items();
    return out;
}

}  // namespace sotsim::host
