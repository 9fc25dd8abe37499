// The global buffer as plain memory behind the host socket: unaligned heads and tails and
// byte enables touch exactly the bytes they name; a tensor that does not fit is refused by
// its own shape.
#include <catch2/catch.hpp>

#include <cstring>
#include <numeric>
#include <vector>

#include "platform/accelerator/Accelerator.h"
#include "tests/tlm/TlmTestUtil.h"

using namespace sotsim;
using namespace sotsim::test;
using namespace sc_core;

namespace {
// A chip with one global tensor of 4 x 8 float32 values, filled with a byte pattern.
struct Gbuf {
    Config cfg = small_config();
    Accelerator acc{"chip", cfg};
    std::uint64_t base = 0;
    std::vector<unsigned char> image;  // expected bytes of the tensor's float32 image
    Gbuf() {
        Program p;
        p.tile_code.resize(1);
        p.input_tensor = add_tensor(p, "in", Location::Global, -1, 1, 8, 32);
        acc.load_program(p, 4);
        sc_start(SC_ZERO_TIME);  // ends elaboration: the multi-sockets of the interconnect bind
        base = acc.tensor_address(p.input_tensor);
        image.resize(4 * 8 * 4);
        std::iota(image.begin(), image.end(), static_cast<unsigned char>(1));
        Access w(tlm::TLM_WRITE_COMMAND, base, image.data(), static_cast<unsigned>(image.size()));
        REQUIRE(acc.host.get_base_export()->transport_dbg(w.t) == image.size());
    }
    tlm::tlm_response_status go(Access& a) {
        acc.host.get_base_export()->b_transport(a.t, a.delay);
        return a.t.get_response_status();
    }
    std::vector<unsigned char> dump() {
        std::vector<unsigned char> out(image.size());
        Access r(tlm::TLM_READ_COMMAND, base, out.data(), static_cast<unsigned>(out.size()));
        REQUIRE(go(r) == tlm::TLM_OK_RESPONSE);
        return out;
    }
};
}  // namespace

TEST_CASE("global buffer: unaligned head and tail bytes are written and read exactly", "[tlm][gbuf]") {
    Gbuf g;
    unsigned char data[7] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6};
    Access w(tlm::TLM_WRITE_COMMAND, g.base + 3, data, 7);  // bytes 3..9: three partial words
    REQUIRE(g.go(w) == tlm::TLM_OK_RESPONSE);
    CHECK(w.delay > SC_ZERO_TIME);
    std::memcpy(g.image.data() + 3, data, 7);
    CHECK(g.dump() == g.image);
    unsigned char back[5] = {};
    Access r(tlm::TLM_READ_COMMAND, g.base + 5, back, 5);
    REQUIRE(g.go(r) == tlm::TLM_OK_RESPONSE);
    CHECK(std::equal(back, back + 5, g.image.begin() + 5));
}

TEST_CASE("global buffer: byte enables skip disabled lanes on writes and reads", "[tlm][gbuf]") {
    Gbuf g;
    unsigned char data[8] = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7};
    unsigned char be[3] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED};  // pattern repeats
    Access w(tlm::TLM_WRITE_COMMAND, g.base + 2, data, 8);
    w.t.set_byte_enable_ptr(be);
    w.t.set_byte_enable_length(3);
    REQUIRE(g.go(w) == tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 8; ++i)
        if (i % 3 != 1) g.image[static_cast<std::size_t>(2 + i)] = data[i];
    CHECK(g.dump() == g.image);

    unsigned char back[8];
    std::memset(back, 0x55, sizeof back);
    Access r(tlm::TLM_READ_COMMAND, g.base + 2, back, 8);
    r.t.set_byte_enable_ptr(be);
    r.t.set_byte_enable_length(3);
    REQUIRE(g.go(r) == tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 8; ++i)
        CHECK(back[i] == (i % 3 != 1 ? g.image[static_cast<std::size_t>(2 + i)] : 0x55));  // disabled: untouched
}

TEST_CASE("global buffer: accesses beyond the tensor or with streaming are refused", "[tlm][gbuf]") {
    Gbuf g;
    unsigned char data[8] = {};
    Access past(tlm::TLM_WRITE_COMMAND, g.base + g.image.size() - 3, data, 8);
    CHECK(g.go(past) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    Access stream(tlm::TLM_WRITE_COMMAND, g.base, data, 8);
    stream.t.set_streaming_width(4);
    CHECK(g.go(stream) == tlm::TLM_BURST_ERROR_RESPONSE);
    CHECK(g.dump() == g.image);  // nothing changed
}

TEST_CASE("global buffer: whole words and whole rows land where an unaligned read finds them", "[tlm][gbuf]") {
    // Words 5..14 of the 4 x 8 tensor (rows 0 to 1, crossing a row end), and rows 1 and 2
    // (the host's batch of samples), all lanes enabled: read back by an access starting
    // mid-word and ending past them, and exactly again; every other byte keeps its value.
    // One chip (one SystemC elaboration per process), the two spans written in turn.
    Gbuf g;
    struct Span {
        const char* what;
        unsigned offset, bytes;
        unsigned char first;
    };
    for (const Span& c : {Span{"words 5..14 across a row end", 20, 40, 0xC0}, Span{"rows 1 and 2", 32, 64, 0x80}}) {
        INFO(c.what);
        std::vector<unsigned char> data(c.bytes);
        std::iota(data.begin(), data.end(), c.first);
        Access w(tlm::TLM_WRITE_COMMAND, g.base + c.offset, data.data(), c.bytes);
        REQUIRE(g.go(w) == tlm::TLM_OK_RESPONSE);
        std::memcpy(g.image.data() + c.offset, data.data(), c.bytes);
        std::vector<unsigned char> back(c.bytes + 3);
        Access r(tlm::TLM_READ_COMMAND, g.base + c.offset - 1, back.data(), c.bytes + 3);
        REQUIRE(g.go(r) == tlm::TLM_OK_RESPONSE);
        CHECK(std::equal(back.begin(), back.end(), g.image.begin() + (c.offset - 1)));
        std::vector<unsigned char> exact(c.bytes);
        Access r2(tlm::TLM_READ_COMMAND, g.base + c.offset, exact.data(), c.bytes);
        REQUIRE(g.go(r2) == tlm::TLM_OK_RESPONSE);
        CHECK(exact == data);
        CHECK(g.dump() == g.image);  // nothing else written
    }
}

TEST_CASE("global buffer: a tensor that does not fit is refused with its own shape", "[tlm][gbuf]") {
    // Stored row-major (the transpose of the tensor's B*rows_per_sample x width matrix): the
    // message must still name the tensor as the program has it.
    Config cfg = small_config();
    cfg.chip.global_buffer_bytes = 1024;
    Accelerator acc{"chip", cfg};
    Program p;
    p.tile_code.resize(1);
    p.input_tensor = add_tensor(p, "in", Location::Global, -1, 3, 500, 8);
    REQUIRE_THROWS_WITH(acc.load_program(p, 2), Catch::Contains("global buffer: tensor 0 (6x500 at 8 bit) needs 3000 bytes"));
}
