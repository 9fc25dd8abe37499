#include "models/tile/ProgramImage.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

namespace sotsim::image {

namespace {

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

// ---- writing ---------------------------------------------------------------------------------
class Writer {
public:
    std::uint32_t string(const std::string& s) {
        auto it = strings_.find(s);
        if (it != strings_.end()) return it->second;
        const auto off = static_cast<std::uint32_t>(pool_.size());
        pool_.insert(pool_.end(), s.begin(), s.end());
        pool_.push_back('\0');
        strings_.emplace(s, off);
        return off;
    }
    std::uint32_t params(const std::vector<float>& v) {
        const auto first = static_cast<std::uint32_t>(params_.size());
        params_.insert(params_.end(), v.begin(), v.end());
        return first;
    }
    // A vector of bitwise-equal values (a per-tensor scale the compiler spread over the
    // columns) is stored once: decoding repeats it, so the round trip stays exact.
    static bool uniform(const std::vector<float>& v) {
        for (const float& x : v)
            if (std::memcmp(&x, &v.front(), sizeof x) != 0) return false;
        return v.size() > 1;
    }
    std::uint32_t params_packed(const std::vector<float>& v, bool packed) {
        return packed ? params(std::vector<float>{v.front()}) : params(v);
    }
    std::vector<char> pool_;
    std::vector<float> params_;

private:
    std::map<std::string, std::uint32_t> strings_;
};

std::uint32_t u32(std::size_t v, const char* what) {
    if (v > std::numeric_limits<std::uint32_t>::max())
        throw std::runtime_error(std::string("program image: ") + what + " does not fit 32 bits");
    return static_cast<std::uint32_t>(v);
}

InstrRecord encode_instr(const Instr& in, Writer& w) {
    InstrRecord r{};
    r.op = static_cast<std::uint8_t>(in.op);
    r.act = static_cast<std::uint8_t>(in.act);
    const bool us = Writer::uniform(in.vscale), ub = Writer::uniform(in.vbias);
    r.flags = static_cast<std::uint8_t>((in.accumulate ? 1u : 0u) | (in.pool_max ? 2u : 0u) | (us ? 4u : 0u) | (ub ? 8u : 0u) |
                                       (in.multicast ? 16u : 0u));
    r.src = in.src, r.src2 = in.src2, r.dst = in.dst, r.macro = in.macro, r.block = in.block;
    r.r0 = in.r0, r.rows = in.rows, r.c0 = in.c0, r.cols = in.cols, r.src_c0 = in.src_c0;
    r.scale = in.scale, r.lo = in.lo, r.hi = in.hi;
    r.levels = in.levels, r.layer = in.layer, r.peer = in.peer;
    r.vscale_count = u32(in.vscale.size(), "an Affine scale vector");
    r.vscale_first = in.vscale.empty() ? 0 : w.params_packed(in.vscale, us);
    r.vbias_count = u32(in.vbias.size(), "an Affine bias vector");
    r.vbias_first = in.vbias.empty() ? 0 : w.params_packed(in.vbias, ub);
    const ConvGeom& g = in.geom;
    r.c = g.c, r.h = g.h, r.w = g.w, r.kh = g.kh, r.kw = g.kw, r.stride_h = g.stride_h, r.stride_w = g.stride_w;
    r.pad_t = g.pad_t, r.pad_l = g.pad_l, r.pad_b = g.pad_b, r.pad_r = g.pad_r;
    r.pad_value = g.pad_value;
    return r;
}

template <class T>
void append(std::vector<std::uint8_t>& out, const T& rec) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(&rec);
    out.insert(out.end(), b, b + sizeof(T));
}
void pad_to(std::vector<std::uint8_t>& out, std::size_t align) {
    out.resize((out.size() + align - 1) / align * align, 0);
}

// ---- reading ---------------------------------------------------------------------------------
class Reader {
public:
    Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
    template <class T>
    T at(std::uint64_t off) const {
        if (off > n_ || sizeof(T) > n_ - off) throw ImageError(off, "truncated: the image ends before this record");
        T v;
        std::memcpy(&v, d_ + off, sizeof(T));
        return v;
    }
    std::string string(const SectionEntry& s, std::uint32_t off, std::uint64_t where) const {
        if (off >= s.bytes) throw ImageError(where, "string offset " + std::to_string(off) + " is outside the string section");
        const char* p = reinterpret_cast<const char*>(d_ + s.offset + off);
        const void* nul = std::memchr(p, '\0', s.bytes - off);
        if (!nul) throw ImageError(where, "string at offset " + std::to_string(off) + " is not terminated");
        return std::string(p, static_cast<const char*>(nul));
    }
    const std::uint8_t* data() const { return d_; }
    std::size_t size() const { return n_; }

private:
    const std::uint8_t* d_;
    std::size_t n_;
};

struct Sections {
    Header h;
    SectionEntry s[kSectionCount + 1];  // indexed by Section
};

std::uint32_t record_size(std::uint32_t kind) {
    switch (kind) {
        case kStrings: return 1;
        case kTensors: return sizeof(TensorRecord);
        case kLayers: return sizeof(LayerRecord);
        case kBlocks: return sizeof(BlockRecord);
        case kParams: return 4;
        case kStreams: return sizeof(StreamRecord);
        case kCode: return sizeof(InstrRecord);
        default: return 1;  // weights: bytes
    }
}

// `verify`: also check the checksum (a byte-serial pass over the whole image, ~1 MB of
// weights in the demo); layout() skips it, as its images have been decoded or encoded.
Sections read_sections(const Reader& r, bool verify = true) {
    Sections out{};
    if (r.size() < sizeof(Header)) throw ImageError(0, "truncated: " + std::to_string(r.size()) + " bytes, a header needs " + std::to_string(sizeof(Header)));
    Header h = r.at<Header>(0);
    if (h.magic != kMagic) throw ImageError(0, "not a sotsim program image (magic " + hex(h.magic) + ", expected " + hex(kMagic) + ")");
    if (h.version_major != kVersionMajor || h.version_minor > kVersionMinor)
        throw ImageError(4, "format version " + std::to_string(h.version_major) + "." + std::to_string(h.version_minor) +
                                " is not supported (this sotsim reads " + std::to_string(kVersionMajor) + ".0 to " +
                                std::to_string(kVersionMajor) + "." + std::to_string(kVersionMinor) + ")");
    if (h.total_bytes != r.size())
        throw ImageError(12, "total_bytes says " + std::to_string(h.total_bytes) + " but the image has " + std::to_string(r.size()));
    const std::uint32_t sum = verify ? fnv1a(r.data(), r.size(), offsetof(Header, checksum)) : h.checksum;
    if (sum != h.checksum) throw ImageError(16, "checksum " + hex(h.checksum) + " does not match the contents (" + hex(sum) + "): the image is corrupt");
    if (h.sections != kSectionCount) throw ImageError(56, "has " + std::to_string(h.sections) + " sections, version " + std::to_string(kVersionMajor) + " has " + std::to_string(kSectionCount));
    if (h.header_bytes != sizeof(Header) + kSectionCount * sizeof(SectionEntry))
        throw ImageError(8, "header_bytes " + std::to_string(h.header_bytes) + " does not match " + std::to_string(kSectionCount) + " sections");
    if ((h.flags & ~1u) != 0) throw ImageError(20, "unknown flags " + hex(h.flags));
    out.h = h;
    std::uint64_t end = h.header_bytes;
    for (std::uint32_t i = 0; i < kSectionCount; ++i) {
        const std::uint64_t at = sizeof(Header) + i * sizeof(SectionEntry);
        SectionEntry e = r.at<SectionEntry>(at);
        if (e.kind != i + 1) throw ImageError(at, "section " + std::to_string(i) + " has kind " + std::to_string(e.kind) + ", expected " + std::to_string(i + 1));
        if (e.offset % 4 != 0 || e.offset < end || e.offset > r.size() || e.bytes > r.size() - e.offset)
            throw ImageError(at, "section " + std::to_string(e.kind) + " [" + hex(e.offset) + ", +" + std::to_string(e.bytes) +
                                     ") is misaligned, overlaps the previous one or runs past the end");
        if (static_cast<std::uint64_t>(e.count) * record_size(e.kind) != e.bytes && e.kind != kWeights)
            throw ImageError(at, "section " + std::to_string(e.kind) + ": " + std::to_string(e.count) + " records of " +
                                     std::to_string(record_size(e.kind)) + " bytes do not make " + std::to_string(e.bytes) + " bytes");
        end = static_cast<std::uint64_t>(e.offset) + e.bytes;
        out.s[e.kind] = e;
    }
    if (out.s[kStreams].count != std::max(h.tile_streams, h.setup_streams))
        throw ImageError(48, "stream table has " + std::to_string(out.s[kStreams].count) + " entries for " +
                                 std::to_string(std::max(h.tile_streams, h.setup_streams)) + " tile streams");
    return out;
}

template <class E>
E checked_enum(std::uint32_t v, std::uint32_t last, std::uint64_t where, const char* what) {
    if (v > last) throw ImageError(where, std::string(what) + " " + std::to_string(v) + " is not defined");
    return static_cast<E>(v);
}

std::vector<float> param_range(const float* params, std::size_t n, std::uint32_t first, std::uint32_t count,
                               std::uint64_t where) {
    if (count == 0) return {};
    if (first > n || count > n - first)
        throw ImageError(where, "parameter range [" + std::to_string(first) + ", +" + std::to_string(count) +
                                    ") is outside the parameter section (" + std::to_string(n) + " values)");
    return std::vector<float>(params + first, params + first + count);
}

}  // namespace

