// A programmed crossbar block: per-cell conductances (current summation) or resistances
// (resistance summation) sampled once at program time, the cached IR-drop transfer
// matrix, and the per-cell read-noise variances. Every read is a dense GEMM.
//
// Digit d of a cell maps to a device level: current summation stores larger digits as
// higher conductance (d = 0 -> all AP), resistance summation as higher resistance
// (d = 0 -> all P). With B digits per cell the levels used are spaced by
// (levels - 1) / (B - 1). The de-encoding assumes a digit-linear cell,
//   G(d) = G_lo + d dG   (current)   or   R(d) = R_lo + d dR   (resistance),
// with the nominal end points; the deviation of real (series-stack) levels from this
// line is a systematic error that calibration partly absorbs. In `sim.ideal` the cells
// are exactly digit-linear.
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "models/config/Config.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/PlaneProduct.h"
#include "models/physics/Rng.h"
#include "models/physics/TaskPool.h"
#include "models/physics/TransferStore.h"

namespace sotsim::phys {

class CrossbarArray {
public:
    CrossbarArray(const Config& cfg, int base);
    // G_lo and the digit step g_step of the nominal (make_ideal) cells of `cfg` for base-`base`
    // digits: g_lo() and g_step() of CrossbarArray(make_ideal(cfg), base), without the copies
    // of the configuration.
    static std::pair<double, double> nominal_line(const Config& cfg, int base);

    // Sample the block from final device levels (rows x cols; an XNOR cell array passes
    // rows x 2 cols: the weight MTJs, then their complements). Each physical MTJ draws its
    // device-to-device variation from its own stream keyed by (d2d_key, cell, level), so a
    // cell re-programmed to the same level has the same resistance (d2d variation is a
    // property of the device, not of the write). `macro_factor` is the die shift.
    //
    // XNOR cells: `idle` (optional) holds the array's rows beyond the block, which stay in
    // the series path: for each such row r (array row rows + r) and block column j, the
    // effective level of the MTJ the row driver selects and whether it is the complement.
    // Their sampled resistances form a static part of every column read (without `idle`, or
    // in `sim.ideal`, they add the nominal matched resistance).
    struct IdleCells {
        Eigen::MatrixXi level;       // (array rows - block rows) x block cols
        Eigen::MatrixXi complement;  // 1: the complement MTJ is selected, 0: the weight MTJ
    };
    void build(const Eigen::MatrixXi& levels, std::uint64_t d2d_key, double macro_factor, const IdleCells* idle = nullptr);
    // build() in two steps: begin_build samples the cells and, with exact IR drop, starts
    // the operating point and transfer matrix as a task on the process-wide pool of
    // sim.threads threads (TaskPool.h); finish_build waits for it (rethrowing its error) and
    // sets up the read operands. Nothing else may be called in between. The result is
    // bitwise that of build(): only when M is computed changes.
    void begin_build(const Eigen::MatrixXi& levels, std::uint64_t d2d_key, double macro_factor, const IdleCells* idle = nullptr);
    void finish_build();
    bool build_pending() const { return solve_ != nullptr; }
    ~CrossbarArray();
    CrossbarArray(const CrossbarArray&) = delete;
    CrossbarArray& operator=(const CrossbarArray&) = delete;

    int rows() const { return static_cast<int>(g_.rows()); }
    int cols() const { return static_cast<int>(g_.cols()); }
    Summation summation() const { return cfg_.array.summation; }

    // Nominal digit-linear parameters used by the digital de-encoding.
    double g_lo() const { return g_lo_; }
    double g_step() const { return g_step_; }
    double r_lo() const { return r_lo_; }
    double r_step() const { return r_step_; }
    double r_bypass() const { return cfg_.array.r_bypass; }
    bool xnor() const { return cfg_.array.cell == CellKind::Xnor2T2Mtj; }
    // XNOR cell: nominal resistance of a matching cell (R_P + r_access) and the extra
    // resistance of a mismatch (R_AP - R_P).
    double r_match() const { return r_lo_ + cfg_.device.r_access; }

    // Current summation: column currents (batch x cols) for row voltages V (batch x rows):
    // I = V M^T, with M the IR-drop transfer matrix (G^T without IR drop).
    Eigen::MatrixXd currents(const Eigen::MatrixXd& v) const { return v * transfer_t(); }
    // Resistance summation: series column resistance (batch x cols) of all array.rows cells
    // for input bit masks B (batch x rows, 0/1). OneT1Mtj: active cells contribute their
    // MTJ, inactive ones their bypass switch (array.r_bypass). Xnor2T2Mtj: B selects the
    // weight MTJ (1) or its complement (0) of every cell, plus r_access in series. Rows of
    // the array beyond the block are inactive (bypassed) or driven to match (XNOR) and add
    // their nominal resistance.
    Eigen::MatrixXd column_resistance(const Eigen::MatrixXd& b) const;
    // Output-referred read-noise sigma (batch x cols): sqrt(sum_i a_i^2 sigma_ij^2), where
    // a = V (current) or B (resistance) and sigma_ij = read_noise * G_ij (or R_ij).
    Eigen::MatrixXd noise_sigma(const Eigen::MatrixXd& a) const;

