// Where exact IR-drop transfer matrices are kept between runs.
//
// Why: the exact transfer matrix M(G, r_wire) of a programmed block costs O(N^3) flops
// (IrDropSchur.h) and is a pure function of the programmed conductances, the wire
// resistances, the shape and the solver. Repeated runs and sweep points that do not change
// the conductances (same seed, same device) get the same M, so the platform may install a
// store that keeps M by a content hash (TransferKey) and hands it back instead of solving.
// The physics core does no file I/O (DESIGN.md): it only defines the interface and the key;
// platform/accelerator/TransferCache.h implements the on-disk store. A store returns the
// exact bytes it was given, so results with and without it are identical.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>

namespace sotsim::phys {

// Version of the transfer-matrix solver and topology. Bump when either changes what M is
// (or its last bits): cached matrices of other versions are then never used.
inline constexpr std::uint32_t kIrDropSolverVersion = 4;   // 2: small fronts by eliminate_small; 3: side-ordered fronts, dense merge kernel (last bits of M); 4: lowest merges in lanes (last bits of M)

// 128-bit content hash of (G bytes, shape, r_row, r_col, solver version, vector ISA; G's
// elements through four interleaved hashers, see TransferStore.cpp): two independent 64-bit lanes, so an accidental collision is out of reach (~2^-64 at 2^32
// entries). The ISA is part of the key because M's last bits depend on the kernels used.
struct TransferKey {
    std::uint64_t hi = 0, lo = 0;
    std::string hex() const;   // 32 lowercase hex digits
    bool operator==(const TransferKey& o) const { return hi == o.hi && lo == o.lo; }
};
TransferKey transfer_key(const Eigen::MatrixXd& g, double r_row, double r_col);

class TransferStore {
public:
    virtual ~TransferStore() = default;
    // M (cols x rows) for `key` into `m`; false if absent (or unreadable: a miss, never an
    // error), and then `m` is unspecified (a store may have read into it before refusing).
    virtual bool load(const TransferKey& key, int rows, int cols, Eigen::MatrixXd& m) = 0;
    virtual void save(const TransferKey& key, const Eigen::MatrixXd& m) = 0;
};

// The process-wide store CrossbarArray consults (null: always solve). Thread-safe.
std::shared_ptr<TransferStore> transfer_store();
void set_transfer_store(std::shared_ptr<TransferStore> store);

// Installs `store` for its lifetime and restores the previous one (the platform's chip
// owns one while it runs).
class ScopedTransferStore {
public:
    explicit ScopedTransferStore(std::shared_ptr<TransferStore> store);
    ~ScopedTransferStore();
    ScopedTransferStore(const ScopedTransferStore&) = delete;
    ScopedTransferStore& operator=(const ScopedTransferStore&) = delete;

private:
    std::shared_ptr<TransferStore> previous_;
};

}  // namespace sotsim::phys
