// Program image (models/tile/ProgramImage.h): lossless and canonical round trip of every
// Program field, the documented layout (alignment, record sizes), and malformed images
// refused with the byte offset of the problem.
#include <catch2/catch.hpp>
#include <algorithm>

#include <cstring>
#include <sstream>

#include "models/tile/ProgramImage.h"

using namespace sotsim;

namespace {

Program sample_program() {
    Program p;
    p.streamed = true;
    p.input_tensor = 0;
    p.output_tensor = 2;
    p.input_width = 5;
    p.output_width = 3;
    p.tensors = {{"in", Location::Global, -1, 1, 5, 8}, {"acc", Location::Pe, 1, 4, 3, 11}, {"out", Location::Global, -1, 1, 3, 32},
                 {"h", Location::Local, 0, 9, 7, 1}, {"raw", Location::Port, 2, 1, 5, 8}};  // 3.1: a port tensor
    p.layers = {{"fc1", "dense", 0x123456789LL, 1, 8, 2, 1}, {"conv2", "conv", 17, 4, 1, 1, 0}};
    for (int b = 0; b < 2; ++b) {
        WeightBlock blk;
        blk.w.resize(3 + b, 2);
        for (int i = 0; i < blk.w.rows(); ++i)
            for (int j = 0; j < 2; ++j) blk.w(i, j) = (i * 7 + j * 3 + b) % 5 - 2;
        blk.spec.rows = 3 + b;
        blk.spec.cols = 2;
        blk.spec.weight_bits = 3;
        blk.spec.input = b ? InputEncoding::Pwm : InputEncoding::BitSerial;
        blk.spec.input_bits = 4;
        blk.spec.input_slice_bits = b ? 3 : 0;  // the PWM block sliced
        blk.spec.readout = b ? ReadoutKind::SigmoidNeuron : ReadoutKind::SenseAmp;
        blk.spec.threshold = {0.5f * b, -1.25f};
        blk.spec.neuron_gain = 0.75f;
        blk.spec.analog_sum = b ? phys::AnalogSum::Final : phys::AnalogSum::Partial;
        blk.layer = b;
        blk.tile = b;
        blk.macro = 3 - b;
        p.blocks.push_back(blk);
    }
    Instr mvm;
    mvm.op = OpCode::Mvm;
    mvm.src = 3, mvm.dst = 1, mvm.macro = 2, mvm.r0 = 1, mvm.rows = 2, mvm.c0 = 1, mvm.cols = 2;
    mvm.scale = -0.125f, mvm.accumulate = true;
    Instr aff;
    aff.op = OpCode::Affine;
    aff.src = aff.dst = 3;
    aff.vscale = {1.5f, 2.5f, -3.0f};
    aff.vbias = {0.25f, 0.25f, 0.25f};  // uniform: stored once
    Instr aff2 = aff;
    aff2.vscale = {0.0f, -0.0f};        // equal as numbers, not bitwise: stored as they are
    aff.act = ActKind::Quantize, aff.lo = -1.0f, aff.hi = 2.0f, aff.levels = 15;
    Instr pool;
    pool.op = OpCode::Pool;
    pool.src = 3, pool.dst = 3, pool.pool_max = false;
    pool.geom = ConvGeom{2, 5, 6, 3, 2, 2, 1, 1, 0, 2, 1, -1.0f};
    Instr send;
    send.op = OpCode::Send;
    send.src = 3, send.dst = 3, send.peer = 1, send.src_c0 = 4, send.cols = 2;
    Instr layer;
    layer.op = OpCode::Layer;
    layer.layer = 1;
    Instr prog;
    prog.op = OpCode::Program;
    prog.block = 1, prog.macro = 2;
    Instr mload;  // 2.3: multicast Load, group 4 of 2 tiles
    mload.op = OpCode::Load;
    mload.src = 0, mload.dst = 3, mload.cols = 5, mload.multicast = true, mload.peer = 4, mload.levels = 2;
    Instr round;  // 3.1: round 1 of a group of 3, 4 instructions
    round.op = OpCode::Round;
    round.c0 = 1, round.cols = 3, round.rows = 4;
    p.tile_code = {{layer, mvm, aff, send, Instr{}}, {pool, aff2, round}, {mload}};
    p.setup_code = {{prog}};
    return p;
}

void same_instr(const Instr& a, const Instr& b) {
    CHECK(a.op == b.op);
    CHECK(a.src == b.src);
    CHECK(a.src2 == b.src2);
    CHECK(a.dst == b.dst);
    CHECK(a.macro == b.macro);
    CHECK(a.block == b.block);
    CHECK(a.r0 == b.r0);
    CHECK(a.rows == b.rows);
    CHECK(a.c0 == b.c0);
    CHECK(a.cols == b.cols);
    CHECK(a.src_c0 == b.src_c0);
    CHECK(a.scale == b.scale);
    CHECK(a.accumulate == b.accumulate);
    CHECK(a.act == b.act);
    CHECK(a.lo == b.lo);
    CHECK(a.hi == b.hi);
    CHECK(a.levels == b.levels);
    CHECK(a.vscale.size() == b.vscale.size());
    CHECK(a.vbias == b.vbias);
    // Bitwise (NaN-safe) comparison; memcmp on an empty vector's null data() is undefined.
    if (!a.vscale.empty() && !b.vscale.empty())
        CHECK(std::memcmp(a.vscale.data(), b.vscale.data(), 4 * std::min(a.vscale.size(), b.vscale.size())) == 0);
    CHECK(std::memcmp(&a.geom, &b.geom, sizeof(ConvGeom)) == 0);
    CHECK(a.pool_max == b.pool_max);
    CHECK(a.layer == b.layer);
    CHECK(a.peer == b.peer);
    CHECK(a.multicast == b.multicast);
}

// Patch a field and restore a valid checksum, so the decoder's field checks are reached.
void patch(std::vector<std::uint8_t>& img, std::size_t off, const void* v, std::size_t n) {
    std::memcpy(img.data() + off, v, n);
    const std::uint32_t sum = image::fnv1a(img.data(), img.size(), offsetof(image::Header, checksum));
    std::memcpy(img.data() + offsetof(image::Header, checksum), &sum, 4);
}

std::string decode_error(const std::vector<std::uint8_t>& img) {
    try {
        image::decode(img.data(), img.size());
    } catch (const image::ImageError& e) {
        return e.what();
    }
    return "decoded";
}

}  // namespace

