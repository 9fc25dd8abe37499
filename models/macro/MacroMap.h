// Memory map of one MramMacro target (socket `cfg`). All registers are 32-bit little
// endian, accessed with exactly 4-byte aligned transactions. See docs/memory-map.md.
//
//   0x000_0000  CSRs (0x1000 bytes)
//   0x010_0000  weight window: the programmed block as int32, row-major, rows x cols
//               (stride = block cols). WRITE = program a block: offset 0, data_length =
//               rows*cols*4, and a BlockSpecExtension describing the block (encoding,
//               input bits, readout, thresholds). Programming goes through the SOT write
//               drivers (physics: pulses, optional verify). READ = stored logical states
//               (what a verify read returns, including write errors).
//   0x100_0000  input window (write only): a burst of `batch` input vectors, float32,
//               batch x ACTIVE_ROWS row-major; batch = data_length / (4*ACTIVE_ROWS).
//               The write starts the MVM; its annotated delay ends when results are ready.
//   0x200_0000  output window (read only): results of the last MVM, float32,
//               batch x ACTIVE_COLS row-major (value domain: see physics/AnalogMacro.h).
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>

#include "models/physics/AnalogMacro.h"

namespace sotsim::macro_map {

inline constexpr std::uint64_t kCsrBase = 0x0000000;
inline constexpr std::uint64_t kCsrSize = 0x1000;
inline constexpr std::uint64_t kWeightBase = 0x0100000;
inline constexpr std::uint64_t kWeightSize = 0x0F00000;
inline constexpr std::uint64_t kInputBase = 0x1000000;
inline constexpr std::uint64_t kInputSize = 0x1000000;
inline constexpr std::uint64_t kOutputBase = 0x2000000;
inline constexpr std::uint64_t kOutputSize = 0x1000000;
inline constexpr std::uint64_t kMacroSpan = 0x4000000;   // address space of one macro

// CSR offsets
inline constexpr std::uint32_t kId = 0x00;            // RO  0x4D52414D ("MRAM")
inline constexpr std::uint32_t kRows = 0x04;          // RO  physical rows
inline constexpr std::uint32_t kCols = 0x08;          // RO  physical columns
inline constexpr std::uint32_t kActiveRows = 0x0C;    // RW  rows driven (1..block rows); inputs beyond are 0
inline constexpr std::uint32_t kActiveCols = 0x10;    // RW  columns returned (1..block cols)
inline constexpr std::uint32_t kInputBits = 0x14;     // RO  input bits of the programmed block
inline constexpr std::uint32_t kReadout = 0x18;       // RO  ReadoutKind of the block (0 adc,1 sa,2 tdc,3 neuron)
inline constexpr std::uint32_t kBatch = 0x1C;         // RO  vectors in the last MVM
inline constexpr std::uint32_t kStatus = 0x20;        // RO  bit0 programmed, bit1 busy, bit2 error
inline constexpr std::uint32_t kWriteFailures = 0x24; // RO  cells left wrong after the last program
inline constexpr std::uint32_t kErrorCount = 0x28;    // RO  transactions answered with an error
inline constexpr std::uint32_t kMvmCount = 0x2C;      // RO  MVM transactions (low 32 bits)
inline constexpr std::uint32_t kControl = 0x30;       // WO  bit0: clear error counters and error flag
inline constexpr std::uint32_t kIdValue = 0x4D52414D;

inline constexpr std::uint32_t kStatusProgrammed = 1u << 0;
inline constexpr std::uint32_t kStatusBusy = 1u << 1;
inline constexpr std::uint32_t kStatusError = 1u << 2;

// Block description that accompanies a weight-window write (the weights themselves are
// in the payload's data as int32). The pointer must stay valid during b_transport.
//
// Deferred programming (simulation scheduling, not a bus feature): an initiator that
// programs several macros before it uses any sets `defer`. The macro then answers at once
// after the write and starts its transfer-matrix solve (AnalogMacro::begin_program), and
// sets `finish`; the initiator calls it before its next use of the macro's time or results
// (at the latest before anything but another program). finish() completes the program as
// the undeferred write would have -- same booking at the write's arrival, same counts --
// and returns false if that write would have been answered with an error; `end` is when
// the program ends (the undeferred write's annotated end); `earliest_end` bounds it from
// below (the write alone). The macro finishes a deferred program itself before any other
// access to it.
struct BlockSpecExtension : tlm::tlm_extension<BlockSpecExtension> {
    const phys::BlockSpec* spec = nullptr;
    bool defer = false;
    std::function<bool(sc_core::sc_time& end)> finish;
    sc_core::sc_time earliest_end;
    explicit BlockSpecExtension(const phys::BlockSpec* s = nullptr, bool d = false) : spec(s), defer(d) {}
    tlm::tlm_extension_base* clone() const override {
        auto* e = new BlockSpecExtension(spec, defer);
        e->finish = finish;
        e->earliest_end = earliest_end;
        return e;
    }
    void copy_from(const tlm::tlm_extension_base& e) override {
        const auto& o = static_cast<const BlockSpecExtension&>(e);
        spec = o.spec;
        defer = o.defer;
        finish = o.finish;
        earliest_end = o.earliest_end;
    }
};

// Analog accumulation across row blocks: the partial sums already on the PE's summing node
// (batch x ACTIVE_COLS, float32 row-major, integer units), attached to the input-window
// write that starts the MVM of a block whose spec says AnalogSum::Final. The macro adds
// its own block's transfer to them before its single sense-amp / neuron decision. The
// pointer must stay valid during b_transport.
struct AnalogSumExtension : tlm::tlm_extension<AnalogSumExtension> {
    const float* sums = nullptr;
    explicit AnalogSumExtension(const float* s = nullptr) : sums(s) {}
    tlm::tlm_extension_base* clone() const override { return new AnalogSumExtension(sums); }
    void copy_from(const tlm::tlm_extension_base& e) override { sums = static_cast<const AnalogSumExtension&>(e).sums; }
};

// Inputs produced on demand (simulation memory, not a bus feature): an input-window write
// may carry, in place of its data, `fill(v0, nv, out)`, which writes vectors [v0, v0 + nv) of
// the burst (row-major, ACTIVE_ROWS floats each) into `out`. The macro then reads the burst
// through it, a block of vectors at a time, so a long burst (the im2col rows of a whole
// batch, up to the window's 16 MB) never has to exist whole: it is written and read in
// cache. The data length still gives the burst's size; the data pointer is not read. Same
// values, counts and timing as the data it stands for. Valid during b_transport.
struct InputSourceExtension : tlm::tlm_extension<InputSourceExtension> {
    std::function<void(std::int64_t v0, std::int64_t nv, float* out)> fill;
    InputSourceExtension() = default;
    explicit InputSourceExtension(std::function<void(std::int64_t, std::int64_t, float*)> f) : fill(std::move(f)) {}
    tlm::tlm_extension_base* clone() const override { return new InputSourceExtension(fill); }
    void copy_from(const tlm::tlm_extension_base& e) override { fill = static_cast<const InputSourceExtension&>(e).fill; }
};

// Outputs read in place (simulation memory, not a bus feature): an output-window read may
// carry this extension; the macro then sets `rows` to its output registers at the read's
// offset (row-major, the read's length) instead of copying them to the data pointer. Valid
// until the macro's next transaction. Same counts and timing as the copy it stands for: the
// tile scatters the outputs into its tensor from there (a long burst's outputs, up to the
// window's 16 MB, were copied once through memory before the scatter read them again).
struct OutputViewExtension : tlm::tlm_extension<OutputViewExtension> {
    const float* rows = nullptr;
    tlm::tlm_extension_base* clone() const override {
        auto* e = new OutputViewExtension;
        e->rows = rows;
        return e;
    }
    void copy_from(const tlm::tlm_extension_base& e) override { rows = static_cast<const OutputViewExtension&>(e).rows; }
};

// Reads ahead (simulation speed, not a bus feature): a one-vector input-window write of a
// streamed program may carry `ahead(max, out)`, which writes the inputs of up to `max`
// later one-vector writes to this macro, as far as the initiator knows them now
// (row-major, ACTIVE_ROWS floats each), into `out` and returns how many it wrote. The macro
// may then read them together with this vector in one physics call and answer the later
// writes from those reads when their data is the same, bit for bit; each write is still
// counted, timed and answered as on its own (AnalogMacro::read_cost), so no figure
// changes. Called at most once, during b_transport.
struct LookaheadExtension : tlm::tlm_extension<LookaheadExtension> {
    std::function<int(int max, float* out)> ahead;
    LookaheadExtension() = default;
    explicit LookaheadExtension(std::function<int(int, float*)> f) : ahead(std::move(f)) {}
    tlm::tlm_extension_base* clone() const override { return new LookaheadExtension(ahead); }
    void copy_from(const tlm::tlm_extension_base& e) override { ahead = static_cast<const LookaheadExtension&>(e).ahead; }
};

}  // namespace sotsim::macro_map
