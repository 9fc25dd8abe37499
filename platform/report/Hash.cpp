#include "platform/report/Hash.h"

#include "platform/report/Sha256Blocks.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace sotsim::report {

namespace {

class Sha256 {
public:
    void update(const unsigned char* p, std::size_t n) {
        bits_ += static_cast<std::uint64_t>(n) * 8;
        // Whole 64-byte blocks straight from the input (a run hashes its dataset files,
        // tens of MB: no per-byte copy through the block buffer).
        while (n > 0 && len_ > 0) {
            buf_[len_++] = *p++;
            --n;
            if (len_ == 64) { block(buf_); len_ = 0; }
        }
        if (n >= 64) {
            sha256_blocks(h_.data(), p, n / 64);
            p += n / 64 * 64;
            n %= 64;
        }
        for (; n > 0; --n) buf_[len_++] = *p++;
    }
    std::string hex() {
        std::uint64_t bits = bits_;
        unsigned char pad = 0x80;
        update(&pad, 1);
        unsigned char zero = 0;
        while (len_ != 56) update(&zero, 1);
        unsigned char lenb[8];
        for (int i = 0; i < 8; ++i) lenb[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
        update(lenb, 8);
        std::string out;
        char b[9];
        for (std::uint32_t v : h_) {
            std::snprintf(b, sizeof b, "%08x", v);
            out += b;
        }
        return out;
    }

private:
    void block(const unsigned char* in) { sha256_blocks(h_.data(), in, 1); }

    std::array<std::uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    unsigned char buf_[64] = {};
    std::size_t len_ = 0;
    std::uint64_t bits_ = 0;
};

}  // namespace

std::string sha256_hex(const std::string& data) {
    Sha256 s;
    s.update(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return s.hex();
}

std::string sha256_file(const std::string& path) {
    std::ifstream is(path, std::ios::binary);
    if (!is) throw std::runtime_error("cannot read '" + path + "'");
    Sha256 s;
    std::vector<char> buf(1 << 16);
    while (is) {
        is.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        s.update(reinterpret_cast<const unsigned char*>(buf.data()), static_cast<std::size_t>(is.gcount()));
    }
    if (is.bad()) throw std::runtime_error("cannot read '" + path + "'");
    return s.hex();
}

}  // namespace sotsim::report
