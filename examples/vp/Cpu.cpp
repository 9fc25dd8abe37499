#include "Cpu.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "VpMap.h"
#include "models/common/Payload.h"    // tlmx::prepare: the generic-payload set-up every sotsim initiator uses
#include "models/common/TlmUtil.h"    // tlmx::TrafficExtension, bytes_at
#include "platform/accelerator/HostMap.h"

using namespace sc_core;
namespace hm = sotsim::host_map;

Cpu::Cpu(sc_module_name name, BootInfo boot) : sc_module(name), bus("bus"), irq("irq"), boot_(boot) {
    SC_THREAD(main);
}

// One blocking access at the CPU's local time. `modelled_bytes` > 0: the data is held as
// float32 but the hardware moves it at its modelled width (8-bit pixels), which is what the
// accelerator charges its bus and buffers for (sotsim's TrafficExtension).
void Cpu::transfer(bool write, std::uint64_t addr, void* data, std::size_t bytes, std::uint64_t modelled_bytes) {
    tlm::tlm_generic_payload t;
    sotsim::tlmx::prepare(t, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, bytes);
    if (modelled_bytes > 0) t.set_extension(new sotsim::tlmx::TrafficExtension(modelled_bytes));
    sc_time delay = qk_.get_local_time();
    bus->b_transport(t, delay);
    qk_.set(delay);
    if (!t.is_response_ok()) {
        char where[32];
        std::snprintf(where, sizeof where, "0x%llx", static_cast<unsigned long long>(addr));
        throw std::runtime_error(std::string(write ? "write" : "read") + " at " + where + " failed: " +
                                 t.get_response_string());
    }
    if (qk_.need_sync()) qk_.sync();
}

std::uint32_t Cpu::read_csr(std::uint32_t reg) {
    std::uint32_t v = 0;
    transfer(false, vp_map::kAccBase + hm::kCsrBase + reg, &v, 4);
    return v;
}

void Cpu::write_csr(std::uint32_t reg, std::uint32_t v) { transfer(true, vp_map::kAccBase + hm::kCsrBase + reg, &v, 4); }

// The accelerator raises IRQ when a command finished (IRQ_ENABLE.DONE is set). The CPU
// first catches up with the kernel (its local time may be ahead), then sleeps on the line.
void Cpu::wait_irq() {
    qk_.sync();
    while (!irq.read()) wait(irq.posedge_event());
    write_csr(hm::kIrqStatus, 1);  // acknowledge: the line drops in the next delta cycle
    qk_.sync();
    while (irq.read()) wait(irq.negedge_event());
}

void Cpu::command(std::uint32_t control, const char* what) {
    write_csr(hm::kControl, control);
    wait_irq();
    if (read_csr(hm::kStatus) & hm::kStatusError) throw std::runtime_error(std::string(what) + " failed (STATUS.ERROR)");
}

// DRAM -> accelerator in bursts through a CPU-side buffer (a memcpy loop on a real core).
void Cpu::copy_to_accelerator(std::uint64_t from, std::uint64_t to, std::uint64_t bytes) {
    constexpr std::uint64_t kBurst = 64 * 1024;
    std::vector<unsigned char> buf(kBurst);
    for (std::uint64_t off = 0; off < bytes; off += kBurst) {
        const std::size_t n = static_cast<std::size_t>(std::min(kBurst, bytes - off));
        transfer(false, from + off, buf.data(), n);
        transfer(true, to + off, buf.data(), n);
    }
}

void Cpu::main() {
    qk_.reset();  // the next sync point from the global quantum sc_main set
    try {
        if (read_csr(hm::kId) != hm::kIdValue) throw std::runtime_error("no sotsim accelerator at the mapped address");
        // 1. The pre-compiled program image into program memory, then LOAD decodes it.
        const sc_time t_load = sc_time_stamp() + qk_.get_local_time();
        copy_to_accelerator(boot_.image_addr, vp_map::kAccBase + hm::kProgBase, boot_.image_bytes);
        write_csr(hm::kImageSize, static_cast<std::uint32_t>(boot_.image_bytes));
        write_csr(hm::kControl, hm::kCtrlLoad);  // answered with an error if the image is rejected
        // 2. SETUP programs the resident weights; the interrupt says when it is done.
        write_csr(hm::kIrqEnable, 1);
        command(hm::kCtrlSetup, "SETUP");
        setup_time = sc_time_stamp() - t_load;

        const std::uint32_t in_w = read_csr(hm::kInputWidth), out_w = read_csr(hm::kOutputWidth);
        if (in_w != static_cast<std::uint32_t>(boot_.pixels))
            throw std::runtime_error("the program takes " + std::to_string(in_w) + " inputs per sample, a digit has " +
                                     std::to_string(boot_.pixels) + " pixels");
        labels.resize(static_cast<std::size_t>(boot_.digits));
        predictions.reserve(labels.size());

        // 3. Per batch: pixels from DRAM, scaled to [0, 1] (byte / 255 in float32, as the
        //    network was trained), into the input tensor; RUN; IRQ; scores back; argmax.
        const sc_time t0 = sc_time_stamp();
        std::vector<unsigned char> px;
        std::vector<float> x, y;
        int current = 0;
        std::uint64_t in_addr = 0, out_addr = 0;
        for (int done = 0; done < boot_.digits;) {
            const int b = std::min(boot_.batch, boot_.digits - done);
            if (b != current) {  // BATCH reallocates the tensors: their addresses move
                write_csr(hm::kBatch, static_cast<std::uint32_t>(b));
                in_addr = vp_map::kAccBase + read_csr(hm::kInputAddr);
                out_addr = vp_map::kAccBase + read_csr(hm::kOutputAddr);
                current = b;
            }
            const std::size_t n = static_cast<std::size_t>(b) * in_w;
            px.resize(n);
            transfer(false, boot_.pixels_addr + static_cast<std::uint64_t>(done) * in_w, px.data(), n);
            x.resize(n);
            for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(px[i]) / 255.0f;
            transfer(true, in_addr, x.data(), n * sizeof(float), sotsim::tlmx::bytes_at(n, 8));
            command(hm::kCtrlRun, "RUN");
            y.resize(static_cast<std::size_t>(b) * out_w);
            transfer(false, out_addr, y.data(), y.size() * sizeof(float));
            for (int s = 0; s < b; ++s) {
                const float* row = y.data() + static_cast<std::size_t>(s) * out_w;
                predictions.push_back(static_cast<int>(std::max_element(row, row + out_w) - row));  // first maximum
            }
            done += b;
        }
        std::vector<unsigned char> lab(labels.size());
        transfer(false, boot_.labels_addr, lab.data(), lab.size());
        std::copy(lab.begin(), lab.end(), labels.begin());
        qk_.sync();
        inference_time = sc_time_stamp() - t0;
    } catch (const std::exception& e) {
        error = e.what();
    }
}