    // Allocation-free forms of the reads above for the MVM hot path (outputs are resized
    // only when the shape changes): i = V M^T; r = column_resistance(b); var = A2 sigma^2
    // with A2 the squared activities (a 0/1 plane is its own square). The variance GEMM
    // runs in float: it only scales the noise, where 1e-7 relative does not matter, and
    // costs half a double GEMM.
    void currents_into(const Eigen::MatrixXd& v, Eigen::MatrixXd& i) const { i.noalias() = v * transfer_t(); }
    void column_resistance_into(const Eigen::MatrixXd& b, Eigen::MatrixXd& r) const;
    // The operands of that product, r = B * resistance_operand() + resistance_base() (rowwise):
    // R(selected by 1) - R(selected by 0) per cell (rows x cols) and the column resistance
    // with every input bit 0 (for a per-vector read of the same sums, ResistanceReadout).
    const Eigen::MatrixXd& resistance_operand() const { return r_minus_bypass_; }
    const Eigen::RowVectorXd& resistance_base() const { return r_base_; }
    void noise_variance_into(const Eigen::MatrixXf& a2, Eigen::MatrixXf& var) const {
        var.noalias() = a2 * sigma2f();
        if (noise_base_.size()) var.rowwise() += noise_base_;
    }
    // The MVM kernel's read (current summation), in single precision and digit units: with
    // u = v_read dG the current of one digit step and kappa = G_lo / dG the nominal baseline
    // of a driven row,
    //   I = u (B S + kappa n) + noise,  S = M^T / dG - kappa  (rows x cols),
    //   var(I) = u^2 (B^2 V),           V = (read_noise G / dG)^2,
    // n = row sums of B. S holds the digits plus the cells' deviations (exact small integers
    // for digit-linear cells), so a float GEMM of integer inputs is exact while the sums stay
    // below 2^24, and otherwise within 1e-7 of the signal, far below the noise, variation and
    // converter steps it is read through; no baseline cancellation happens in float.
    // units_into computes [B S | B V] in one GEMM when `with_variance` (binary planes, whose
    // square is themselves), else B S; variance_units_into computes A2 V for other planes.
    // (Two products, not one over `cond ? matrix : block`: that expression's common type is a
    // matrix, i.e. a copy of the whole operand per call.)
    // [S | V] and its packed form are made on the first of these reads, not at build: a block
    // read through differential pairs (pack_pairs) never uses them.
    void units_into(const Eigen::MatrixXf& b, bool with_variance, RowMatrixXf& out) const {
        const Eigen::MatrixXf& sv = single_ended().units;
        if (with_variance)
            out.noalias() = b * sv;
        else
            out.noalias() = b * sv.leftCols(cols());
    }
    // The same read for a 0/1 plane (binary, signed or one bit plane): each vector sums the
    // rows it drives from the operand packed at build (PlaneProduct), in row order.
    void binary_units_into(const Eigen::MatrixXf& b, bool with_variance, RowMatrixXf& out) const {
        single_ended().plane.multiply(b, true, with_variance, out);
    }
    void variance_units_into(const Eigen::MatrixXf& a2, RowMatrixXf& var) const {
        var.noalias() = a2 * single_ended().units.rightCols(cols());
    }
    // Differential pairs converted as I+ - I- (one conversion per pair): the converter never
    // sees the columns apart, so the read is one GEMM of the logical width on
    //   D = S+ - S- = (M+ - M-)^T / dG   (the baselines cancel exactly: no kappa n term),
    //   W = V+ + V-                      (the two columns' read noise is independent),
    // packed once after build by pack_pairs(plus, minus) (physical column indices). Half the
    // columns of units_into, and D is exact small integers for digit-linear cells.
    void pack_pairs(const std::vector<int>& plus, const std::vector<int>& minus);
    int pairs() const { return static_cast<int>(pair_units_.cols() / 2); }
    void pair_units_into(const Eigen::MatrixXf& b, bool with_variance, RowMatrixXf& out) const {
        if (with_variance)
            out.noalias() = b * pair_units_;
        else
            out.noalias() = b * pair_units_.leftCols(pairs());
    }
    void binary_pair_units_into(const Eigen::MatrixXf& b, bool with_variance, RowMatrixXf& out) const {
        pair_plane_.multiply(b, true, with_variance, out);
    }
    // The same for vectors [first, first + count) of b (rows of out from 0).
    void binary_pair_units_into(const Eigen::MatrixXf& b, Eigen::Index first, Eigen::Index count, bool with_variance,
                                RowMatrixXf& out) const {
        pair_plane_.multiply(b, first, count, true, with_variance, out);
    }
    // The same from the plane's bits (PlaneBits), the same results.
    void binary_pair_units_into(const PlaneBits& b, Eigen::Index first, Eigen::Index count, bool with_variance,
                                RowMatrixXf& out) const {
        pair_plane_.multiply(b, first, count, true, with_variance, out);
    }
    void pair_variance_units_into(const Eigen::MatrixXf& a2, RowMatrixXf& var) const {
        var.noalias() = a2 * pair_units_.rightCols(pairs());
    }
    double unit_current() const { return cfg_.array.v_read * g_step_; }   // u (A per digit)
    double kappa() const { return g_lo_ / g_step_; }
    // Row sums of G (rows), for the data-dependent array-read energy; cached at build.
    const Eigen::VectorXd& row_conductance() const { return row_g_; }
    bool has_read_noise() const { return cfg_.device.read_noise > 0.0 && !cfg_.sim.ideal; }

