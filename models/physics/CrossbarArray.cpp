#include "models/physics/CrossbarArray.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>

#include "models/physics/IrDropSolver.h"
#include "models/physics/TransferSolve.h"
#include "models/physics/TransferStore.h"

namespace sotsim::phys {

const Eigen::MatrixXd CrossbarArray::kNoMatrix;

namespace {

// The digit line of current summation: G_lo (all MTJs AP) and the step per digit, at v_read.
std::pair<double, double> digit_line(const MtjDevice& dev, double v_read, int base) {
    const int l = dev.levels();
    if (base < 2 || base > l || (l - 1) % (base - 1) != 0)
        throw std::invalid_argument("array: a cell with " + std::to_string(l) + " levels cannot hold base-" + std::to_string(base) + " digits");
    const double r_allp = dev.cell_resistance(dev.nominal(0), v_read);
    const double r_allap = dev.cell_resistance(dev.nominal(l - 1), v_read);
    const double g_lo = 1.0 / r_allap;
    return {g_lo, (1.0 / r_allp - g_lo) / (base - 1)};
}

}  // namespace

std::pair<double, double> CrossbarArray::nominal_line(const Config& cfg, int base) {
    return digit_line(MtjDevice(make_ideal(cfg.device)), cfg.array.v_read, base);
}

CrossbarArray::CrossbarArray(const Config& cfg, int base)
    : cfg_{cfg.device, cfg.array, cfg.sim}, dev_(cfg.device), base_(base) {
    const int l = dev_.levels();
    std::tie(g_lo_, g_step_) = digit_line(dev_, cfg.array.v_read, base);
    level_step_ = (l - 1) / (base - 1);
    // Resistance summation: the active cell's MTJ stack (its access switch is open).
    r_lo_ = dev_.level_resistance0(0);
    r_step_ = (dev_.level_resistance0(l - 1) - r_lo_) / (base - 1);
}

std::uint64_t CrossbarArray::cell_key(int i, int j, int lv, std::uint64_t d2d_key) const {
    const std::uint64_t cell_id = static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(2 * cfg_.array.cols) + static_cast<std::uint64_t>(j);
    return splitmix64_mix(d2d_key ^ splitmix64_mix(cell_id * 64 + static_cast<std::uint64_t>(lv)));
}

CellSample CrossbarArray::sample_cell(int i, int j, int lv, std::uint64_t d2d_key, double macro_factor) const {
    const std::uint64_t key = cell_key(i, j, lv, d2d_key);
    CellSample c;
    dev_.sample_cells(&lv, &key, 1, macro_factor, &c);
    return c;
}

CrossbarArray::~CrossbarArray() {
    // A solve still running reads this object's cells: wait for it (its result unused).
    if (solve_) {
        try {
            TaskPool::shared(cfg_.sim.threads).wait(solve_);
        } catch (...) {
        }
    }
}

void CrossbarArray::build(const Eigen::MatrixXi& levels, std::uint64_t d2d_key, double macro_factor, const IdleCells* idle) {
    begin_build(levels, d2d_key, macro_factor, idle);
    finish_build();
}

void CrossbarArray::begin_build(const Eigen::MatrixXi& levels_in, std::uint64_t d2d_key, double macro_factor, const IdleCells* idle) {
    if (solve_) throw std::logic_error("array: begin_build while a build is pending");
    const bool ideal = cfg_.sim.ideal;
    const bool current = cfg_.array.summation == Summation::Current;
    // XNOR cells: sample the weight MTJs and their complements as one wider block (each MTJ
    // its own d2d stream), then split.
    const int rows = static_cast<int>(levels_in.rows()), all_cols = static_cast<int>(levels_in.cols());
    const int cols = xnor() ? all_cols / 2 : all_cols;
    g_.resize(rows, all_cols);
    // Current summation reads G only: R is not kept (a 64 x 64 block's 32 KiB per macro).
    if (current)
        r_.resize(0, 0);
    else
        r_.resize(rows, all_cols);
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(all_cols);
    // The sampled cells and their stream keys in scratch kept per host thread (begin_build
    // runs on the thread that programs): grown once, not allocated and value-initialised
    // (24 + 8 bytes a cell: 128 KiB for a 64 x 64 block) per programmed block. Every entry
    // used is written below before it is read. Kept only up to kKeptCells (8 MiB a thread,
    // a 512 x 512 block): a larger block's (32 MiB at 1024 x 1024, twice that with XNOR
    // complements) are its own, freed when it is built, not held for the process's life.
    constexpr std::size_t kKeptCells = std::size_t{1} << 18;
    thread_local std::vector<CellSample> cell_scratch;
    thread_local std::vector<std::uint64_t> key_scratch;
    std::vector<CellSample> own_cells;
    std::vector<std::uint64_t> own_keys;
    std::vector<CellSample>& cell_buf = n <= kKeptCells ? cell_scratch : own_cells;
    std::vector<std::uint64_t>& key_buf = n <= kKeptCells ? key_scratch : own_keys;
    if (!ideal && cell_buf.size() < n) {
        cell_buf.resize(n);
        key_buf.resize(n);
    }
    CellSample* cells = cell_buf.data();
    if (ideal) {
        for (int j = 0; j < all_cols; ++j)
            for (int i = 0; i < rows; ++i) {
                // Exactly digit-linear cells: the digit is recovered from the level.
                const int lv = levels_in(i, j);
                const int d = current ? (dev_.levels() - 1 - lv) / level_step_ : lv / level_step_;
                g_(i, j) = g_lo_ + d * g_step_;
                if (!current) r_(i, j) = r_lo_ + d * r_step_;
            }
    } else {
        // Every cell's stream key, then all cells sampled in one call (column-major, as cells).
        std::uint64_t* keys = key_buf.data();
        for (int j = 0; j < all_cols; ++j) {
            // Complement MTJs of XNOR cells sit at physical column array.cols + j of the
            // same row (block column j >= cols of levels_in is complement j - cols).
            const int phys = xnor() && j >= cols ? cfg_.array.cols + (j - cols) : j;
            for (int i = 0; i < rows; ++i) keys[static_cast<size_t>(j) * rows + i] = cell_key(i, phys, levels_in(i, j), d2d_key);
        }
        dev_.sample_cells(levels_in.data(), keys, n, macro_factor, cells);
    }
    if (!ideal) apply_bias(cells);
    if (!ideal && current && cfg_.array.ir_drop == IrDropMode::Exact) {
        // The operating point and M are a function of the cells alone: solved as a task
        // (TaskPool.h), finished by finish_build. The cells themselves are needed there only
        // for bias-dependent TMR; otherwise they are dropped now, not held by every macro
        // whose program is pending (a chip programs all its macros before it settles any).
        if (bias_dependent_tmr()) cells_.assign(cells, cells + n);
        const std::shared_ptr<TransferStore> store = transfer_store();
        solve_ = TaskPool::shared(cfg_.sim.threads).submit([this, store](int threads) { solve_ir_drop(store, threads); });
        return;
    }
    complete_build(idle, d2d_key, macro_factor);
}

void CrossbarArray::finish_build() {
    if (!solve_) return;
    const TaskPool::Handle h = std::move(solve_);
    solve_.reset();
    TaskPool::shared(cfg_.sim.threads).wait(h);   // rethrows the solve's error
    if (bias_dependent_tmr()) g_ = std::move(solved_g_);   // else G is unchanged
    mt_ = std::move(solved_mt_);
    cells_.clear();
    cells_.shrink_to_fit();
    complete_build(nullptr, 0, 1.0);   // current summation: no idle cells
}

void CrossbarArray::complete_build(const IdleCells* idle, std::uint64_t d2d_key, double macro_factor) {
    const bool ideal = cfg_.sim.ideal;
    const bool current = cfg_.array.summation == Summation::Current;
    const int rows = static_cast<int>(g_.rows()), all_cols = static_cast<int>(g_.cols());
    const int cols = xnor() ? all_cols / 2 : all_cols;
    const double rn = has_read_noise() ? cfg_.device.read_noise : 0.0;
    const int unused = std::max(0, cfg_.array.rows - rows);
    noise_base_.resize(0);
    if (current) {
        if (cfg_.array.ir_drop == IrDropMode::Off) mt_ = std::make_shared<const Eigen::MatrixXd>(g_);
        if (rn > 0.0)
            sigma2_ = (rn * g_).array().square().matrix();
        else
            sigma2_.resize(0, 0);
        r_minus_bypass_.resize(0, 0);
        r_base_.resize(0);
    } else if (xnor()) {
        r_.array() += cfg_.device.r_access;
        const Eigen::MatrixXd ra = r_.leftCols(cols), rb = r_.rightCols(cols);
        mt_.reset();
        sigma2_ = (rn * ra).array().square().matrix();
        const Eigen::MatrixXd s2b = (rn * rb).array().square().matrix();
        sigma2_ -= s2b;
        noise_base_ = s2b.colwise().sum().cast<float>();
        r_minus_bypass_ = ra - rb;
        r_base_ = rb.colwise().sum();
        if (ideal || !idle || idle->level.rows() == 0) {
            r_base_.array() += unused * r_match();
        } else {
            // The unused rows' selected MTJs, sampled like the block's (static: the same
            // resistance for every read), with their access transistor; their read noise
            // adds to every read's.
            if (idle->level.rows() != unused || idle->level.cols() != cols || idle->complement.rows() != unused ||
                idle->complement.cols() != cols)
                throw std::logic_error("array: idle cells must cover the array rows beyond the block, one per block column");
            for (int j = 0; j < cols; ++j) {
                double r_idle = 0.0, v_idle = 0.0;
                for (int r = 0; r < unused; ++r) {
                    const int phys = idle->complement(r, j) ? cfg_.array.cols + j : j;
                    const CellSample c = sample_cell(rows + r, phys, idle->level(r, j), d2d_key, macro_factor);
                    const double rc = c.r_p_part + c.r_ap_part + cfg_.device.r_access;
                    r_idle += rc;
                    v_idle += (rn * rc) * (rn * rc);
                }
                r_base_(j) += r_idle;
                noise_base_(j) += static_cast<float>(v_idle);
            }
        }
        r_ = ra;
        g_ = g_.leftCols(cols).eval();
    } else {
        mt_.reset();
        sigma2_ = (rn * r_).array().square().matrix();
        r_minus_bypass_ = (r_.array() - r_bypass()).matrix();
        r_base_ = Eigen::RowVectorXd::Constant(cols, r_bypass() * (rows + unused));
    }
    sigma2f_.resize(0, 0);
    single_ended_.reset();
    row_g_ = g_.rowwise().sum();
    pair_units_.resize(0, 0);
    pair_plane_ = PlaneProduct();
}

const CrossbarArray::SingleEnded& CrossbarArray::single_ended() const {
    if (single_ended_) return *single_ended_;
    if (summation() != Summation::Current || !mt_ || solve_)
        throw std::logic_error("array: the single-ended read needs a built current-summation block");
    const int rows = this->rows(), cols = this->cols();
    auto se = std::make_unique<SingleEnded>();
    se->units.resize(rows, 2 * cols);
    se->units.leftCols(cols) = (mt_->array() / g_step_ - kappa()).cast<float>();
    if (sigma2_.size())
        se->units.rightCols(cols) = (sigma2_.array() / (g_step_ * g_step_)).cast<float>();
    else
        se->units.rightCols(cols).setZero();
    se->plane.pack(se->units.leftCols(cols), se->units.rightCols(cols));
    single_ended_ = std::move(se);
    return *single_ended_;
}

const Eigen::MatrixXf& CrossbarArray::sigma2f() const {
    if (sigma2f_.size() == 0) sigma2f_ = sigma2_.size() ? Eigen::MatrixXf(sigma2_.cast<float>()) : Eigen::MatrixXf::Zero(rows(), cols());
    return sigma2f_;
}

void CrossbarArray::pack_pairs(const std::vector<int>& plus, const std::vector<int>& minus) {
    if (plus.size() != minus.size() || summation() != Summation::Current || !mt_ || solve_)
        throw std::logic_error("array: pack_pairs needs a built current-summation block and one minus per plus column");
    const Eigen::Index np = static_cast<Eigen::Index>(plus.size()), c = cols();
    pair_units_.resize(rows(), 2 * np);
    const double s2 = 1.0 / (g_step_ * g_step_);
    for (Eigen::Index p = 0; p < np; ++p) {
        const Eigen::Index a = plus[static_cast<size_t>(p)], b = minus[static_cast<size_t>(p)];
        if (a < 0 || b < 0 || a >= c || b >= c) throw std::logic_error("array: pack_pairs column out of range");
        // The difference in double, then rounded once: exact integers stay exact.
        pair_units_.col(p) = ((mt_->col(a) - mt_->col(b)) / g_step_).cast<float>();
        if (sigma2_.size())
            pair_units_.col(np + p) = ((sigma2_.col(a) + sigma2_.col(b)) * s2).cast<float>();
        else
            pair_units_.col(np + p).setZero();
    }
    // The variances on the 16-bit grid of the plane read (when it holds every one within
    // 2^-7, i.e. each pair's combined noise sigma within 2^-8 = 0.4 %), for every read of the pairs
    // (the GEMM paths of PWM duties read the same values): half the plane read's variance
    // loads.
    const float step = PlaneProduct::fixed_grid(pair_units_.rightCols(np));
    pair_plane_.pack(pair_units_.leftCols(np), pair_units_.rightCols(np), step);
}

void CrossbarArray::apply_bias(const CellSample* cells) {
    const int rows = static_cast<int>(g_.rows()), cols = static_cast<int>(g_.cols());
    const double v = cfg_.array.v_read;
    const bool keep_r = r_.size() != 0;   // resistance summation
    if (!bias_dependent_tmr()) {
        // MtjDevice::cell_resistance of a bias-independent cell, inline (zero_bias_resistance):
        // the call per cell and its branches were 1.8 % of the demo's 1-sample run.
        for (int j = 0; j < cols; ++j)
            for (int i = 0; i < rows; ++i) {
                const CellSample& c = cells[static_cast<size_t>(j) * rows + i];
                if (keep_r) r_(i, j) = c.r_p_part + c.r_ap_part;
                g_(i, j) = 1.0 / dev_.zero_bias_resistance(c);
            }
        return;
    }
    for (int j = 0; j < cols; ++j)
        for (int i = 0; i < rows; ++i) {
            const CellSample& c = cells[static_cast<size_t>(j) * rows + i];
            // Resistance summation reads at small per-cell bias: zero-bias MTJ resistance.
            if (keep_r) r_(i, j) = c.r_p_part + c.r_ap_part;
            g_(i, j) = 1.0 / dev_.cell_resistance(c, v);
        }
}

void CrossbarArray::solve_ir_drop(const std::shared_ptr<TransferStore>& store, int threads) {
    // Reads g_ and cells_ (fixed until finish_build), writes only solved_g_ / solved_mt_.
    if (!bias_dependent_tmr()) {
        // Bias-independent cells: M of G as sampled (no copy of G, no cells needed).
        solved_mt_ = transfer_matrix_t_once(g_, cfg_.array.r_wire_row, cfg_.array.r_wire_col, store, threads);
        return;
    }
    Eigen::MatrixXd g = g_;
    const int rows = static_cast<int>(g.rows()), cols = static_cast<int>(g.cols());
    const double v = cfg_.array.v_read;
    auto cell = [&](int i, int j) -> const CellSample& { return cells_[static_cast<size_t>(j) * rows + i]; };
    // Bias-dependent cells: fixed point on each cell's secant conductance at the voltage it
    // actually sees with every row driven at v_read (the worst-case operating point), then
    // linearise around it.
    IrDropSolver solver(cfg_.array.r_wire_row, cfg_.array.r_wire_col);
    solver.factorize(g);
    const Eigen::VectorXd drive = Eigen::VectorXd::Constant(rows, v);
    for (int it = 0; it < 30; ++it) {
        const Eigen::MatrixXd vc = solver.cell_voltages(drive);
        double change = 0.0;
        for (int j = 0; j < cols; ++j)
            for (int i = 0; i < rows; ++i) {
                const double gn = 1.0 / dev_.cell_resistance(cell(i, j), vc(i, j));
                change = std::max(change, std::abs(gn - g(i, j)) / g(i, j));
                g(i, j) = gn;
            }
        solver.factorize(g);
        if (change < 1e-10) break;
    }
    // M depends only on (G, wires, shape, solver): a store may already hold it (TransferStore.h).
    solved_mt_ = transfer_matrix_t_once(g, cfg_.array.r_wire_row, cfg_.array.r_wire_col, store, threads);
    solved_g_ = std::move(g);
}

Eigen::MatrixXd CrossbarArray::column_resistance(const Eigen::MatrixXd& b) const {
    Eigen::MatrixXd r;
    column_resistance_into(b, r);
    return r;
}

void CrossbarArray::column_resistance_into(const Eigen::MatrixXd& b, Eigen::MatrixXd& r) const {
    r.noalias() = b * r_minus_bypass_;
    r.rowwise() += r_base_;
}

Eigen::MatrixXd CrossbarArray::noise_sigma(const Eigen::MatrixXd& a) const {
    Eigen::MatrixXd var = sigma2_.size() ? Eigen::MatrixXd(a.array().square().matrix() * sigma2_) : Eigen::MatrixXd::Zero(a.rows(), cols());
    if (noise_base_.size()) var.rowwise() += noise_base_.cast<double>();
    return var.array().sqrt().matrix();
}

double CrossbarArray::max_column_current() const {
    if (!mt_ || mt_->size() == 0) return 0.0;
    const Eigen::VectorXd all = Eigen::VectorXd::Constant(rows(), cfg_.array.v_read);
    return (mt_->transpose() * all).maxCoeff();
}

}  // namespace sotsim::phys
