// Programming a block through the write path: pulses, write errors, program-verify.
//
// Only cells whose level changes are pulsed (read-before-write). Moving a stacked cell
// from level a to level b flips |b - a| MTJs, one pulse each; an explicit-level cell
// takes one pulse per level change. Every pulse fails independently with the write error
// rate of the switching model (zero in `sim.ideal`). With `verify_max_iter` > 0, each
// row group is read back (one verify read per row) and failed flips are pulsed again, up
// to verify_max_iter extra rounds.
// Time: ceil(rows / write_rows_parallel) row groups; a pass over a group takes
// 2 * n_mtj * t_pulse (both current polarities, each MTJ of a stack in turn); a verify
// round adds t_settle + t_sense per group and a re-write pass per group with failures.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "models/common/Actions.h"
#include "models/config/Config.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/Rng.h"
#include "models/physics/SwitchingModel.h"

namespace sotsim::phys {

struct WriteOutcome {
    Eigen::MatrixXi levels;           // levels actually reached
    double time_s = 0.0;
    double energy_J = 0.0;            // I^2 R t (or V^2/R t) + driver, all pulses
    std::int64_t pulses = 0;
    std::int64_t verify_reads = 0;    // rows read back
    std::int64_t failures = 0;        // cells not at their target after the last round
};

class CellWriter {
public:
    explicit CellWriter(const Config& cfg);
    WriteOutcome write(const Eigen::MatrixXi& current, const Eigen::MatrixXi& target, Rng& rng) const;
    // Without program-verify a write's time is its one pass over the row groups, whatever
    // the pulses draw: write(..., rows-row target ...).time_s, known before writing. With
    // verify it depends on the failures: false then.
    bool time_known() const { return cfg_.verify_max_iter <= 0; }
    double pass_time(int rows) const;

private:
    // What the write path reads of the configuration (a whole Config per macro copied its
    // technology tables: ~75 allocations each, 72 macros per chip).
    struct Settings {
        bool ideal = false;
        int stack = 1, verify_max_iter = 0, write_rows_parallel = 1;
        double t_pulse = 0.0, t_verify = 0.0;   // t_verify: t_settle + t_sense of a verify read
    };
    Settings cfg_;
    MtjDevice dev_;
    SwitchingModel sw_;
    // A pulse's energy and write error rate depend only on the level the cell is at (its
    // nominal resistance): evaluated once per level here, not per pulse (exp/expm1 of the
    // switching model), the same doubles the per-pulse evaluation gives.
    std::vector<double> level_energy_, level_wer_;
};

}  // namespace sotsim::phys