ImageError::ImageError(std::uint64_t offset, const std::string& what)
    : std::runtime_error("offset " + hex(offset) + ": " + what), offset_(offset) {}

std::uint32_t fnv1a(const std::uint8_t* data, std::size_t n, std::size_t skip_at) {
    // The same byte sequence as one loop reading 0 for the four bytes at skip_at, in three
    // runs without that test per byte (the hash is a serial chain: the test was its cost).
    std::uint32_t h = 2166136261u;
    auto run = [&h](const std::uint8_t* p, std::size_t k) {
        for (std::size_t i = 0; i < k; ++i) h = (h ^ p[i]) * 16777619u;
    };
    const std::size_t a = std::min(skip_at, n), b = skip_at < n ? std::min(n, skip_at + 4) : n;
    run(data, a);
    for (std::size_t i = a; i < b; ++i) h *= 16777619u;   // (h ^ 0) * prime
    run(data + b, n - b);
    return h;
}

std::vector<std::uint8_t> encode(const Program& p, const Target& target) {
    Writer w;
    w.string("");  // offset 0: the empty string
    std::vector<std::uint8_t> tensors, layers, blocks, streams, code;
    for (const auto& d : p.tensors) {
        TensorRecord r{w.string(d.name), static_cast<std::uint32_t>(d.where), d.tile, d.rows_per_sample, d.width, d.bits};
        append(tensors, r);
    }
    for (const auto& l : p.layers) {
        const auto macs = static_cast<std::uint64_t>(l.macs_per_sample);
        LayerRecord r{w.string(l.name), w.string(l.kind), static_cast<std::uint32_t>(macs & 0xFFFFFFFFu),
                      static_cast<std::uint32_t>(macs >> 32), l.weight_bits, l.input_bits, l.blocks, l.rewrites};
        append(layers, r);
    }
    const std::size_t n_streams = std::max(p.tile_code.size(), p.setup_code.size());
    std::vector<StreamRecord> srec(n_streams, StreamRecord{0, 0, 0, 0, 1});
    std::uint32_t n_instr = 0;
    auto emit = [&](const std::vector<Instr>& s, std::uint32_t& first, std::uint32_t& count) {
        first = n_instr;
        count = u32(s.size(), "an instruction stream");
        for (const Instr& in : s) append(code, encode_instr(in, w));
        n_instr += count;
    };
    for (std::size_t i = 0; i < n_streams; ++i) {
        srec[i].step_samples = u32(p.step_samples(i), "a step size");
        if (i < p.setup_code.size()) emit(p.setup_code[i], srec[i].setup_first, srec[i].setup_count);
        if (i < p.tile_code.size()) emit(p.tile_code[i], srec[i].code_first, srec[i].code_count);
    }
    for (const auto& s : srec) append(streams, s);

    // Blocks reference their thresholds in the parameter pool and their weights after the
    // other sections; weight offsets are fixed once the sizes before them are known.
    std::vector<BlockRecord> brec;
    for (const auto& b : p.blocks) {
        BlockRecord r{};
        r.layer = b.layer, r.tile = b.tile, r.macro = b.macro;
        r.rows = b.spec.rows, r.cols = b.spec.cols, r.weight_bits = b.spec.weight_bits;
        r.input = static_cast<std::uint32_t>(b.spec.input);
        r.input_bits = b.spec.input_bits;
        r.input_slice_bits = b.spec.input_slice_bits;
        r.readout = static_cast<std::uint32_t>(b.spec.readout) | static_cast<std::uint32_t>(b.spec.analog_sum) << 8;
        r.neuron_gain = b.spec.neuron_gain;
        r.threshold_count = u32(b.spec.threshold.size(), "a threshold vector");
        r.threshold_first = b.spec.threshold.empty() ? 0 : w.params(b.spec.threshold);
        if (b.w.rows() != b.spec.rows || b.w.cols() != b.spec.cols)
            throw std::runtime_error("program image: block " + std::to_string(brec.size()) + " weights (" +
                                     std::to_string(b.w.rows()) + "x" + std::to_string(b.w.cols()) +
                                     ") do not match its spec (" + std::to_string(b.spec.rows) + "x" +
                                     std::to_string(b.spec.cols) + ")");
        r.weights_bytes = u32(static_cast<std::size_t>(b.w.size()) * 4, "a weight block");
        brec.push_back(r);
    }

    const std::size_t sizes[kSectionCount] = {w.pool_.size(), tensors.size(), layers.size(),
                                              brec.size() * sizeof(BlockRecord), w.params_.size() * 4,
                                              streams.size(), code.size(), 0};
    const std::uint32_t counts[kSectionCount] = {
        u32(w.pool_.size(), "the string pool"), u32(p.tensors.size(), "tensors"), u32(p.layers.size(), "layers"),
        u32(p.blocks.size(), "blocks"), u32(w.params_.size(), "parameters"), u32(n_streams, "streams"), n_instr,
        u32(p.blocks.size(), "blocks")};
    SectionEntry sec[kSectionCount];
    std::uint64_t off = sizeof(Header) + kSectionCount * sizeof(SectionEntry);
    for (std::uint32_t i = 0; i < kSectionCount - 1; ++i) {
        sec[i] = {i + 1, u32(off, "the image"), u32(sizes[i], "a section"), counts[i]};
        off = (off + sizes[i] + 3) / 4 * 4;
    }
    off = (off + kWeightAlign - 1) / kWeightAlign * kWeightAlign;
    const std::uint64_t weights_start = off;
    for (auto& r : brec) {
        r.weights_offset = u32(off, "the image");
        off = (off + r.weights_bytes + kWeightAlign - 1) / kWeightAlign * kWeightAlign;
    }
    sec[kSectionCount - 1] = {kWeights, u32(weights_start, "the image"), u32(off - weights_start, "the weights"),
                              counts[kSectionCount - 1]};

    Header h{};
    h.magic = kMagic;
    h.version_major = kVersionMajor;
    h.version_minor = kVersionMinor;
    h.header_bytes = sizeof(Header) + kSectionCount * sizeof(SectionEntry);
    h.total_bytes = u32(off, "the image");
    h.flags = p.streamed ? 1u : 0u;
    h.input_tensor = p.input_tensor, h.output_tensor = p.output_tensor;
    h.input_width = p.input_width, h.output_width = p.output_width;
    h.chip_tiles = static_cast<std::uint32_t>(target.tiles);
    h.tile_macros = static_cast<std::uint32_t>(target.macros_per_tile);
    h.tile_streams = u32(p.tile_code.size(), "streams");
    h.setup_streams = u32(p.setup_code.size(), "streams");
    h.sections = kSectionCount;

    std::vector<std::uint8_t> out;
    out.reserve(off);
    append(out, h);
    for (const auto& s : sec) append(out, s);
    auto section = [&](const std::vector<std::uint8_t>& bytes) {
        out.insert(out.end(), bytes.begin(), bytes.end());
        pad_to(out, 4);
    };
    section(std::vector<std::uint8_t>(w.pool_.begin(), w.pool_.end()));
    section(tensors);
    section(layers);
    for (const auto& r : brec) append(out, r);
    pad_to(out, 4);
    for (float f : w.params_) append(out, f);
    section(streams);
    section(code);
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
        out.resize(brec[i].weights_offset, 0);
        const auto& m = p.blocks[i].w;
        for (Eigen::Index r = 0; r < m.rows(); ++r)
            for (Eigen::Index c = 0; c < m.cols(); ++c) append(out, static_cast<std::int32_t>(m(r, c)));
    }
    out.resize(off, 0);
    const std::uint32_t sum = fnv1a(out.data(), out.size(), offsetof(Header, checksum));
    std::memcpy(out.data() + offsetof(Header, checksum), &sum, 4);
    return out;
}