    const Eigen::MatrixXd& conductance() const { return g_; }   // S (current summation)
    const Eigen::MatrixXd& resistance() const { return r_; }    // Ohm (active cells / weight MTJs, resistance summation; empty for current summation)
    const Eigen::MatrixXd& transfer_t() const { return mt_ ? *mt_ : kNoMatrix; }   // M^T (rows x cols)
    // Maximum column current with every row at v_read (S * V), for the ADC range.
    double max_column_current() const;

private:
    // Cell conductance depends on the voltage a cell sees (device.tmr_v_half > 0): the IR
    // drop is then a fixed point on the cells, which must be kept until it is solved.
    bool bias_dependent_tmr() const { return cfg_.device.tmr_v_half > 0.0; }
    // G of every cell at v_read (and R at zero bias) from the sampled cells.
    void apply_bias(const CellSample* cells);   // cells: rows x cols, column-major
    // The task of begin_build: bias-dependent operating point from g_ and cells_ (only with
    // device.tmr_v_half > 0; else G stays as sampled), then M^T, into solved_g_ and solved_mt_.
    void solve_ir_drop(const std::shared_ptr<TransferStore>& store, int threads);
    // The read operands from g_, r_ and mt_ (the rest of build).
    void complete_build(const IdleCells* idle, std::uint64_t d2d_key, double macro_factor);
    // The single-ended read operands of a built current-summation block, [S | V] in digit
    // units (units_into) and packed for 0/1 planes, made from mt_ and sigma2_ on first use.
    struct SingleEnded {
        Eigen::MatrixXf units;
        PlaneProduct plane;
    };
    const SingleEnded& single_ended() const;
    // sigma2_ in float (the variance GEMM of resistance summation), made on first use.
    const Eigen::MatrixXf& sigma2f() const;
    // Device-to-device stream of the MTJ at array row i, physical MTJ column j (XNOR
    // complements at array.cols + c), level lv: one stream per physical device and level.
    std::uint64_t cell_key(int i, int j, int lv, std::uint64_t d2d_key) const;
    // That MTJ's sample.
    CellSample sample_cell(int i, int j, int lv, std::uint64_t d2d_key, double macro_factor) const;

    // What the array reads of the configuration. (A whole Config per programmed block also
    // copied its technology tables: ~75 allocations each, three per program with the nominal
    // array of the design range.)
    struct Settings {
        DeviceConfig device;
        ArrayConfig array;
        SimConfig sim;
    };
    Settings cfg_;
    MtjDevice dev_;
    int base_;
    int level_step_;
    double g_lo_ = 0, g_step_ = 0, r_lo_ = 0, r_step_ = 0;
    Eigen::MatrixXd g_, r_;
    // M^T: with exact IR drop the one matrix of this G that TransferSolve keeps in memory
    // (shared, never written), else a copy of G; null for resistance summation.
    std::shared_ptr<const Eigen::MatrixXd> mt_;
    static const Eigen::MatrixXd kNoMatrix;   // what transfer_t() returns without M
    // Per-cell read-noise variance (rows x cols); empty for current summation without read
    // noise, where every entry would be 0 (the readers treat empty as zeros).
    Eigen::MatrixXd sigma2_;
    Eigen::MatrixXd r_minus_bypass_;  // R(selected by 1) - R(selected by 0): resistance GEMM operand
    Eigen::RowVectorXd r_base_;       // column resistance with every input bit 0 (all array rows)
    // Operands made on first use (single_ended(), sigma2f()), without a lock: correct
    // because a block is read by one thread at a time (its program's task, which makes the
    // calibration reads of AnalogMacro::begin_program_async, then the SystemC thread, after
    // waiting for that task); reads from two threads at once would need std::call_once here (PlaneProduct's scratch is thread_local). Empty until then (and after
    // every build). Made at build, they held ~80 KB in each programmed macro that never read
    // them (a differential block reads pair_units_ only).
    mutable std::unique_ptr<SingleEnded> single_ended_;
    mutable Eigen::MatrixXf sigma2f_;
    Eigen::RowVectorXf noise_base_;   // XNOR: variance of the complements (selected by 0)
    Eigen::MatrixXf pair_units_;      // [D | W] of the differential pairs, see pack_pairs
    PlaneProduct pair_plane_;         // the same operand packed for 0/1 planes
    Eigen::VectorXd row_g_;           // g_.rowwise().sum()
    // A pending begin_build: its task and what it reads / writes.
    TaskPool::Handle solve_;
    std::vector<CellSample> cells_;
    Eigen::MatrixXd solved_g_;
    std::shared_ptr<const Eigen::MatrixXd> solved_mt_;
};

}  // namespace sotsim::phys