TEST_CASE("image checksum: FNV-1a 32 with the checksum field read as zero", "[image]") {
    // Published FNV-1a 32 vectors (Fowler/Noll/Vo reference test suite).
    const std::string a = "a", foobar = "foobar";
    CHECK(image::fnv1a(reinterpret_cast<const std::uint8_t*>(a.data()), a.size()) == 0xe40c292cu);
    CHECK(image::fnv1a(reinterpret_cast<const std::uint8_t*>(foobar.data()), foobar.size()) == 0xbf9cf968u);
    CHECK(image::fnv1a(nullptr, 0) == 2166136261u);
    // Skipping four bytes hashes them as zeros, wherever they sit (also cut off at the end).
    std::vector<std::uint8_t> d(37);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 37 + 11);
    for (std::size_t skip : {std::size_t{0}, std::size_t{5}, std::size_t{33}, std::size_t{35}, std::size_t{36}}) {
        std::vector<std::uint8_t> z = d;
        for (std::size_t i = skip; i < std::min(d.size(), skip + 4); ++i) z[i] = 0;
        INFO("skip at " << skip);
        CHECK(image::fnv1a(d.data(), d.size(), skip) == image::fnv1a(z.data(), z.size()));
        CHECK(image::fnv1a(d.data(), d.size(), skip) != image::fnv1a(d.data(), d.size()));
    }
    CHECK(image::fnv1a(d.data(), d.size(), d.size()) == image::fnv1a(d.data(), d.size()));
}