Instr decode_instr(const InstrRecord& r, const float* params, std::size_t n_params) {
    Instr in = decode_instr_fields(r);
    in.vscale = param_range(params, n_params, r.vscale_first, stored_params(r, false), offsetof(InstrRecord, vscale_first));
    in.vbias = param_range(params, n_params, r.vbias_first, stored_params(r, true), offsetof(InstrRecord, vbias_first));
    expand_params(r, in);
    return in;
}

std::uint32_t stored_params(const InstrRecord& r, bool bias) {
    const std::uint32_t n = bias ? r.vbias_count : r.vscale_count;
    return (r.flags & (bias ? 8u : 4u)) && n > 0 ? 1u : n;
}

void expand_params(const InstrRecord& r, Instr& in) {
    if ((r.flags & 4u) && in.vscale.size() == 1) in.vscale.assign(r.vscale_count, in.vscale.front());
    if ((r.flags & 8u) && in.vbias.size() == 1) in.vbias.assign(r.vbias_count, in.vbias.front());
}

Instr decode_instr_fields(const InstrRecord& r) {
    Instr in;
    in.op = checked_enum<OpCode>(r.op, static_cast<std::uint32_t>(OpCode::Round), 0, "opcode");
    in.act = checked_enum<ActKind>(r.act, static_cast<std::uint32_t>(ActKind::SignBinary), 1, "activation kind");
    if ((r.flags & ~31u) != 0 || r.reserved != 0) throw ImageError(2, "unknown instruction flags");
    in.accumulate = (r.flags & 1u) != 0;
    in.pool_max = (r.flags & 2u) != 0;
    in.multicast = (r.flags & 16u) != 0;
    if (in.multicast && in.op != OpCode::Load && in.op != OpCode::Send)
        throw ImageError(2, "the multicast flag is only defined for Load and Send");
    in.src = r.src, in.src2 = r.src2, in.dst = r.dst, in.macro = r.macro, in.block = r.block;
    in.r0 = r.r0, in.rows = r.rows, in.c0 = r.c0, in.cols = r.cols, in.src_c0 = r.src_c0;
    in.scale = r.scale, in.lo = r.lo, in.hi = r.hi;
    in.levels = r.levels, in.layer = r.layer, in.peer = r.peer;
    ConvGeom& g = in.geom;
    g.c = r.c, g.h = r.h, g.w = r.w, g.kh = r.kh, g.kw = r.kw, g.stride_h = r.stride_h, g.stride_w = r.stride_w;
    g.pad_t = r.pad_t, g.pad_l = r.pad_l, g.pad_b = r.pad_b, g.pad_r = r.pad_r;
    g.pad_value = r.pad_value;
    return in;
}

