// On-disk, content-addressed cache of exact IR-drop transfer matrices (phys::TransferStore).
//
// Layout: <dir>/ir-drop/<32 hex digits of the TransferKey>.tm, each file
//   "SOTSIMTM" | u32 format | u32 rows | u32 cols | u32 reserved | cols*rows doubles (M,
//   column-major) | u64 checksum of the doubles
// written to a temporary name and renamed, so concurrent runs (sweeps, -j) never see a
// partial file. A file that is short, of another format or shape, or fails its checksum is a
// miss (and is removed). Hits refresh the file's time; when the directory grows past
// max_bytes the least recently used files are removed down to 3/4 of it. The cache never
// changes a result: it returns the bytes the solver produced for the same key. Thread-safe:
// the solves of concurrently programmed macros load and save from the task pool's workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "models/config/Config.h"
#include "models/physics/TransferStore.h"

namespace sotsim {

class TransferCache : public phys::TransferStore {
public:
    TransferCache(std::string dir, double max_bytes);

    bool load(const phys::TransferKey& key, int rows, int cols, Eigen::MatrixXd& m) override;
    void save(const phys::TransferKey& key, const Eigen::MatrixXd& m) override;

    const std::string& dir() const { return dir_; }
    std::uint64_t hits() const { return hits_.load(); }
    std::uint64_t misses() const { return misses_.load(); }

private:
    std::string path(const phys::TransferKey& key) const;
    void trim();
    void warn_once(const std::string& what);

    std::string dir_;   // .../ir-drop
    double max_bytes_;
    std::atomic<std::uint64_t> hits_{0}, misses_{0};
    std::mutex mu_;   // one load / save (and trim) at a time
    bool warned_ = false;
};

// sim.cache_dir, or $XDG_CACHE_HOME/sotsim, or $HOME/.cache/sotsim ("" if none is known).
std::string default_cache_dir(const SimConfig& sim);
// The cache for `sim` (null when sim.cache is off, sim.ideal, or no directory is known).
std::shared_ptr<TransferCache> make_transfer_cache(const SimConfig& sim);

}  // namespace sotsim