TEST_CASE("program image round-trips every field and is canonical", "[image]") {
    const Program p = sample_program();
    const auto img = image::encode(p, image::Target{2, 4});
    image::Target t;
    const Program q = image::decode(img.data(), img.size(), &t);
    CHECK(t.tiles == 2);
    CHECK(t.macros_per_tile == 4);
    CHECK(q.streamed == p.streamed);
    CHECK(q.input_tensor == p.input_tensor);
    CHECK(q.output_tensor == p.output_tensor);
    CHECK(q.input_width == p.input_width);
    CHECK(q.output_width == p.output_width);
    REQUIRE(q.tensors.size() == p.tensors.size());
    for (std::size_t i = 0; i < p.tensors.size(); ++i) {
        CHECK(q.tensors[i].name == p.tensors[i].name);
        CHECK(q.tensors[i].where == p.tensors[i].where);
        CHECK(q.tensors[i].tile == p.tensors[i].tile);
        CHECK(q.tensors[i].rows_per_sample == p.tensors[i].rows_per_sample);
        CHECK(q.tensors[i].width == p.tensors[i].width);
        CHECK(q.tensors[i].bits == p.tensors[i].bits);
    }
    REQUIRE(q.layers.size() == 2);
    CHECK(q.layers[0].macs_per_sample == 0x123456789LL);  // 64-bit field
    CHECK(q.layers[1].name == "conv2");
    CHECK(q.layers[1].kind == "conv");
    CHECK(q.layers[0].rewrites == 1);
    REQUIRE(q.blocks.size() == 2);
    for (std::size_t b = 0; b < 2; ++b) {
        CHECK(q.blocks[b].w == p.blocks[b].w);
        CHECK(q.blocks[b].spec.rows == p.blocks[b].spec.rows);
        CHECK(q.blocks[b].spec.input == p.blocks[b].spec.input);
        CHECK(q.blocks[b].spec.readout == p.blocks[b].spec.readout);
        CHECK(q.blocks[b].spec.threshold == p.blocks[b].spec.threshold);
        CHECK(q.blocks[b].spec.neuron_gain == p.blocks[b].spec.neuron_gain);
        CHECK(q.blocks[b].spec.analog_sum == p.blocks[b].spec.analog_sum);
        CHECK(q.blocks[b].spec.input_bits == 4);
        CHECK(q.blocks[b].spec.input_slice_bits == p.blocks[b].spec.input_slice_bits);
        CHECK(q.blocks[b].spec.weight_bits == 3);
        CHECK(q.blocks[b].tile == p.blocks[b].tile);
        CHECK(q.blocks[b].macro == p.blocks[b].macro);
        CHECK(q.blocks[b].layer == p.blocks[b].layer);
    }
    REQUIRE(q.tile_code.size() == 3);  // the empty third stream survives
    REQUIRE(q.setup_code.size() == 1);
    for (std::size_t s = 0; s < 3; ++s) {
        REQUIRE(q.tile_code[s].size() == p.tile_code[s].size());
        for (std::size_t k = 0; k < p.tile_code[s].size(); ++k) same_instr(q.tile_code[s][k], p.tile_code[s][k]);
    }
    same_instr(q.setup_code[0][0], p.setup_code[0][0]);
    CHECK(image::encode(q, t) == img);  // one program, one byte string
}

TEST_CASE("program image layout: documented records, 4 KiB aligned weights", "[image]") {
    const Program p = sample_program();
    const auto img = image::encode(p, image::Target{2, 4});
    image::Header h;
    std::memcpy(&h, img.data(), sizeof h);
    CHECK(std::memcmp(img.data(), "SIMI", 4) == 0);
    CHECK(h.total_bytes == img.size());
    CHECK(h.header_bytes == 60 + 8 * 16);
    const image::Layout l = image::layout(img.data(), img.size());
    REQUIRE(l.block_offsets.size() == 2);
    CHECK(l.block_offsets[0] % 4096 == 0);
    CHECK(l.block_offsets[1] == l.block_offsets[0] + 4096);
    CHECK(l.block_values[1] == 8);
    CHECK(l.block_weight_bits[0] == 3);
    // Row-major int32 weights at the block offset.
    std::int32_t w10;
    std::memcpy(&w10, img.data() + l.block_offsets[0] + 4 * (1 * 2 + 0), 4);
    CHECK(w10 == p.blocks[0].w(1, 0));
    // Instruction k of tile 0 is the k-th 132-byte record after its stream's first.
    REQUIRE(l.streams.size() == 3);
    const auto& s0 = l.streams[0];
    CHECK(s0.setup_first == 0);
    CHECK(s0.setup_count == 1);
    CHECK(s0.code_count == 5);
    image::InstrRecord r;
    std::memcpy(&r, img.data() + l.code_offset + (s0.code_first + 1) * sizeof r, sizeof r);
    CHECK(r.op == static_cast<std::uint8_t>(OpCode::Mvm));
    CHECK(r.scale == -0.125f);
    CHECK(l.tables_bytes == l.code_offset + 10 * sizeof r);  // 5 + 3 + 1 tile instructions, 1 setup
    // Parameters: thresholds 2 x 2, aff 3 scales + 1 bias (uniform), aff2 2 scales + 1 bias.
    CHECK(l.params_count == 4 + 4 + 3);
    std::memcpy(&r, img.data() + l.code_offset + (s0.code_first + 2) * sizeof r, sizeof r);
    CHECK((r.flags & 12u) == 8u);  // vbias uniform, vscale not
    CHECK(image::stored_params(r, true) == 1);
    CHECK(r.vbias_count == 3);
    // Tile 2's multicast Load: flags bit 4, group in peer, member count in levels.
    std::memcpy(&r, img.data() + l.code_offset + l.streams[2].code_first * sizeof r, sizeof r);
    CHECK(r.op == static_cast<std::uint8_t>(OpCode::Load));
    CHECK((r.flags & 16u) == 16u);  // (bit 1 is pool_max, true by default)
    CHECK(r.peer == 4);
    CHECK(r.levels == 2);
}