Program decode(const std::uint8_t* data, std::size_t n, Target* target) {
    const Reader rd(data, n);
    const Sections S = read_sections(rd);
    const Header& h = S.h;
    Program p;
    p.streamed = (h.flags & 1u) != 0;
    p.input_tensor = h.input_tensor, p.output_tensor = h.output_tensor;
    p.input_width = h.input_width, p.output_width = h.output_width;
    if (target) *target = Target{static_cast<int>(h.chip_tiles), static_cast<int>(h.tile_macros)};
    const SectionEntry& str = S.s[kStrings];
    if (str.bytes == 0 || data[str.offset] != '\0') throw ImageError(str.offset, "the string section must start with the empty string");

    for (std::uint32_t i = 0; i < S.s[kTensors].count; ++i) {
        const std::uint64_t at = S.s[kTensors].offset + i * sizeof(TensorRecord);
        const auto r = rd.at<TensorRecord>(at);
        TensorDecl d;
        d.name = rd.string(str, r.name, at);
        d.where = checked_enum<Location>(r.where, static_cast<std::uint32_t>(Location::Port), at + 4, "tensor location");
        d.tile = r.tile, d.rows_per_sample = r.rows_per_sample, d.width = r.width, d.bits = r.bits;
        p.tensors.push_back(std::move(d));
    }
    for (std::uint32_t i = 0; i < S.s[kLayers].count; ++i) {
        const std::uint64_t at = S.s[kLayers].offset + i * sizeof(LayerRecord);
        const auto r = rd.at<LayerRecord>(at);
        LayerInfo l;
        l.name = rd.string(str, r.name, at);
        l.kind = rd.string(str, r.kind, at + 4);
        l.macs_per_sample = static_cast<std::int64_t>((static_cast<std::uint64_t>(r.macs_hi) << 32) | r.macs_lo);
        l.weight_bits = r.weight_bits, l.input_bits = r.input_bits, l.blocks = r.blocks, l.rewrites = r.rewrites;
        p.layers.push_back(std::move(l));
    }
    const SectionEntry& par = S.s[kParams];
    std::vector<float> params(par.count);
    if (par.count) std::memcpy(params.data(), data + par.offset, par.bytes);
    const SectionEntry& wts = S.s[kWeights];
    for (std::uint32_t i = 0; i < S.s[kBlocks].count; ++i) {
        const std::uint64_t at = S.s[kBlocks].offset + i * sizeof(BlockRecord);
        const auto r = rd.at<BlockRecord>(at);
        WeightBlock b;
        b.layer = r.layer, b.tile = r.tile, b.macro = r.macro;
        b.spec.rows = r.rows, b.spec.cols = r.cols, b.spec.weight_bits = r.weight_bits;
        b.spec.input = checked_enum<InputEncoding>(r.input, static_cast<std::uint32_t>(InputEncoding::Pwm), at + 24, "input encoding");
        b.spec.input_bits = r.input_bits;
        if (r.input_slice_bits < 0 || r.input_slice_bits > 16)
            throw ImageError(at + 56, "block " + std::to_string(i) + ": input_slice_bits " + std::to_string(r.input_slice_bits) +
                                          " is outside 0..16");
        b.spec.input_slice_bits = r.input_slice_bits;
        if (r.readout >> 16) throw ImageError(at + 32, "block " + std::to_string(i) + ": readout word " + hex(r.readout) + " has bits above 15 set");
        b.spec.readout = checked_enum<ReadoutKind>(r.readout & 0xffu, static_cast<std::uint32_t>(ReadoutKind::SigmoidNeuron), at + 32, "readout kind");
        b.spec.analog_sum = checked_enum<phys::AnalogSum>(r.readout >> 8, static_cast<std::uint32_t>(phys::AnalogSum::Final), at + 33, "analog-sum role");
        b.spec.neuron_gain = r.neuron_gain;
        try {
            b.spec.threshold = param_range(params.data(), params.size(), r.threshold_first, r.threshold_count, 0);
        } catch (const ImageError& e) {
            throw ImageError(at + 40, std::string("block ") + std::to_string(i) + ": thresholds outside the parameter section");
        }
        if (r.rows < 0 || r.cols < 0 || static_cast<std::uint64_t>(r.rows) * r.cols * 4 != r.weights_bytes)
            throw ImageError(at + 12, "block " + std::to_string(i) + ": " + std::to_string(r.rows) + "x" + std::to_string(r.cols) +
                                          " weights do not make " + std::to_string(r.weights_bytes) + " bytes");
        if (r.weights_offset % kWeightAlign != 0 || r.weights_offset < wts.offset ||
            static_cast<std::uint64_t>(r.weights_offset) + r.weights_bytes > static_cast<std::uint64_t>(wts.offset) + wts.bytes)
            throw ImageError(at + 48, "block " + std::to_string(i) + ": weights at " + hex(r.weights_offset) +
                                          " are not 4 KiB aligned inside the weight section");
        b.w.resize(r.rows, r.cols);
        const std::uint8_t* src = data + r.weights_offset;
        for (int row = 0; row < r.rows; ++row)
            for (int c = 0; c < r.cols; ++c) {
                std::int32_t v;
                std::memcpy(&v, src + 4 * (static_cast<std::size_t>(row) * r.cols + c), 4);
                b.w(row, c) = v;
            }
        p.blocks.push_back(std::move(b));
    }
    const SectionEntry& code = S.s[kCode];
    auto stream = [&](std::uint32_t first, std::uint32_t count, std::uint64_t at) {
        if (first > code.count || count > code.count - first)
            throw ImageError(at, "instructions [" + std::to_string(first) + ", +" + std::to_string(count) +
                                     ") are outside the code section (" + std::to_string(code.count) + ")");
        std::vector<Instr> s;
        s.reserve(count);
        for (std::uint32_t k = first; k < first + count; ++k) {
            const std::uint64_t ia = code.offset + static_cast<std::uint64_t>(k) * sizeof(InstrRecord);
            try {
                s.push_back(decode_instr(rd.at<InstrRecord>(ia), params.data(), params.size()));
            } catch (const ImageError& e) {
                throw ImageError(ia + e.offset(), "instruction " + std::to_string(k) + ": " +
                                                      std::string(e.what()).substr(std::string(e.what()).find(": ") + 2));
            }
        }
        return s;
    };
    p.setup_code.resize(h.setup_streams);
    p.tile_code.resize(h.tile_streams);
    for (std::uint32_t i = 0; i < S.s[kStreams].count; ++i) {
        const std::uint64_t at = S.s[kStreams].offset + i * sizeof(StreamRecord);
        const auto r = rd.at<StreamRecord>(at);
        if (r.step_samples < 1 || r.step_samples > static_cast<std::uint32_t>(kMaxStepSamples))
            throw ImageError(at + 16, "tile " + std::to_string(i) + ": step_samples " + std::to_string(r.step_samples) +
                                          " outside 1.." + std::to_string(kMaxStepSamples));
        if (r.step_samples > 1) {
            p.tile_step_samples.resize(S.s[kStreams].count, 1);
            p.tile_step_samples[i] = static_cast<int>(r.step_samples);
        }
        if (i < h.setup_streams) p.setup_code[i] = stream(r.setup_first, r.setup_count, at);
        else if (r.setup_count) throw ImageError(at, "tile " + std::to_string(i) + " has setup code beyond setup_streams");
        if (i < h.tile_streams) p.tile_code[i] = stream(r.code_first, r.code_count, at + 8);
        else if (r.code_count) throw ImageError(at + 8, "tile " + std::to_string(i) + " has code beyond tile_streams");
    }
    return p;
}

