// sotsim_vp: a small SystemC virtual platform around the sotsim accelerator.
//
//   cpu (Cpu: traffic generator, quantum keeper) --> bus (Bus: address decode)
//        ^                                            |-- 0x0000_0000 dram (Memory)
//        | irq (sc_signal<bool>)                      '-- 0x4000_0000 chip (sotsim::Accelerator)
//        '---------------------------------------------------- chip.irq
//
// The boot loader (below, before sc_start) puts a pre-compiled program image and N MNIST
// test digits into DRAM; the CPU loads the image into the accelerator over the bus, writes
// the digits, starts, waits for the interrupt and reads the scores. Prints one line per
// digit and, with --out, writes sample,label,prediction as CSV.
// Bad input: one line on stderr, exit 2. A failed run: exit 1.
#include <systemc>
#include <tlm>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "Bus.h"
#include "Cpu.h"
#include "Memory.h"
#include "VpMap.h"
#include "platform/accelerator/Accelerator.h"
#include "platform/config/ConfigLoader.h"

namespace {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string config, image, mnist, out;
    int digits = 10, batch = 0;
};

const char* kUsage =
    "usage: sotsim_vp --config PRESET.yaml --image PROGRAM.img --mnist DIR [--digits N] [--batch B] [--out CSV]\n"
    "  PROGRAM.img  from: sotsim compile -c PRESET -w MODEL --image PROGRAM.img (same preset)\n"
    "  DIR          holds t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (the first N digits are run)\n"
    "  B            digits per accelerator run (default sim.batch of the preset)\n"
    "  installed presets: " SOTSIM_DATA_DIR "/configs\n";

int to_int(const std::string& flag, const std::string& v) {
    std::size_t used = 0;
    int n = 0;
    try {
        n = std::stoi(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || n < 1) throw UsageError(flag + ": expected a positive integer, got '" + v + "'");
    return n;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f == "--help" || f == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (i + 1 >= argc) throw UsageError(f + ": missing value (see --help)");
        const std::string v = argv[++i];
        if (f == "--config") a.config = v;
        else if (f == "--image") a.image = v;
        else if (f == "--mnist") a.mnist = v;
        else if (f == "--out") a.out = v;
        else if (f == "--digits") a.digits = to_int(f, v);
        else if (f == "--batch") a.batch = to_int(f, v);
        else throw UsageError("unknown option " + f + " (see --help)");
    }
    if (a.config.empty() || a.image.empty() || a.mnist.empty())
        throw UsageError("--config, --image and --mnist are required (see --help)");
    return a;
}