TEST_CASE("malformed program images are refused with the offset of the problem", "[image]") {
    const auto good = image::encode(sample_program(), image::Target{2, 4});
    SECTION("truncated") {
        auto img = good;
        img.resize(40);
        CHECK_THAT(decode_error(img), Catch::Contains("offset 0x0: truncated"));
        img.resize(good.size() - 4);
        CHECK_THAT(decode_error(img), Catch::Contains("total_bytes"));
    }
    SECTION("not an image") {
        auto img = good;
        img[0] = 'X';
        CHECK_THAT(decode_error(img), Catch::Contains("not a sotsim program image"));
    }
    SECTION("a newer major version") {
        auto img = good;
        const std::uint16_t v = image::kVersionMajor + 1;
        patch(img, 4, &v, 2);
        CHECK_THAT(decode_error(img), Catch::Contains("offset 0x4: format version " + std::to_string(v) + "." + std::to_string(image::kVersionMinor) + " is not supported"));
        const std::uint16_t v1[2] = {image::kVersionMajor, 7};  // a later minor version may use fields this one requires zero
        patch(img, 4, v1, 4);
        const std::string major = std::to_string(image::kVersionMajor);
        CHECK_THAT(decode_error(img), Catch::Contains("format version " + major + ".7 is not supported (this sotsim reads " +
                                                      major + ".0 to " + major + "." +
                                                      std::to_string(image::kVersionMinor) + ")"));
    }
    SECTION("an older major version (2.4 has no step size per stream)") {
        auto img = good;
        const std::uint16_t v[2] = {2, 4};
        patch(img, 4, v, 4);
        CHECK_THAT(decode_error(img), Catch::Contains("offset 0x4: format version 2.4 is not supported"));
    }
    SECTION("corrupted contents fail the checksum") {
        auto img = good;
        img[img.size() - 4096] ^= 0x10;
        CHECK_THAT(decode_error(img), Catch::Contains("offset 0x10: checksum"));
    }
    SECTION("an undefined opcode names its record") {
        auto img = good;
        const image::Layout l = image::layout(good.data(), good.size());
        const std::uint8_t op = 99;
        patch(img, l.code_offset + sizeof(image::InstrRecord), &op, 1);
        std::ostringstream at;
        at << "offset 0x" << std::hex << l.code_offset + sizeof(image::InstrRecord) << ": instruction 1: opcode 99";
        CHECK_THAT(decode_error(img), Catch::Contains(at.str()));
    }
    SECTION("the multicast flag on anything but a Load or Send") {
        auto img = good;
        const image::Layout l = image::layout(good.data(), good.size());
        const std::size_t at = l.code_offset + sizeof(image::InstrRecord) + offsetof(image::InstrRecord, flags);  // the Mvm
        const std::uint8_t flags = 1u | 16u;
        patch(img, at, &flags, 1);
        CHECK_THAT(decode_error(img), Catch::Contains("the multicast flag is only defined for Load"));
    }
    SECTION("parameters outside the parameter section") {
        auto img = good;
        const image::Layout l = image::layout(good.data(), good.size());
        const std::uint32_t count = 1000;
        patch(img, l.code_offset + 2 * sizeof(image::InstrRecord) + offsetof(image::InstrRecord, vscale_count), &count, 4);
        CHECK_THAT(decode_error(img), Catch::Contains("outside the parameter section"));
    }
    SECTION("a weight block that does not match its size") {
        auto img = good;
        image::Header h;
        std::memcpy(&h, img.data(), sizeof h);
        image::SectionEntry blocks;
        std::memcpy(&blocks, img.data() + sizeof h + 3 * sizeof blocks, sizeof blocks);
        const std::int32_t rows = 1000;
        patch(img, blocks.offset + offsetof(image::BlockRecord, rows), &rows, 4);
        CHECK_THAT(decode_error(img), Catch::Contains("block 0: 1000x2 weights do not make 24 bytes"));
    }
}