std::uint64_t modelled_bytes(const Layout& l) {
    std::uint64_t b = l.tables_bytes;
    for (std::size_t i = 0; i < l.block_values.size(); ++i)
        b += (static_cast<std::uint64_t>(l.block_values[i]) * static_cast<std::uint64_t>(l.block_weight_bits[i]) + 7) / 8;
    return b;
}

Layout layout(const std::uint8_t* data, std::size_t n) {
    const Reader rd(data, n);
    const Sections S = read_sections(rd, false);
    Layout l;
    l.code_offset = S.s[kCode].offset;
    l.tables_bytes = S.s[kCode].offset + S.s[kCode].bytes;
    l.params_offset = S.s[kParams].offset;
    l.params_count = S.s[kParams].count;
    for (std::uint32_t i = 0; i < S.s[kStreams].count; ++i)
        l.streams.push_back(rd.at<StreamRecord>(S.s[kStreams].offset + i * sizeof(StreamRecord)));
    for (std::uint32_t i = 0; i < S.s[kBlocks].count; ++i) {
        const auto r = rd.at<BlockRecord>(S.s[kBlocks].offset + i * sizeof(BlockRecord));
        l.block_offsets.push_back(r.weights_offset);
        l.block_values.push_back(r.weights_bytes / 4);
        l.block_weight_bits.push_back(r.weight_bits);
    }
    return l;
}

}  // namespace sotsim::image
