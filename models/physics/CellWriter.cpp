#include "models/physics/CellWriter.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotsim::phys {

CellWriter::CellWriter(const Config& cfg)
    : cfg_{cfg.sim.ideal,
           cfg.device.stack,
           cfg.device.verify_max_iter,
           cfg.macro.write_rows_parallel,
           cfg.device.t_pulse,
           cfg.periphery.t_settle + cfg.periphery.sense_amp.t_sense},
      dev_(cfg.device),
      sw_(cfg.device) {
    for (int lv = 0; lv < dev_.levels(); ++lv) {
        const double r_cell = dev_.cell_resistance(dev_.nominal(lv), 0.0);
        level_energy_.push_back(sw_.pulse_energy(r_cell));
        level_wer_.push_back(sw_.pulse_wer(r_cell));
    }
}

double CellWriter::pass_time(int rows) const {
    const int n_mtj = dev_.explicit_levels() ? 1 : cfg_.stack;
    const double t_pass = 2.0 * n_mtj * cfg_.t_pulse;
    const int par = std::max(1, cfg_.write_rows_parallel);
    const int groups = (rows + par - 1) / par;
    return groups * t_pass;
}

WriteOutcome CellWriter::write(const Eigen::MatrixXi& current, const Eigen::MatrixXi& target, Rng& rng) const {
    WriteOutcome o;
    o.levels = current;
    const int rows = static_cast<int>(target.rows()), cols = static_cast<int>(target.cols());
    const bool ideal = cfg_.ideal;
    const int n_mtj = dev_.explicit_levels() ? 1 : cfg_.stack;
    const double t_pass = 2.0 * n_mtj * cfg_.t_pulse;
    const int par = std::max(1, cfg_.write_rows_parallel);
    const int groups = (rows + par - 1) / par;

    // Each cell gets as many pulses as it has MTJs left to flip; one pulse moves it one step
    // towards its target (one MTJ flip) unless it fails. The STT current and energy depend on
    // the cell's present resistance (its level). Cells in row order, a cell's pulses one
    // after the other, each drawing from `rng` in that order. The pass first lists the pulses
    // (cell index once per pulse, branch-free), then gives them: a loop per cell over its
    // 0, 1 or 2 pulses branches on random weight data, mispredicted about once per cell.
    // Everything touched per pulse is a local (the stream too, copied back after the pass).
    const int n_levels = static_cast<int>(level_wer_.size());
    std::vector<std::uint32_t> order(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) *
                                     static_cast<std::size_t>(std::max(1, n_levels - 1)));
    auto write_pass = [&o, &target, &rng, &order, rows, cols, ideal, n_levels, this]() {
        const double* energy = level_energy_.data();
        const double* wer = level_wer_.data();
        int* lev = o.levels.data();
        const int* tgt = target.data();
        const int steps = std::max(1, n_levels - 1);   // most pulses one cell can need
        std::size_t n = 0;
        for (int i = 0; i < rows; ++i)
            for (int j = 0; j < cols; ++j) {
                const auto at = static_cast<std::uint32_t>(static_cast<std::size_t>(j) * static_cast<std::size_t>(rows) +
                                                           static_cast<std::size_t>(i));
                const int todo = std::abs(tgt[at] - lev[at]);
                if (todo > steps) {
                    // A level outside the device's: its pulses listed one by one, so the pulse
                    // loop below refuses it at the same pulse as a walk cell by cell.
                    order.resize(order.size() + static_cast<std::size_t>(todo));
                    for (int k = 0; k < todo; ++k) order[n++] = at;
                    continue;
                }
                for (int k = 0; k < steps; ++k) {
                    order[n] = at;
                    n += static_cast<std::size_t>(k < todo);
                }
            }
        Rng r = rng;
        double e = o.energy_J;
        for (std::size_t p = 0; p < n; ++p) {
            const std::uint32_t at = order[p];
            const int lv = lev[at];
            if (lv < 0 || lv >= n_levels)
                throw std::runtime_error("cell level " + std::to_string(lv) + " outside the device's " +
                                         std::to_string(n_levels) + " levels");
            e += energy[lv];
            const bool ok = ideal || r.uniform() >= wer[lv];
            if (ok) lev[at] = lv + (tgt[at] > lv ? 1 : -1);
        }
        rng = r;
        o.pulses += static_cast<std::int64_t>(n);
        o.energy_J = e;
    };

    write_pass();
    o.time_s = pass_time(rows);
    for (int it = 0; it < cfg_.verify_max_iter; ++it) {
        o.verify_reads += rows;
        o.time_s += groups * cfg_.t_verify;
        int failing_groups = 0;
        for (int g = 0; g < groups; ++g) {
            bool bad = false;
            for (int i = g * par; i < std::min(rows, (g + 1) * par) && !bad; ++i) bad = (o.levels.row(i) != target.row(i));
            failing_groups += bad;
        }
        if (failing_groups == 0) break;
        write_pass();
        o.time_s += failing_groups * t_pass;
    }
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) o.failures += o.levels(i, j) != target(i, j);
    return o;
}

}  // namespace sotsim::phys
