#include "models/physics/CellWriter.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace sotsim::phys {

CellWriter::CellWriter(const Config& cfg) : cfg_(cfg), dev_(cfg.device), sw_(cfg.device) {
    for (int lv = 0; lv < dev_.levels(); ++lv) {
        const double r_cell = dev_.cell_resistance(dev_.nominal(lv), 0.0);
        level_energy_.push_back(sw_.pulse_energy(r_cell));
        level_wer_.push_back(sw_.pulse_wer(r_cell));
    }
}

WriteOutcome CellWriter::write(const Eigen::MatrixXi& current, const Eigen::MatrixXi& target, Rng& rng) const {
    WriteOutcome o;
    o.levels = current;
    const int rows = static_cast<int>(target.rows()), cols = static_cast<int>(target.cols());
    const bool ideal = cfg_.sim.ideal;
    const int n_mtj = dev_.explicit_levels() ? 1 : cfg_.device.stack;
    const double t_pass = 2.0 * n_mtj * cfg_.device.t_pulse;
    const int par = std::max(1, cfg_.macro.write_rows_parallel);
    const int groups = (rows + par - 1) / par;

    // One pulse moves a cell one step towards its target (one MTJ flip); returns whether
    // it switched. The STT current and energy depend on the cell's present resistance.
    auto pulse = [&](int i, int j) {
        const int lv = o.levels(i, j);
        const auto k = static_cast<std::size_t>(lv);
        if (k >= level_wer_.size())
            throw std::runtime_error("cell level " + std::to_string(lv) + " outside the device's " +
                                     std::to_string(level_wer_.size()) + " levels");
        ++o.pulses;
        o.energy_J += level_energy_[k];
        const bool ok = ideal || rng.uniform() >= level_wer_[k];
        if (ok) o.levels(i, j) += target(i, j) > lv ? 1 : -1;
        return ok;
    };
    auto write_pass = [&]() {
        // Each cell gets as many pulses as it has MTJs left to flip.
        for (int i = 0; i < rows; ++i)
            for (int j = 0; j < cols; ++j) {
                const int todo = std::abs(target(i, j) - o.levels(i, j));
                for (int k = 0; k < todo; ++k) pulse(i, j);
            }
    };

    write_pass();
    o.time_s = groups * t_pass;
    for (int it = 0; it < cfg_.device.verify_max_iter; ++it) {
        o.verify_reads += rows;
        o.time_s += groups * (cfg_.periphery.t_settle + cfg_.periphery.sense_amp.t_sense);
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