std::vector<unsigned char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(path + ": cannot open");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// An IDX file (the MNIST distribution format): big-endian magic 0x000008<dims>, the
// dimensions, then unsigned bytes. Returns the payload of the first `count` items.
std::vector<unsigned char> read_idx(const std::string& path, int dims, int count, int* item_bytes) {
    const auto b = read_file(path);
    const std::size_t header = 4 + 4 * static_cast<std::size_t>(dims);
    if (b.size() < header || be32(b, 0) != 0x800u + static_cast<std::uint32_t>(dims))
        throw UsageError(path + ": offset 0: not an IDX file of " + std::to_string(dims) + " dimension(s)");
    std::uint64_t item = 1;
    for (int d = 1; d < dims; ++d) item *= be32(b, 4 + 4 * static_cast<std::size_t>(d));
    const std::uint32_t items = be32(b, 4);
    if (static_cast<std::uint64_t>(count) > items)
        throw UsageError(path + ": holds " + std::to_string(items) + " items, " + std::to_string(count) + " asked for");
    if (b.size() < header + item * items) throw UsageError(path + ": truncated");
    *item_bytes = static_cast<int>(item);
    return {b.begin() + static_cast<std::ptrdiff_t>(header),
            b.begin() + static_cast<std::ptrdiff_t>(header + item * static_cast<std::uint64_t>(count))};
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

int sc_main(int argc, char** argv) {
    Args a;
    sotsim::Config cfg;
    std::vector<unsigned char> image, pixels, labels;
    int pixel_count = 0;
    try {
        a = parse(argc, argv);
        cfg = sotsim::config::load_config(a.config);  // one-line errors of its own
        image = read_file(a.image);
        pixels = read_idx(a.mnist + "/t10k-images-idx3-ubyte", 3, a.digits, &pixel_count);
        int one = 0;
        labels = read_idx(a.mnist + "/t10k-labels-idx1-ubyte", 1, a.digits, &one);
    } catch (const std::exception& e) {
        std::cerr << "sotsim_vp: " << e.what() << "\n";
        return 2;
    }

    // Boot loader: image, pixels and labels one after the other in DRAM, 4 KiB aligned.
    BootInfo boot;
    boot.image_addr = vp_map::kDramBase;
    boot.image_bytes = image.size();
    boot.pixels_addr = boot.image_addr + round_up(image.size(), 4096);
    boot.labels_addr = boot.pixels_addr + round_up(pixels.size(), 4096);
    boot.digits = a.digits;
    boot.pixels = pixel_count;
    boot.batch = a.batch > 0 ? a.batch : std::max(1, cfg.sim.batch);
    const std::uint64_t dram_bytes = round_up(boot.labels_addr - vp_map::kDramBase + labels.size(), 4096);

    // The platform owns the TLM global quantum (the chip never sets it): the preset's.
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(cfg.sim.quantum, sc_core::SC_SEC));
    Cpu cpu("cpu", boot);
    Bus bus("bus", sc_core::sc_time(1, sc_core::SC_NS));
    Memory dram("dram", dram_bytes, sc_core::sc_time(50, sc_core::SC_NS));
    sotsim::Accelerator chip("chip", cfg);
    sc_core::sc_signal<bool> irq("irq");
    cpu.bus.bind(bus.cpu);
    bus.targets.bind(dram.socket);
    bus.targets.bind(chip.host);
    bus.map(0, vp_map::kDramBase, dram_bytes, "dram");
    bus.map(1, vp_map::kAccBase, vp_map::kAccSize, "accelerator");
    chip.irq.bind(irq);
    cpu.irq.bind(irq);
    std::memcpy(dram.data() + (boot.image_addr - vp_map::kDramBase), image.data(), image.size());
    std::memcpy(dram.data() + (boot.pixels_addr - vp_map::kDramBase), pixels.data(), pixels.size());
    std::memcpy(dram.data() + (boot.labels_addr - vp_map::kDramBase), labels.data(), labels.size());

    sc_core::sc_start();
    if (!cpu.error.empty()) {
        std::cerr << "sotsim_vp: " << cpu.error;
        if (chip.failed()) std::cerr << ": " << chip.error_message();
        std::cerr << "\n";
        return 1;
    }
    int correct = 0;
    std::string csv = "sample,label,prediction\n";
    for (std::size_t i = 0; i < cpu.predictions.size(); ++i) {
        std::cout << "digit " << i << ": label " << cpu.labels[i] << ", predicted " << cpu.predictions[i] << "\n";
        csv += std::to_string(i) + "," + std::to_string(cpu.labels[i]) + "," + std::to_string(cpu.predictions[i]) + "\n";
        correct += cpu.labels[i] == cpu.predictions[i];
    }
    std::printf("%d/%d correct; setup %.3f us, inference %.3f us (simulated, %d digits per run)\n", correct,
                static_cast<int>(cpu.predictions.size()), cpu.setup_time.to_seconds() * 1e6,
                cpu.inference_time.to_seconds() * 1e6, boot.batch);
    if (!a.out.empty()) {
        std::ofstream f(a.out);
        if (!(f << csv)) {
            std::cerr << "sotsim_vp: " << a.out << ": cannot write\n";
            return 2;
        }
    }
    return 0;
}
