#include "models/physics/TransferStore.h"

#include <cstring>
#include <mutex>

#include "models/physics/IsaGuard.h"
#include "models/physics/Rng.h"

namespace sotsim::phys {
namespace {

std::mutex& store_mutex() {
    static std::mutex m;
    return m;
}
std::shared_ptr<TransferStore>& store_slot() {
    static std::shared_ptr<TransferStore> s;
    return s;
}

// Two lanes with different seeds and mixing orders over the same 64-bit words.
struct Hasher {
    std::uint64_t a = 0x6a09e667f3bcc908ull, b = 0xbb67ae8584caa73bull;
    void word(std::uint64_t w) {
        a = splitmix64_mix(a ^ w) + 0x9e3779b97f4a7c15ull;
        b = splitmix64_mix(b + (w ^ 0xd1b54a32d192ed03ull)) ^ (b >> 29);
    }
    void real(double x) {
        std::uint64_t w;
        std::memcpy(&w, &x, sizeof w);
        word(w);
    }
    void text(const char* s) {
        const std::size_t n = std::strlen(s);
        word(n);
        for (std::size_t i = 0; i < n; ++i) word(static_cast<unsigned char>(s[i]));
    }
};

}  // namespace

std::string TransferKey::hex() const {
    static const char* digits = "0123456789abcdef";
    std::string s(32, '0');
    for (int k = 0; k < 16; ++k) {
        s[static_cast<std::size_t>(15 - k)] = digits[(hi >> (4 * k)) & 15];
        s[static_cast<std::size_t>(31 - k)] = digits[(lo >> (4 * k)) & 15];
    }
    return s;
}

TransferKey transfer_key(const Eigen::MatrixXd& g, double r_row, double r_col) {
    Hasher h;
    h.text("sotsim ir-drop transfer");
    h.word(kIrDropSolverVersion);
    h.text(isa_guard::library_isa());
    h.word(static_cast<std::uint64_t>(g.rows()));
    h.word(static_cast<std::uint64_t>(g.cols()));
    h.real(r_row);
    h.real(r_col);
    // The conductances in four interleaved hashers (element k into lane k mod 4), folded in
    // at the end: eight independent chains instead of two, so the splitmix64 latency is
    // overlapped (the key was 1.6 % of the demo's 1-sample run). Every element still enters
    // one chain of both 64-bit halves.
    Hasher lane[4];
    for (int l = 0; l < 4; ++l) lane[l].word(static_cast<std::uint64_t>(l));
    const double* d = g.data();
    const Eigen::Index n = g.size(), n4 = n - n % 4;
    for (Eigen::Index k = 0; k < n4; k += 4)
        for (int l = 0; l < 4; ++l) {
            lane[l].real(d[k + l]);
            keep_in_register(lane[l].a);   // scalar chains (Rng.h)
            keep_in_register(lane[l].b);
        }
    for (Eigen::Index k = n4; k < n; ++k) lane[k % 4].real(d[k]);
    for (const Hasher& l : lane) {
        h.word(l.a);
        h.word(l.b);
    }
    return TransferKey{h.a, h.b};
}

std::shared_ptr<TransferStore> transfer_store() {
    std::lock_guard<std::mutex> lock(store_mutex());
    return store_slot();
}

void set_transfer_store(std::shared_ptr<TransferStore> store) {
    std::lock_guard<std::mutex> lock(store_mutex());
    store_slot() = std::move(store);
}

ScopedTransferStore::ScopedTransferStore(std::shared_ptr<TransferStore> store) : previous_(transfer_store()) {
    set_transfer_store(std::move(store));
}
ScopedTransferStore::~ScopedTransferStore() { set_transfer_store(std::move(previous_)); }

}  // namespace sotsim::phys
