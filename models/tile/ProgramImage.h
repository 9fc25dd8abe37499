// Program image: the serialized, versioned binary form of a compiled Program that a host
// writes into the accelerator's program memory (docs/program-image.md has the byte layout).
//
// Little endian, every field 32 bits wide (records are arrays of u32/i32/f32 words), every
// section 4-byte aligned and every block's weights 4 KiB aligned from the image start, so
// the image is placed in program memory verbatim: a tile fetches instruction records and
// weight blocks at kProgBase + their image offset. encode() is canonical (one Program, one
// byte string) and decode(encode(p)) == p field for field, so a run from an image file is
// the run of the program that wrote it.
//
// The record structs below ARE the field list of the documented layout: static_asserts pin
// their sizes and offsets, so a field added without bumping the version fails to compile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/tile/Program.h"

namespace sotsim::image {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the program image is stored little endian by memcpy");

inline constexpr std::uint32_t kMagic = 0x494D4953;  // "SIMI" read as bytes: 'S' 'I' 'M' 'I'
// 2.0: BlockRecord gained input_slice_bits (PWM input slicing). 2.1: uniform-vector flags.
// 2.2: BlockRecord.readout bits 8-15 carry the analog-accumulation role (older images read as none).
// 2.3: InstrRecord.flags bit 4, multicast Load (group in `peer`, member count in `levels`).
// 2.4: activation kind 9 (ActKind::SignBinary, a +-1 comparator).
// 3.0: StreamRecord gained step_samples (samples per pass of a time-multiplexed pipeline stage).
// 3.1: tensor location 3 (Location::Port, a Load's stream into the digital unit) and opcode 16
// (OpCode::Round, a round of a time-multiplexed layer), which a 3.0 reader's range checks refuse.
inline constexpr std::uint16_t kVersionMajor = 3, kVersionMinor = 1;
inline constexpr std::uint32_t kWeightAlign = 4096;

// Sections, always all present and in this order.
enum Section : std::uint32_t { kStrings = 1, kTensors, kLayers, kBlocks, kParams, kStreams, kCode, kWeights };
inline constexpr std::uint32_t kSectionCount = 8;

struct Header {                     // at offset 0
    std::uint32_t magic;
    std::uint16_t version_major, version_minor;
    std::uint32_t header_bytes;     // sizeof(Header) + sections * sizeof(SectionEntry)
    std::uint32_t total_bytes;      // the whole image
    std::uint32_t checksum;         // FNV-1a 32 of the image with this field zero
    std::uint32_t flags;            // bit0: Program::streamed
    std::int32_t input_tensor, output_tensor, input_width, output_width;
    std::uint32_t chip_tiles, tile_macros;     // the chip it was compiled for
    std::uint32_t tile_streams, setup_streams; // sizes of Program::tile_code / setup_code
    std::uint32_t sections;         // kSectionCount
};
static_assert(sizeof(Header) == 60 && offsetof(Header, checksum) == 16 && offsetof(Header, sections) == 56,
              "Header layout is documented in docs/program-image.md");

struct SectionEntry {
    std::uint32_t kind, offset, bytes, count;  // offset from the image start; count of records
};
static_assert(sizeof(SectionEntry) == 16, "SectionEntry layout is documented");

struct TensorRecord {
    std::uint32_t name;             // offset into the string section
    std::uint32_t where;            // Location
    std::int32_t tile, rows_per_sample, width, bits;
};
static_assert(sizeof(TensorRecord) == 24, "TensorRecord layout is documented");

struct LayerRecord {
    std::uint32_t name, kind;       // string offsets
    std::uint32_t macs_lo, macs_hi; // macs_per_sample, 64 bits
    std::int32_t weight_bits, input_bits, blocks, rewrites;
};
static_assert(sizeof(LayerRecord) == 32, "LayerRecord layout is documented");

struct BlockRecord {
    std::int32_t layer, tile, macro, rows, cols, weight_bits;
    std::uint32_t input;            // InputEncoding
    std::int32_t input_bits;
    std::uint32_t readout;          // bits 0-7 ReadoutKind, bits 8-15 AnalogSum role (2.2; 0 before)
    float neuron_gain;
    std::uint32_t threshold_first, threshold_count;  // float words in the parameter section
    std::uint32_t weights_offset, weights_bytes;     // int32 row-major rows x cols, image offset
    std::int32_t input_slice_bits;  // PWM bits per pulse (0: the whole input in one pulse)
};
static_assert(sizeof(BlockRecord) == 60 && offsetof(BlockRecord, weights_offset) == 48 &&
                  offsetof(BlockRecord, input_slice_bits) == 56,
              "BlockRecord layout is documented");

struct StreamRecord {               // one per tile: instruction index ranges in the code section
    std::uint32_t setup_first, setup_count, code_first, code_count;
    std::uint32_t step_samples;     // samples per pass of a streamed program (Program::step_samples; >= 1)
};
static_assert(sizeof(StreamRecord) == 20, "StreamRecord layout is documented");

// One instruction: a fixed 33-word record (every Instr field, so any compiler's program
// round-trips exactly). Per-column Affine parameters live in the parameter section.
struct InstrRecord {
    // OpCode, ActKind; flags bit0 accumulate, bit1 pool_max, bit2 / bit3 (1.1): vscale / vbias
    // uniform -- one stored value stands for all `count` (bitwise equal) values; bit4 (2.3):
    // multicast Load
    std::uint8_t op, act, flags, reserved;
    std::int32_t src, src2, dst, macro, block, r0, rows, c0, cols, src_c0;
    float scale, lo, hi;
    std::int32_t levels, layer, peer;
    std::uint32_t vscale_first, vscale_count, vbias_first, vbias_count;
    std::int32_t c, h, w, kh, kw, stride_h, stride_w, pad_t, pad_l, pad_b, pad_r;  // ConvGeom
    float pad_value;
};
inline constexpr std::uint32_t kInstrWords = 33;
static_assert(sizeof(InstrRecord) == kInstrWords * 4 && offsetof(InstrRecord, src) == 4 &&
                  offsetof(InstrRecord, scale) == 44 && offsetof(InstrRecord, vscale_first) == 68 &&
                  offsetof(InstrRecord, c) == 84 && offsetof(InstrRecord, pad_value) == 128,
              "InstrRecord layout is documented in docs/program-image.md");
static_assert(static_cast<int>(OpCode::Round) == 16 && static_cast<int>(ActKind::SignBinary) == 9 &&
                  static_cast<int>(Location::Port) == 3,
              "opcode / activation numbering is part of the image format: bump the version");

// A malformed image: what is wrong and at which byte offset.
class ImageError : public std::runtime_error {
public:
    ImageError(std::uint64_t offset, const std::string& what);
    std::uint64_t offset() const { return offset_; }

private:
    std::uint64_t offset_;
};

// The chip an image is compiled for (checked when it is loaded).
struct Target {
    int tiles = 0, macros_per_tile = 0;
};

std::vector<std::uint8_t> encode(const Program& p, const Target& target);
// Throws ImageError naming the offset and the problem; never reads outside [data, data+n).
Program decode(const std::uint8_t* data, std::size_t n, Target* target = nullptr);

// Where things are in a valid image (decode() has checked it, or encode() made it): for
// fetching from memory. Checks the header and section table, not the checksum.
struct Layout {
    std::uint32_t code_offset = 0;                   // first instruction record
    std::uint32_t params_offset = 0, params_count = 0;  // f32 parameter section
    std::vector<StreamRecord> streams;               // per tile
    std::uint32_t tables_bytes = 0;                  // header .. end of code (before the weights)
    std::vector<std::uint32_t> block_offsets;        // weights of each block
    std::vector<std::uint32_t> block_values;         // rows x cols
    std::vector<int> block_weight_bits;
};
Layout layout(const std::uint8_t* data, std::size_t n);
// Bytes the hardware stores and moves for the image: tables and instructions byte for
// byte, each weight block at its weight precision (the image holds int32 words only for
// the functional model). Program memory's area and the host's image write use it.
std::uint64_t modelled_bytes(const Layout& l);

// One instruction record <-> Instr (the parameter section supplies vscale / vbias).
Instr decode_instr(const InstrRecord& r, const float* params, std::size_t n_params);
// The record's own fields, checked; vscale / vbias left empty (a fetch unit reads their
// parameter ranges separately). Throws ImageError with the offset inside the record.
Instr decode_instr_fields(const InstrRecord& r);
// Parameter words the record stores for vscale (bias false) or vbias: 1 for a uniform vector.
std::uint32_t stored_params(const InstrRecord& r, bool bias);
// Repeat a uniform vector's stored value to its count (after reading the stored words).
void expand_params(const InstrRecord& r, Instr& in);

std::uint32_t fnv1a(const std::uint8_t* data, std::size_t n, std::size_t skip_at = SIZE_MAX);

}  // namespace sotsim::image
