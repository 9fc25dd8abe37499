#include "models/physics/AnalogMacro.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "models/common/Transpose.h"

#include "models/physics/Adc.h"
#include "models/physics/Calibration.h"
#include "models/physics/CellWriter.h"
#include "models/physics/CrossbarArray.h"
#include "models/physics/CycleTime.h"
#include "models/physics/MtjDevice.h"
#include "models/physics/PairReadout.h"
#include "models/physics/Periphery.h"
#include "models/physics/ResistanceReadout.h"
#include "models/physics/Rng.h"
#include "models/physics/TaskPool.h"
#include "models/physics/TimeToDigital.h"
#include "models/physics/WeightLayout.h"

namespace sotsim::phys {

class AnalogMacroImpl {
public:
    AnalogMacroImpl(const Config& cfg, int macro_id)
        : cfg_(cfg.sim.ideal ? make_ideal(cfg) : cfg),
          id_(macro_id),
          dev_(cfg_.device),
          writer_(cfg_),
          sa_(cfg_.periphery.sense_amp),
          tdc_(TimeToDigital::from_config(cfg_)),
          neuron_(cfg_.periphery.neuron) {
        const auto seed = cfg_.sim.seed;
        const auto id = static_cast<std::uint64_t>(macro_id);
        Rng shift = Rng::derive(seed, id, "macro_shift");
        macro_factor_ = dev_.sample_macro_factor(shift);
        d2d_key_ = Rng::derive(seed, id, "device_d2d").key();
        write_rng_ = Rng::derive(seed, id, "write");
        noise_key_ = Rng::derive(seed, id, "read_noise").key();
        neuron_key_ = Rng::derive(seed, id, "neuron_noise").key();
        calib_key_ = Rng::derive(seed, id, "calibration_inputs").key();
        // XNOR bit cells hold two MTJs: weight MTJs in columns [0, cols), their
        // complements in [cols, 2 cols).
        const int mtj_cols = xnor() ? 2 * cfg_.array.cols : cfg_.array.cols;
        state_ = Eigen::MatrixXi::Zero(cfg_.array.rows, mtj_cols);  // erased: all P
        // Stuck MTJs: a level per MTJ, -1 where it is not stuck; without stuck faults the
        // matrix stays empty (every MTJ free: 16 KiB less in each of the chip's macros).
        if (cfg_.device.stuck_p_rate > 0.0 || cfg_.device.stuck_ap_rate > 0.0) {
            faults_ = Eigen::MatrixXi::Constant(cfg_.array.rows, mtj_cols, -1);
            Rng fr = Rng::derive(seed, id, "stuck_faults");
            for (int i = 0; i < cfg_.array.rows; ++i)
                for (int j = 0; j < mtj_cols; ++j) faults_(i, j) = dev_.sample_fault(fr);
        }
        adc_ = AdcRegistry::builtin().create(cfg_.periphery.adc);
        Rng am = Rng::derive(seed, id, "adc_mismatch");
        adc_->sample_mismatch(cfg_.array.cols, am);
        Rng so = Rng::derive(seed, id, "sense_amp_offset");
        sa_.sample_offsets(cfg_.array.cols, so);
        // Analog accumulation: each output column's transfer onto the summing node has a
        // static gain (coupling capacitor / mirror mismatch), 1 + N(0, gain_sigma).
        Rng sg = Rng::derive(seed, id, "analog_sum_gain");
        sum_gain_.assign(static_cast<size_t>(cfg_.array.cols), 1.0);
        for (auto& g : sum_gain_) g = 1.0 + cfg_.periphery.accumulation.gain_sigma * sg.normal();
        sum_noise_key_ = Rng::derive(seed, id, "analog_sum_noise").key();
    }

    ~AnalogMacroImpl() { join_program(); }
    AnalogMacroImpl(const AnalogMacroImpl&) = delete;
    AnalogMacroImpl& operator=(const AnalogMacroImpl&) = delete;

    // program() in two steps (AnalogMacro::begin_program / finish_program). `build`: sample
    // the cells and start their IR-drop solve now; else finish_program does (a program
    // finished as a task, AnalogMacro::begin_program_async).
    void begin_program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac, bool build = true);
    ProgramResult finish_program(ActionCounter& ac);
    // The write of a begun program (pending_.target) into state_, its counts into `ac` and its
    // part of pending_.r; then the new array, its cells sampled now (`build`) or kept.
    void write_cells(ActionCounter& ac, bool build);
    // A program finished as a task on the sim.threads pool: its handle, the counter it adds
    // to, and its result (valid once the task has run). Touched by the initiating thread only.
    struct AsyncFinish {
        TaskPool::Handle task;
        ActionCounter* ac = nullptr;
        ProgramResult r;
    } async_;
    // Waits for that task, if any (its error dropped: for the destructor).
    void join_program() noexcept {
        if (!async_.task) return;
        try {
            TaskPool::shared(cfg_.sim.threads).wait(async_.task);
        } catch (...) {
        }
        async_.task.reset();
    }
    MvmResult mvm(const Eigen::MatrixXf& x, ActionCounter& ac, const Eigen::MatrixXf* analog_in);
    double mvm_rows(const float* x, Eigen::Index n, float* y, ActionCounter& ac, const float* analog_in);
    bool read_cost_separable() const;
    bool reads_batch_exact() const;
    double read_cost(const float* x, ActionCounter& ac) const;
    Eigen::MatrixXi read_weights() const;
    // Analog accumulation: this block's transfer onto the summing node (gain error and
    // noise act on the analog part, the digital +-1 input correction stays exact).
    void transfer_to_node(ActionCounter& ac, double& latency);

    Config cfg_;
    std::vector<double> sum_gain_;
    std::uint64_t sum_noise_key_ = 0;
    int id_;
    MtjDevice dev_;
    CellWriter writer_;
    SenseAmp sa_;
    TimeToDigital tdc_;
    SigmoidNeuron neuron_;
    std::unique_ptr<Adc> adc_;
    double macro_factor_ = 1.0;
    std::uint64_t d2d_key_ = 0;
    Rng write_rng_, calib_rng_;
    std::uint64_t calib_key_ = 0;     // calibration-input stream of this macro, mixed with the block key
    // Read-time randomness (read noise, neuron noise) is counter-based, not one stream
    // consumed in call order: the draws of vector v (v-th vector ever read from the block
    // with content hash block_key_, so sample-major across batches) in input cycle k come
    // from their own stream keyed by (seed, macro, block, v, k). Results therefore do not
    // depend on how the samples are split into batches or transactions (sim.batch, --batch,
    // the memory budget). Calibration reads use a separate stream family.
    std::uint64_t noise_key_ = 0, neuron_key_ = 0;
    std::uint64_t block_key_ = 0;                 // hash of the programmed block (weights + spec)
    std::unordered_map<std::uint64_t, std::uint64_t> block_reads_;   // block key -> vectors read
    std::uint64_t read_stream_ = 0, first_read_ = 0;  // of the current estimate() call
    // Select the noise stream for the next estimate() of n vectors: read v of that call
    // draws from (stream, reads so far on the stream + v), so no read is ever drawn twice.
    void begin_reads(std::uint64_t stream, std::int64_t n) {
        read_stream_ = stream;
        first_read_ = block_reads_[stream];
        block_reads_[stream] += static_cast<std::uint64_t>(n);
    }
    Rng read_rng(std::uint64_t family, std::uint64_t v, int cycle) const {
        return Rng(splitmix64_mix(family ^ read_stream_ ^ splitmix64_mix((first_read_ + v) * 64 + static_cast<std::uint64_t>(cycle))));
    }
    Eigen::MatrixXi state_, faults_;   // faults_: empty when no MTJ is stuck
    int stuck_level(int i, int j) const { return faults_.size() ? faults_(i, j) : -1; }

    bool programmed_ = false;
    // Between begin_program and finish_program: what the second step needs of the first.
    struct PendingProgram {
        bool active = false;
        Eigen::MatrixXi w, digits;
        ProgramResult r;   // the write's part
        // begin_program without `build`: the target levels until written (write_cells),
        // then the written levels and idle cells until sampled (CrossbarArray::begin_build).
        bool written = true, built = true;
        Eigen::MatrixXi target, levels;
        std::unique_ptr<CrossbarArray::IdleCells> idle;
    } pending_;
    BlockSpec spec_;
    std::unique_ptr<WeightLayout> layout_;
    std::unique_ptr<CrossbarArray> array_;
    int phys_cols_ = 0;
    Eigen::VectorXd w_colsum_;
    // What S of each physical column means (rows x physical cols): the intended digits, or for
    // a differential readout d+ - d- on the + column and 0 on the -. Programming data only
    // (design range, range vectors, calibration targets): released with the work buffers.
    Eigen::MatrixXd ideal_digits_;
    Eigen::RowVectorXd digit_count_;  // XNOR: digits per column (sum_i u_ic), design data
    // Calibration capture: per-cycle column signals and active-row counts.
    bool capture_ = false;
    // Range measurement: peak |converted value| and whether an end code was hit.
    bool range_capture_ = false;
    double range_peak_ = 0.0;
    bool range_clipped_ = false;
    Eigen::MatrixXd cap_s_, cap_ideal_;
    Eigen::VectorXd cap_n_;
    ColumnCalibration calib_;
    // Column signals of the last mvm(): in last_currents_, or (after a fused differential read)
    // as the pairs' converter inputs in kept_pairs_, laid out on demand.
    mutable Eigen::MatrixXd last_currents_;
    mutable bool currents_in_pairs_ = false;
    RowMatrixXd kept_pairs_;
    // A call of one input cycle keeps the pairs' float converter inputs in digit units
    // instead (PairReadout::Cycle::inputs): the currents are kept_weight_ * unit * input.
    RowMatrixXf kept_inputs_;
    bool kept_as_inputs_ = false;
    double kept_weight_ = 1.0;
    // A one-cycle current-summation read without an ADC leaves read_ as it was read: the
    // currents are read_weight_ * read_, formed on demand (a batch x physical-columns pass
    // per call that a chip's run never reads). Formed before any other read replaces read_.
    mutable bool currents_in_read_ = false;
    double read_weight_ = 1.0;
    const Eigen::MatrixXd& column_currents() const;
    // The differential-ADC readout fused per vector (configured after calibration).
    PairReadout fused_pairs_;
    bool fused_readout_ = true;   // set_fused_readout
    // The resistance-summation TDC readout fused per vector on row-major inputs (configured
    // at programming), and the column resistances of its last read (the kept currents are
    // v_read / R laid out on demand, like the pairs').
    ResistanceReadout rows_readout_;
    RowMatrixXd kept_rows_;
    mutable bool currents_in_rows_ = false;
    bool rows_fused() const {
        return fused_readout_ && rows_readout_.ready() && spec_.readout == ReadoutKind::Tdc && !array_->has_read_noise() &&
               !capture_ && !range_capture_ && !calib_.active() && spec_.analog_sum == AnalogSum::None;
    }
    // mvm_rows of a block the fused readout covers.
    double mvm_rows_fused(const float* x, Eigen::Index n, float* y, ActionCounter& ac);
    Eigen::MatrixXf rows_x_;   // mvm_rows through the general path: the column-major copy

private:
    void validate_spec(const Eigen::MatrixXi& w, const BlockSpec& spec) const;
    template <class Matrix>
    void check_inputs(const Matrix& x) const;
    int slice_bits() const { return AnalogMacro::slice_bits(spec_); }
    int input_cycles() const { return AnalogMacro::input_cycles(spec_); }
    // Row activity of input cycle k of x into planef_ (batch x rows; 0/1, or PWM duty in
    // [0,1]; the GEMM operand, exact for 0/1 planes) and its row sums into in_sum_; into
    // plane_ (double) too where a double consumer needs it (resistance summation,
    // calibration capture, PWM). Returns the place value of the cycle's result.
    double fill_plane(const Eigen::MatrixXf& x, int k);
    // True when the bit planes of bit-serial inputs may be summed before the array read:
    // ohmic (cached M) current summation with nothing non-linear or random per cycle (no
    // read noise, no ADC quantisation, no per-cycle calibration), so that
    // sum_k 2^k (B_k M^T) = X M^T and every later step is linear in the column signal.
    bool cycles_fusable() const;
    // Column signals of one read into s_ (digit units, baseline removed) from the raw
    // column read in read_ (currents, or resistances for resistance summation).
    void column_signal();
    // De-encoded analog estimate of X*W (batch x logical cols) into y_, before the
    // decision; counts actions and returns the batch latency. Given `out`, a read whose
    // estimate is already the result (one input cycle through the fused pair readout, an
    // ADC with nothing after it) writes the float result there instead: returns true then.
    bool estimate(const Eigen::MatrixXf& x, ActionCounter& ac, double& latency, bool keep_currents, Eigen::MatrixXf* out = nullptr);

    // Current-summation read of input cycle k: one float GEMM of planef_ with [S | V]
    // (CrossbarArray::units_into), then I = u (s + kappa n + sqrt(var) z) with z from the
    // vectors' own streams, in one pass over the batch, into read_ (A). With `pairs`
    // (differential ADC) the converter inputs I+ - I- into pair_ (batch x pairs) instead,
    // from one GEMM of the logical width (CrossbarArray::pair_units_into, no baseline) and
    // one normal per conversion (the pair's noise variance is the sum of its two columns').
    void read_currents(int k, bool pwm, bool pairs);
    // The unit reads (outf_, pvarf_) and normals of read_currents, without the currents.
    void read_units(int k, bool pwm, bool pairs);
    // Normals of input cycle k for `batch` vectors, nc per vector (row-major), each vector
    // from its own stream.
    void draw_normals(int k, Eigen::Index batch, Eigen::Index nc) { draw_normals(k, 0, batch, nc); }
    // The same for vectors [first, first + count) of the call (row j: vector first + j).
    void draw_normals(int k, Eigen::Index first, Eigen::Index count, Eigen::Index nc);
    // The fused differential readout of input cycle k (estimate()): read, convert,
    // calibrate and combine, kReadChunk vectors at a time. `single`: the call has this
    // cycle only (the converter inputs are kept, not the currents); `out`: the result
    // goes there (batch x logical cols), not to y_.
    void read_pairs_fused(int k, bool pwm, double weight, bool single, float* out);
    // dst = u (outf_ + kappa n [+ sqrt(var) z]) over the nc signal columns of outf_; the
    // variance is outf_'s right half when it has 2 nc columns, else pvarf_.
    void currents_from_units(bool noisy, Eigen::Index nc, double kappa, Eigen::MatrixXd& dst);
    // Differential ADC: record (keep) and convert pair_, then lay it out on the physical
    // columns as the column signals s_ (I+ - I- on the + column, 0 on the - column).
    void convert_pairs(double weight, bool keep, bool first);
    // Range measurement: track the peak and end-code hits of converted values q.
    void note_range(const Eigen::MatrixXd& q);

    // Per-call work buffers, kept between calls (resized only when the batch changes).
    Eigen::MatrixXd xd_, plane_, vin_, read_, s_, y_plane_, y_, pair_, delay_;
    // Frees them (and the calibration capture): called when a program is finished, whose
    // range and calibration reads sized them for calibration_vectors. Kept, they would hold
    // ~0.1 MB in each of a chip's programmed macros (9 MB of first-touch pages in the
    // 68-macro demo); freed, the next macro's programming reuses the same memory. Every
    // buffer is written before it is read in each call, so results do not change.
    void release_work_buffers();
    std::vector<int> pair_plus_, pair_minus_;   // differential ADC: physical columns of each pair
    bool pairs_cover_ = false;                  // every physical column is in a pair
    Eigen::MatrixXf a2f_, varf_, planef_;
    const Eigen::MatrixXf* plane_in_ = &planef_;   // the cycle's plane: planef_, or x itself (binary)
    RowMatrixXf outf_, pvarf_;        // unit reads (row-major: one vector per row) and PWM variances
    std::vector<float> normalsf_;
    Eigen::VectorXd in_sum_;
    Eigen::VectorXd row_drives_;      // column sums of the plane: drive (duty) per row over the batch
    Eigen::VectorXf insf_;
    // The cycle's 0/1 plane as bits, with its row sums (fill_plane, batches of more than
    // one vector): the fused readout's plane reads build their lists from it.
    PlaneBits plane_bits_;
    bool plane_bits_valid_ = false;
    bool x_scanned_ = false;   // mvm() made plane_bits_ of its binary x (for this call's fill_plane only)
    int digit_of_level(int lv) const;
    // XNOR: the cells of the array rows beyond a block of `rows` rows and `pc` columns, as
    // the row drivers select them (CrossbarArray::IdleCells).
    CrossbarArray::IdleCells idle_cells(int rows, int pc) const;
    int level_step() const { return (dev_.levels() - 1) / (layout_->base() - 1); }
    bool current_mode() const { return cfg_.array.summation == Summation::Current; }
    bool xnor() const { return cfg_.array.summation == Summation::Resistance && cfg_.array.cell == CellKind::Xnor2T2Mtj; }
    // Differential pairs converted as I+ - I- (one conversion per pair).
    bool differential_adc() const {
        return current_mode() && spec_.readout == ReadoutKind::Adc && layout_ &&
               layout_->encoding() == WeightEncoding::Differential && cfg_.periphery.adc.input == AdcInput::Differential;
    }
    // Conversions per input cycle.
    int conversions() const { return differential_adc() ? phys_cols_ / 2 : phys_cols_; }
    // Design range of the ADC from the block's digits and the nominal cell conductances
    // (every row driven): never from the sampled cells.
    void set_design_range();
    // Calibration input vectors: vector b activates each row with probability (b + 1/2) / n.
    Eigen::MatrixXf calibration_inputs(int n);
    // ADC range from calibration vectors measured through the readout itself (auto-ranging:
    // widen while an end code is hit, then fit the range to the measured peak).
    void measure_range(ActionCounter& ac, double& time);
    // Range calibration vectors (at most about n): the design's extreme inputs per column.
    Eigen::MatrixXf range_inputs(int n) const;
    // Quantise the converter input of this cycle in read_ (current summation, ADC readout).
    void convert_currents();
};

int AnalogMacro::slice_bits(const BlockSpec& spec) {
    if (spec.input == InputEncoding::BitSerial) return 1;
    if (spec.input == InputEncoding::Pwm && spec.input_slice_bits > 0) return std::min(spec.input_slice_bits, spec.input_bits);
    return spec.input_bits;
}

int AnalogMacro::input_cycles(const BlockSpec& spec) {
    if (spec.input != InputEncoding::BitSerial && spec.input != InputEncoding::Pwm) return 1;
    const int sb = slice_bits(spec);
    return (spec.input_bits + sb - 1) / sb;
}

void AnalogMacroImpl::validate_spec(const Eigen::MatrixXi& w, const BlockSpec& spec) const {
    auto bad = [](const std::string& m) { throw std::invalid_argument("macro program: " + m); };
    if (spec.rows <= 0 || spec.cols <= 0) bad("block must have rows > 0 and cols > 0");
    if (w.rows() != spec.rows || w.cols() != spec.cols)
        bad("weights are " + std::to_string(w.rows()) + "x" + std::to_string(w.cols()) + " but the block spec says " +
            std::to_string(spec.rows) + "x" + std::to_string(spec.cols));
    if (spec.rows > cfg_.array.rows) bad("block has " + std::to_string(spec.rows) + " rows, array only " + std::to_string(cfg_.array.rows));
    if (spec.input_bits < 1 || spec.input_bits > kMaxInputBits)
        bad("input_bits must be in 1.." + std::to_string(kMaxInputBits));
    if (spec.input_slice_bits < 0) bad("input_slice_bits must be >= 0");
    const bool res = cfg_.array.summation == Summation::Resistance;
    if (res && spec.readout != ReadoutKind::Tdc) bad("resistance summation is read by the time-to-digital converter (readout tdc)");
    if (!res && spec.readout == ReadoutKind::Tdc) bad("readout tdc needs array.summation resistance");
    if (res && spec.input == InputEncoding::Pwm) bad("PWM inputs need current summation (charge integration)");
    if (xnor() && dev_.levels() != 2)
        bad("xnor_2t2mtj cells hold one bit per MTJ pair: they need a single-MTJ device (device.stack 1, two levels)");
    if (spec.analog_sum != AnalogSum::None &&
        (res || (spec.readout != ReadoutKind::SenseAmp && spec.readout != ReadoutKind::SigmoidNeuron)))
        bad("analog accumulation across row blocks needs current summation and a sense_amp or sigmoid_neuron readout");
    if ((spec.readout == ReadoutKind::SenseAmp || spec.readout == ReadoutKind::SigmoidNeuron) &&
        static_cast<int>(spec.threshold.size()) != spec.cols && !spec.threshold.empty())
        bad("threshold needs one value per logical column");
}

template <class Matrix>
void AnalogMacroImpl::check_inputs(const Matrix& x) const {
    if (x.cols() != spec_.rows)
        throw std::invalid_argument("macro mvm: inputs have " + std::to_string(x.cols()) + " columns, block has " +
                                    std::to_string(spec_.rows) + " rows");
    const bool sign = spec_.input == InputEncoding::Signed;
    const float maxv = spec_.input == InputEncoding::Binary || sign ? 1.0f : static_cast<float>((1 << spec_.input_bits) - 1);
    auto ok = [sign, maxv](float v) {
        if (sign) return (v == 1.0f) | (v == -1.0f);
        // Range first (rejects NaN and inf too); a value out of range is replaced by 0.5 so
        // the integrality test by truncation never converts it.
        const bool in = (v >= 0.0f) & (v <= maxv);
        const float c = in ? v : 0.5f;
        return in & (static_cast<float>(static_cast<int>(c)) == c);
    };
    // One vectorised pass: the summed distances to the domain (|x| - 1 for signed inputs;
    // |x - floor(clamp(x, 0, maxv))| otherwise, which is 0 exactly for an integer in range)
    // are 0 exactly when every input is valid, and NaN or inf poison the sum. Only then is
    // the bad input looked for. (A count of !ok() does not vectorise: its ordered
    // comparisons may trap, so GCC keeps them as branches.)
    const auto a = x.array();
    const float err = sign ? (a.abs() - 1.0f).abs().sum() : (a - a.max(0.0f).min(maxv).floor()).abs().sum();
    if (err == 0.0f) return;
    // Name the first bad input in vector order.
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        for (Eigen::Index i = 0; i < x.cols(); ++i)
            if (!ok(x(b, i)))
                throw std::invalid_argument("macro mvm: input " + std::to_string(x(b, i)) + " at (" + std::to_string(b) + "," +
                                            std::to_string(i) + ") is outside the input encoding's domain");
}

double AnalogMacroImpl::fill_plane(const Eigen::MatrixXf& x, int k) {
    double weight = 1.0;
    plane_in_ = &planef_;
    plane_bits_valid_ = false;
    switch (spec_.input) {
        case InputEncoding::Binary: plane_in_ = &x; break;   // a 0/1 plane already: no copy
        case InputEncoding::Signed:
            planef_ = (x.array() + 1.0f) * 0.5f;   // {-1,+1} -> {0,1} exactly
            weight = 2.0;
            break;
        case InputEncoding::BitSerial:
            planef_ = x.unaryExpr([k](float v) { return static_cast<float>((static_cast<int>(v) >> k) & 1); });
            weight = std::ldexp(1.0, k);
            break;
        case InputEncoding::Pwm: {
            // Slice k of the input (all of it when it fits the DAC) as a duty in [0, 1],
            // formed in double (its row sums are the baseline's operand).
            const int sb = slice_bits(), shift = k * sb;
            const long mask = (1L << sb) - 1;
            const double slots = static_cast<double>(mask);
            if (input_cycles() == 1)
                plane_ = x.cast<double>() / slots;
            else
                plane_ = x.cast<double>().unaryExpr([shift, mask, slots](double v) {
                    return static_cast<double>((static_cast<long>(v) >> shift) & mask) / slots;
                });
            planef_ = plane_.cast<float>();
            in_sum_ = plane_.rowwise().sum();
            row_drives_ = plane_.colwise().sum().transpose();
            return std::ldexp(slots, shift);
        }
    }
    // Active rows per vector (the baseline's operand) and drives per row (the array-read
    // energy's), summed in float: exact integer counts for 0/1 planes.
    const Eigen::MatrixXf& pl = *plane_in_;
    if (pl.rows() == 1) {
        // One vector (a streamed program): the same float sum in the same order, and each
        // row's drive is its one element, without column loops of one element.
        const float* p = pl.data();
        float active = 0.0f;
        row_drives_.resize(pl.cols());
        for (Eigen::Index i = 0; i < pl.cols(); ++i) {
            active += p[i];
            row_drives_(i) = static_cast<double>(p[i]);
        }
        insf_.setConstant(1, active);
    } else {
        // One pass over the plane for its bits and both sums (exact integer counts, the
        // values the float sums of the 0/1 entries give); mvm() made them with its domain
        // check for a binary x.
        if (!(x_scanned_ && plane_in_ == &x)) plane_bits_.assign(pl);
        x_scanned_ = false;
        plane_bits_valid_ = true;
        insf_.resize(pl.rows());
        row_drives_.resize(pl.cols());
        for (Eigen::Index b = 0; b < pl.rows(); ++b) insf_(b) = static_cast<float>(plane_bits_.per_vector()[static_cast<size_t>(b)]);
        for (Eigen::Index i = 0; i < pl.cols(); ++i) row_drives_(i) = static_cast<double>(plane_bits_.per_row()[static_cast<size_t>(i)]);
    }
    in_sum_ = insf_.cast<double>();
    if (!current_mode() || capture_) plane_ = pl.cast<double>();
    return weight;
}

bool AnalogMacroImpl::cycles_fusable() const {
    return input_cycles() > 1 && current_mode() && !array_->has_read_noise() &&
           (cfg_.sim.ideal || spec_.readout != ReadoutKind::Adc) && !capture_ && !calib_.active();
}

CrossbarArray::IdleCells AnalogMacroImpl::idle_cells(int rows, int pc) const {
    // The driver of an unused row selects the MTJ of each cell that was written P (what the
    // macro stored, not the sampled device): the complement where the weight MTJ holds AP,
    // else the weight MTJ (an erased cell has both P). A stuck MTJ reads its stuck level.
    const int n = cfg_.array.rows - rows, cols = cfg_.array.cols;
    CrossbarArray::IdleCells c;
    c.level.resize(n, pc);
    c.complement.resize(n, pc);
    for (int j = 0; j < pc; ++j)
        for (int r = 0; r < n; ++r) {
            const int i = rows + r;
            const bool comp = state_(i, j) != 0 && state_(i, cols + j) == 0;
            const int mcol = comp ? cols + j : j;
            c.complement(r, j) = comp ? 1 : 0;
            c.level(r, j) = stuck_level(i, mcol) >= 0 ? stuck_level(i, mcol) : state_(i, mcol);
        }
    return c;
}

int AnalogMacroImpl::digit_of_level(int lv) const {
    const int step = level_step();
    const int top = dev_.levels() - 1;
    const int d = static_cast<int>(std::lround(static_cast<double>(current_mode() ? top - lv : lv) / step));
    return std::max(0, std::min(layout_->base() - 1, d));
}

void AnalogMacroImpl::begin_program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac, bool build) {
    if (pending_.active) throw std::logic_error("macro program: the previous program is not finished");
    validate_spec(w, spec);
    auto layout = std::make_unique<WeightLayout>(WeightLayout::from_config(cfg_, spec.weight_bits, dev_.levels()));
    const Eigen::MatrixXi digits = layout->encode(w);
    const int pc = layout->physical_cols(spec.cols);
    if (pc > cfg_.array.cols)
        throw std::invalid_argument("macro program: block needs " + std::to_string(pc) + " physical columns, array has " +
                                    std::to_string(cfg_.array.cols));
    spec_ = spec;
    layout_ = std::move(layout);
    fused_pairs_.clear();
    rows_readout_.clear();
    currents_in_pairs_ = false;
    currents_in_rows_ = false;
    currents_in_read_ = false;
    last_currents_.resize(0, 0);
    phys_cols_ = pc;
    const int rows = spec.rows;
    // Time-domain readout: the counter window of this block's K rows (design data).
    if (!current_mode()) tdc_ = TimeToDigital::for_block(cfg_, rows);

    // Digits -> target device levels. XNOR: the weight MTJ is P for digit 1 (an input bit 1
    // matches it), the complement P for digit 0.
    const int step = level_step(), top = dev_.levels() - 1;
    const int mcols = xnor() ? 2 * pc : pc;
    Eigen::MatrixXi target(rows, mcols);
    for (int j = 0; j < pc; ++j)
        for (int i = 0; i < rows; ++i) {
            if (xnor()) {
                target(i, j) = digits(i, j) ? 0 : top;
                target(i, pc + j) = digits(i, j) ? top : 0;
            } else {
                target(i, j) = current_mode() ? top - digits(i, j) * step : digits(i, j) * step;
            }
        }
    pending_.target = std::move(target);
    pending_.written = pending_.built = false;
    pending_.r = ProgramResult{};
    pending_.r.cells = static_cast<std::int64_t>(rows) * pc;
    // Deferred (not `build`), the write goes with the rest of the program when its time is
    // known without it (no verify rounds): the initiator needs only that time now.
    if (build || !writer_.time_known())
        write_cells(ac, build);
    else
        pending_.r.time_s = writer_.pass_time(rows);
    pending_.active = true;
    pending_.w = w;
    pending_.digits = digits;
}

void AnalogMacroImpl::write_cells(ActionCounter& ac, bool build) {
    const int rows = spec_.rows, pc = phys_cols_;
    const int mcols = xnor() ? 2 * pc : pc;
    const Eigen::MatrixXi& target = pending_.target;
    // The block's MTJs in state_ / faults_ (XNOR: weight columns, then complement columns).
    auto gather = [&](const Eigen::MatrixXi& m) {
        Eigen::MatrixXi g(rows, mcols);
        g.leftCols(pc) = m.topLeftCorner(rows, pc);
        if (xnor()) g.rightCols(pc) = m.block(0, cfg_.array.cols, rows, pc);
        return g;
    };
    WriteOutcome wo = writer_.write(gather(state_), target, write_rng_);
    state_.topLeftCorner(rows, pc) = wo.levels.leftCols(pc);
    if (xnor()) state_.block(0, cfg_.array.cols, rows, pc) = wo.levels.rightCols(pc);
    ac.add(action::kCellWrite, static_cast<double>(wo.pulses));
    if (wo.verify_reads) ac.add(action::kVerifyRead, static_cast<double>(wo.verify_reads));
    ac.add_energy(action::kCellWriteEnergy, wo.energy_J);

    // Stuck cells keep their stuck level whatever was written.
    Eigen::MatrixXi eff = wo.levels;
    std::int64_t failures = 0;
    if (faults_.size()) {
        const Eigen::MatrixXi fl = gather(faults_);
        for (int j = 0; j < mcols; ++j)
            for (int i = 0; i < rows; ++i)
                if (fl(i, j) >= 0) eff(i, j) = fl(i, j);
    }
    for (int j = 0; j < mcols; ++j)
        for (int i = 0; i < rows; ++i) failures += eff(i, j) != target(i, j);
    programmed_ = false;
    array_ = std::make_unique<CrossbarArray>(cfg_, layout_->base());
    pending_.idle.reset();
    if (xnor() && rows < cfg_.array.rows) pending_.idle = std::make_unique<CrossbarArray::IdleCells>(idle_cells(rows, pc));
    if (build) {
        array_->begin_build(eff, d2d_key_, macro_factor_, pending_.idle.get());
        pending_.idle.reset();
    } else {
        pending_.levels = std::move(eff);
    }
    pending_.written = true;
    pending_.built = build;
    pending_.target.resize(0, 0);
    pending_.r.time_s = wo.time_s;
    pending_.r.pulses = wo.pulses;
    pending_.r.write_failures = failures;
}

ProgramResult AnalogMacroImpl::finish_program(ActionCounter& ac) {
    if (!pending_.active) throw std::logic_error("macro program: nothing to finish");
    pending_.active = false;
    if (!pending_.written) write_cells(ac, true);
    if (!pending_.built) {
        pending_.built = true;
        array_->begin_build(pending_.levels, d2d_key_, macro_factor_, pending_.idle.get());
        pending_.levels.resize(0, 0);
        pending_.idle.reset();
    }
    array_->finish_build();   // the solve's error, if any, leaves the macro unprogrammed
    const Eigen::MatrixXi w = std::move(pending_.w);
    const Eigen::MatrixXi digits = std::move(pending_.digits);
    ProgramResult r = pending_.r;
    const BlockSpec& spec = spec_;
    const int rows = spec.rows, pc = phys_cols_;
    // Analog neurons: the layer's gain and the line voltage of one unit over these rows
    // (nominal design data, as the compiler's amplifier mapping).
    if (spec.readout == ReadoutKind::SigmoidNeuron)
        neuron_.configure(spec.neuron_gain, line_volts_per_unit(cfg_.array.v_read, array_->g_lo(), array_->g_step(), rows));

    w_colsum_ = w.cast<double>().colwise().sum().transpose();
    programmed_ = true;
    {
        std::uint64_t h = splitmix64_mix(static_cast<std::uint64_t>(rows) * 131 + static_cast<std::uint64_t>(spec.cols));
        h = splitmix64_mix(h ^ (static_cast<std::uint64_t>(spec.weight_bits) << 8 | static_cast<std::uint64_t>(spec.input_bits)));
        h = splitmix64_mix(h ^ (static_cast<std::uint64_t>(spec.input) << 4 | static_cast<std::uint64_t>(spec.readout) |
                                static_cast<std::uint64_t>(spec.analog_sum) << 12));
        for (Eigen::Index k = 0; k < w.size(); ++k) h = splitmix64_mix(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(w.data()[k])));
        block_key_ = h;
    }
    calib_.reset(pc);
    ideal_digits_ = digits.cast<double>();
    digit_count_ = ideal_digits_.colwise().sum();
    if (differential_adc()) {
        // Physical columns of a logical column: [digits of u+][digits of u-].
        const int d = layout_->digits();
        pair_plus_.clear();
        pair_minus_.clear();
        for (int j = 0; j < spec.cols; ++j)
            for (int k = 0; k < d; ++k) {
                const int plus = j * layout_->per_logical() + k, minus = plus + d;
                ideal_digits_.col(plus) -= ideal_digits_.col(minus);
                ideal_digits_.col(minus).setZero();
                pair_plus_.push_back(plus);
                pair_minus_.push_back(minus);
            }
        array_->pack_pairs(pair_plus_, pair_minus_);
        pairs_cover_ = 2 * static_cast<int>(pair_plus_.size()) == pc;
    }
    set_design_range();

    // Range measurement and calibration of a block are a function of the block: programmed
    // again (time-multiplexed layers reprogram once per batch), it is measured with the same
    // vectors and noise draws, so results do not depend on how often that happens (--batch,
    // sim.quantum). Fresh draws per reprogramming would make the batch size a model input.
    calib_rng_ = Rng(splitmix64_mix(calib_key_ ^ block_key_));
    block_reads_.erase(splitmix64_mix(block_key_ ^ 0xca11b7a7e0000000ull));
    block_reads_.erase(splitmix64_mix(block_key_ ^ 0x7a49e5ea5e000000ull));
    const bool measurable = !cfg_.sim.ideal && cfg_.macro.calibration_vectors >= 2;
    if (measurable && current_mode() && spec.readout == ReadoutKind::Adc && cfg_.periphery.adc.range == AdcRange::Calibrated) {
        double lat = 0.0;
        measure_range(ac, lat);
        r.time_s += lat;
    }
    if (cfg_.macro.calibration && measurable) {
        const Eigen::MatrixXf xc = calibration_inputs(cfg_.macro.calibration_vectors);
        double lat = 0.0;
        // Calibration reads: their own noise streams (never shared with inference reads).
        begin_reads(splitmix64_mix(block_key_ ^ 0xca11b7a7e0000000ull), xc.rows());
        capture_ = true;
        cap_s_.resize(0, pc);
        cap_ideal_.resize(0, pc);
        cap_n_.resize(0);
        estimate(xc, ac, lat, false);
        capture_ = false;
        // Readout geometry in digit units: converter input x = S + kappa n_b in [lo, hi].
        ReadoutGeometry geo;
        geo.base = layout_->base();
        geo.rows = rows;
        geo.reference = layout_->has_reference();
        if (current_mode()) {
            const double unit = cfg_.array.v_read * array_->g_step();
            geo.converter = spec.readout == ReadoutKind::Adc;
            geo.kappa = differential_adc() ? 0.0 : array_->g_lo() / array_->g_step();
            geo.lo = adc_->lo() / unit;
            geo.hi = adc_->hi() / unit;
            geo.lsb = adc_->lsb() / unit;
        } else {
            const double c_col = TimeToDigital::column_capacitance(cfg_);
            const double lsb_r = tdc_.lsb() / c_col;  // resistance per count
            geo.converter = true;
            if (xnor()) {
                // The counter measures mismatches m = n_b + U_c - 2 S (U_c per column): one
                // count is lsb_r / (2 r_step) in S units, and the converter input is
                // x = -m / 2; its end codes (m at the first and the last code) bound [lo, hi].
                const double m0 = (tdc_.t_start() / c_col - cfg_.array.rows * array_->r_match()) / array_->r_step();
                const double m_top = m0 + tdc_.max_code() * lsb_r / array_->r_step();
                geo.lsb = lsb_r / (2.0 * array_->r_step());
                geo.kappa = -0.5;
                geo.shift = -0.5 * digit_count_.transpose();
                geo.lo = -0.5 * m_top;
                geo.hi = -0.5 * m0;
            } else {
                const double base = cfg_.array.rows * array_->r_bypass();
                geo.kappa = (array_->r_lo() - array_->r_bypass()) / array_->r_step();
                geo.lo = (tdc_.t_start() / c_col - base) / array_->r_step();
                geo.hi = (tdc_.t_full() / c_col - base) / array_->r_step();
                geo.lsb = lsb_r / array_->r_step();
            }
        }
        calib_.fit(cap_s_, cap_ideal_, cap_n_, calibration_prior(cfg_, geo), geo);
        r.time_s += lat;
    }
    if (differential_adc() && pairs_cover_)
        fused_pairs_.configure(*adc_, pair_plus_, pair_minus_, *layout_, spec.cols, calib_, array_->unit_current());
    if (!current_mode()) rows_readout_.configure(cfg_, spec.input, *array_, *layout_, spec.cols, digit_count_, w_colsum_, tdc_);
    release_work_buffers();
    return r;
}

void AnalogMacroImpl::release_work_buffers() {
    if (currents_in_read_) column_currents();   // read_ goes
    for (Eigen::MatrixXd* m : {&xd_, &plane_, &vin_, &read_, &s_, &y_plane_, &y_, &pair_, &delay_, &cap_s_, &cap_ideal_, &ideal_digits_})
        m->resize(0, 0);
    for (Eigen::MatrixXf* m : {&a2f_, &varf_, &planef_}) m->resize(0, 0);
    outf_.resize(0, 0);
    pvarf_.resize(0, 0);
    std::vector<float>().swap(normalsf_);
    for (Eigen::VectorXd* v : {&in_sum_, &row_drives_, &cap_n_}) v->resize(0);
    insf_.resize(0);
}

Eigen::MatrixXf AnalogMacroImpl::calibration_inputs(int n) {
    const int rows = spec_.rows;
    Eigen::MatrixXf xc(n, rows);
    const int maxv = (1 << spec_.input_bits) - 1;
    const bool one_draw = spec_.input == InputEncoding::Binary || spec_.input == InputEncoding::Signed;
    // Vector b activates each row with probability p_b = (b + 1/2) / n: the active-row
    // counts n_b span the whole range, so the fitted baseline term (k n_b) is
    // interpolated, never extrapolated, for real inputs whatever their density (the
    // first layer of an MNIST network drives ~20 % of its rows, a dense layer ~50 %).
    // Draws from calib_rng_ in vector-major order: one uniform per input (on or off) and, for
    // a multi-bit input that is on, one more for its level. The uniforms are made by counter
    // for the most the inputs can take (all on), then the walk takes them in stream order:
    // the same values as drawing one by one, without a branch per draw on random data in the
    // dependency of the next draw's counter.
    const std::size_t inputs = static_cast<std::size_t>(n) * static_cast<std::size_t>(rows);
    const std::size_t most = one_draw ? inputs : 2 * inputs;
    const std::uint64_t key = calib_rng_.key(), first = calib_rng_.counter() + 1;
    std::vector<double> u(most);
    for (std::size_t k = 0; k < most; ++k) u[k] = Rng::uniform_at(key, first + k);
    std::size_t at = 0;
    for (int b = 0; b < n; ++b) {
        const double p_on = (b + 0.5) / n;
        for (int i = 0; i < rows; ++i) {
            const bool on = u[at] < p_on;
            switch (spec_.input) {
                case InputEncoding::Binary: xc(b, i) = on ? 1.0f : 0.0f; break;
                case InputEncoding::Signed: xc(b, i) = on ? 1.0f : -1.0f; break;
                default: {
                    // u[at + 1] exists: at <= 2 (inputs so far) < most - 1.
                    const float level = static_cast<float>(1 + std::min(maxv - 1, static_cast<int>(u[at + 1] * maxv)));
                    xc(b, i) = on ? level : 0.0f;
                    at += on ? 1 : 0;
                }
            }
            ++at;
        }
    }
    calib_rng_.skip(at);
    return xc;
}

void AnalogMacroImpl::set_design_range() {
    const auto& a = cfg_.periphery.adc;
    const double v = cfg_.array.v_read;
    const bool diff = differential_adc();
    double fs = a.full_scale;
    if (!(fs > 0.0)) {
        // Largest nominal converter input over all inputs of the block's domain, with every
        // row at its largest drive: single-ended sum_i (G_lo + d_ic dG) v, differential
        // max(sum of positive, sum of negative digit differences) v dG.
        const auto [g_lo, g_step] = CrossbarArray::nominal_line(cfg_, layout_->base());
        fs = 0.0;
        for (int c = 0; c < phys_cols_; ++c) {
            const auto col = ideal_digits_.col(c).array();
            const double m = diff ? std::max(col.max(0.0).sum(), (-col).max(0.0).sum()) * g_step
                                  : g_lo * spec_.rows + col.sum() * g_step;
            fs = std::max(fs, m * v);
        }
    }
    if (!(fs > 0.0)) fs = 1e-12;  // an all-zero block: any range reads it exactly
    adc_->set_range(diff ? -fs : 0.0, fs);
}

Eigen::MatrixXf AnalogMacroImpl::range_inputs(int n) const {
    // The inputs that drive columns to their extremes are known from the design (the
    // digits the compiler placed): all rows on for a single-ended column; for a pair the
    // rows where d+ > d- (largest I+ - I-) or where d+ < d- (most negative). Vectors are
    // spent on the columns with the largest nominal peaks, both polarities.
    const bool diff = differential_adc();
    const int maxv = (1 << spec_.input_bits) - 1;
    auto level = [&](bool on) -> float {
        switch (spec_.input) {
            case InputEncoding::Binary: return on ? 1.0f : 0.0f;
            case InputEncoding::Signed: return on ? 1.0f : -1.0f;
            default: return on ? static_cast<float>(maxv) : 0.0f;
        }
    };
    if (!diff) return Eigen::MatrixXf::Constant(1, spec_.rows, level(true));
    std::vector<std::pair<double, int>> peaks;
    for (int c = 0; c < phys_cols_; ++c) {
        const auto col = ideal_digits_.col(c).array();
        const double p = std::max(col.max(0.0).sum(), (-col).max(0.0).sum());
        if (p > 0.0) peaks.push_back({-p, c});
    }
    std::sort(peaks.begin(), peaks.end());
    const int cols = std::max(1, std::min(static_cast<int>(peaks.size()), n / 2));
    Eigen::MatrixXf x(2 * cols, spec_.rows);
    for (int k = 0; k < cols && k < static_cast<int>(peaks.size()); ++k) {
        const int c = peaks[static_cast<size_t>(k)].second;
        for (int i = 0; i < spec_.rows; ++i) {
            x(2 * k, i) = level(ideal_digits_(i, c) > 0.0);
            x(2 * k + 1, i) = level(ideal_digits_(i, c) < 0.0);
        }
    }
    if (peaks.empty()) x.setConstant(level(false));
    return x;
}

void AnalogMacroImpl::measure_range(ActionCounter& ac, double& time) {
    // Auto-ranging as a PGA / reference DAC does it: convert the design's extreme input
    // vectors with the current range; while any sample sits on an end code, double the
    // range; otherwise shrink it to the measured peak plus one LSB of that measurement, and
    // repeat until it stops shrinking. Only converted codes are used, never the cells, so
    // the range follows die shift, d2d and IR drop as measured.
    const Eigen::MatrixXf xc = range_inputs(cfg_.macro.calibration_vectors);
    const bool diff = differential_adc();
    for (int pass = 0; pass < 16; ++pass) {
        range_capture_ = true;
        range_peak_ = 0.0;
        range_clipped_ = false;
        double lat = 0.0;
        // Range-measurement reads: their own noise stream, like the calibration reads.
        begin_reads(splitmix64_mix(block_key_ ^ 0x7a49e5ea5e000000ull), xc.rows());
        estimate(xc, ac, lat, false);
        range_capture_ = false;
        time += lat;
        const double hi = adc_->hi();
        if (range_clipped_) {
            adc_->set_range(diff ? -2.0 * hi : 0.0, 2.0 * hi);
            continue;
        }
        const double next = std::max(range_peak_, adc_->lsb()) + adc_->lsb();
        adc_->set_range(diff ? -next : 0.0, next);
        if (next > 0.9 * hi) break;  // converged: the measurement no longer narrows the range
    }
}

void AnalogMacroImpl::column_signal() {
    const int ref = layout_->reference_col(spec_.cols);
    if (current_mode()) {
        const double unit = cfg_.array.v_read * array_->g_step();
        if (differential_adc()) {
            return;   // convert_pairs() wrote s_: I+ - I- on the + columns, 0 on the - columns
        } else if (ref >= 0) {
            s_ = (read_.colwise() - read_.col(ref)) / unit;
        } else {
            const Eigen::VectorXd base = cfg_.array.v_read * array_->g_lo() * in_sum_;
            s_ = (read_.colwise() - base) / unit;
        }
    } else if (xnor()) {
        // Mismatches m_c = (R_c - N R_match) / dR; with u the stored digits and b the input
        // bits, sum_i b_i u_ic = (n_b + U_c - m_c) / 2.
        const double n_match = cfg_.array.rows * array_->r_match();
        s_ = ((-(read_.array() - n_match) / array_->r_step()).matrix().rowwise() + digit_count_).colwise() + in_sum_;
        s_ *= 0.5;
    } else {
        if (ref >= 0) {
            s_ = (read_.colwise() - read_.col(ref)) / array_->r_step();
        } else {
            const double byp = array_->r_bypass();
            const Eigen::VectorXd base = (cfg_.array.rows * byp + (array_->r_lo() - byp) * in_sum_.array()).matrix();
            s_ = (read_.colwise() - base) / array_->r_step();
        }
    }
}

void AnalogMacroImpl::note_range(const Eigen::MatrixXd& q) {
    if (!range_capture_) return;
    const double half = 0.5 * adc_->lsb();
    range_peak_ = std::max(range_peak_, q.cwiseAbs().maxCoeff());
    if ((q.array() >= adc_->hi() - half).any() || (adc_->lo() < 0.0 && (q.array() <= adc_->lo() + half).any()))
        range_clipped_ = true;
}

void AnalogMacroImpl::convert_currents() {
    if (!cfg_.sim.ideal) adc_->quantize(read_, 0);
    note_range(read_);
}

void AnalogMacroImpl::convert_pairs(double weight, bool keep, bool first) {
    const Eigen::Index batch = pair_.rows();
    const size_t np = pair_plus_.size();
    // Plain strided loops over the pairs' columns: at batch 1 each column is one value, and
    // an Eigen column expression per pair (alignment peeling, size checks) cost more than the
    // work itself.
    if (keep) {
        // The first cycle writes every column once (I+ - I- on the + column, 0 on the -).
        if (first) last_currents_.resize(batch, phys_cols_);
        if (first && !pairs_cover_) last_currents_.setZero();
        double* lc = last_currents_.data();
        const double* pr = pair_.data();
        for (size_t p = 0; p < np; ++p) {
            double* plus = lc + static_cast<Eigen::Index>(pair_plus_[p]) * batch;
            const double* pc = pr + static_cast<Eigen::Index>(p) * batch;
            if (first) {
                double* minus = lc + static_cast<Eigen::Index>(pair_minus_[p]) * batch;
                for (Eigen::Index b = 0; b < batch; ++b) {
                    plus[b] = weight * pc[b];
                    minus[b] = 0.0;
                }
            } else {
                for (Eigen::Index b = 0; b < batch; ++b) plus[b] += weight * pc[b];
            }
        }
    }
    if (!cfg_.sim.ideal) adc_->quantize(pair_, pair_plus_);
    note_range(pair_);
    // The column signals in digit units, straight from the converted pairs.
    const double unit = array_->unit_current();
    s_.resize(batch, phys_cols_);
    if (!pairs_cover_) s_.setZero();
    double* s = s_.data();
    const double* pr = pair_.data();
    for (size_t p = 0; p < np; ++p) {
        double* plus = s + static_cast<Eigen::Index>(pair_plus_[p]) * batch;
        double* minus = s + static_cast<Eigen::Index>(pair_minus_[p]) * batch;
        const double* pc = pr + static_cast<Eigen::Index>(p) * batch;
        for (Eigen::Index b = 0; b < batch; ++b) {
            plus[b] = pc[b] / unit;
            minus[b] = 0.0;
        }
    }
}

void AnalogMacroImpl::draw_normals(int k, Eigen::Index first, Eigen::Index count, Eigen::Index nc) {
    normalsf_.resize(static_cast<size_t>(count * nc));
    for (Eigen::Index b = 0; b < count; ++b)
        read_rng(noise_key_, static_cast<std::uint64_t>(first + b), k).fill_normal_f(normalsf_.data() + b * nc, static_cast<size_t>(nc));
}

void AnalogMacroImpl::read_pairs_fused(int k, bool pwm, double weight, bool single, float* out) {
    // Chunks of kReadChunk vectors from the array read to the logical columns: at batch
    // 1024 the whole-batch unit reads (1 MB), normals (0.5 MB), kept currents and outputs
    // (1 MB each) do not fit L2 together and every pass streamed them through L3; a chunk's
    // stay in L1/L2. Every vector is computed alone (its rows in order, its own normals
    // stream, its own conversion), so the chunks change no result.
    constexpr Eigen::Index kReadChunk = 64;
    const bool noisy = array_->has_read_noise();
    const Eigen::MatrixXf& planef = *plane_in_;
    const Eigen::Index batch = planef.rows(), np = array_->pairs();
    kept_as_inputs_ = single;
    if (single) {
        kept_inputs_.resize(batch, np);
        kept_weight_ = weight;
    } else if (k == 0) {
        kept_pairs_.resize(batch, np);
    }
    if (pwm) {
        // Duties go through the GEMMs, read whole (their kernels block the batch themselves).
        array_->pair_units_into(planef, false, outf_);
        if (noisy) {
            a2f_ = planef.array().square();
            array_->pair_variance_units_into(a2f_, pvarf_);
        }
    }
    for (Eigen::Index v0 = 0; v0 < batch; v0 += kReadChunk) {
        const Eigen::Index nv = std::min(kReadChunk, batch - v0);
        PairReadout::Cycle c;
        if (pwm) {
            c.units = outf_.data() + v0 * outf_.cols();
        } else {
            if (plane_bits_valid_)
                array_->binary_pair_units_into(plane_bits_, v0, nv, noisy, outf_);
            else
                array_->binary_pair_units_into(planef, v0, nv, noisy, outf_);
            c.units = outf_.data();
        }
        c.ld = outf_.cols();
        if (noisy) {
            draw_normals(k, v0, nv, np);
            if (pwm) {
                c.var = pvarf_.data() + v0 * pvarf_.cols();
                c.vld = pvarf_.cols();
            } else {
                c.var = c.units + np;   // [D | W]: the variances after the signals
                c.vld = c.ld;
            }
            c.normals = normalsf_.data();
        }
        c.weight = weight;
        c.first = k == 0;
        c.quantize = !cfg_.sim.ideal;
        if (single) c.inputs = kept_inputs_.data();
        // Past the caches when the call's kept inputs are a quarter of a 2 MiB L2 or more.
        c.stream_inputs = single && kept_inputs_.size() * sizeof(float) >= (512u << 10);
        c.out = out;
        c.out_ld = batch;
        fused_pairs_.run(*adc_, c, in_sum_, v0, nv, kept_pairs_, y_);
    }
}

void AnalogMacroImpl::read_currents(int k, bool pwm, bool pairs) {
    read_units(k, pwm, pairs);
    const Eigen::Index nc = pairs ? array_->pairs() : array_->cols();
    currents_from_units(array_->has_read_noise(), nc, pairs ? 0.0 : array_->kappa(), pairs ? pair_ : read_);
}

void AnalogMacroImpl::read_units(int k, bool pwm, bool pairs) {
    const bool noisy = array_->has_read_noise();
    const Eigen::Index nc = pairs ? array_->pairs() : array_->cols();
    const Eigen::MatrixXf& planef = *plane_in_;
    // A 0/1 plane is its own square: signal and variance come out of one pass over the rows
    // each vector drives (PlaneProduct); PWM duties go through a GEMM and their squares.
    if (pwm && pairs)
        array_->pair_units_into(planef, false, outf_);
    else if (pwm)
        array_->units_into(planef, false, outf_);
    else if (pairs)
        array_->binary_pair_units_into(planef, noisy, outf_);
    else
        array_->binary_units_into(planef, noisy, outf_);
    if (noisy) {
        if (pwm) {
            a2f_ = planef.array().square();
            if (pairs)
                array_->pair_variance_units_into(a2f_, pvarf_);
            else
                array_->variance_units_into(a2f_, pvarf_);
        }
        draw_normals(k, planef.rows(), nc);
    }
}

void AnalogMacroImpl::currents_from_units(bool noisy, Eigen::Index nc, double kappa, Eigen::MatrixXd& dst) {
    const Eigen::Index batch = outf_.rows(), ld = outf_.cols();
    const double u = array_->unit_current();
    dst.resize(batch, nc);
    const bool var_in_out = ld == 2 * nc;   // [S | V] from one pass
    // The unit reads and the normals are rows (one per vector), dst is column-major: blocks
    // of 16 vectors, so each column's 16 outputs are one contiguous store.
    constexpr Eigen::Index kBlock = 16;
    for (Eigen::Index b0 = 0; b0 < batch; b0 += kBlock) {
        const Eigen::Index nb = std::min(kBlock, batch - b0);
        double base[kBlock];
        for (Eigen::Index k = 0; k < nb; ++k) base[k] = kappa * in_sum_(b0 + k);
        for (Eigen::Index j = 0; j < nc; ++j) {
            double* out = dst.col(j).data() + b0;
            const float* sig = outf_.data() + b0 * ld + j;
            if (noisy) {
                const float* var = var_in_out ? sig + nc : pvarf_.data() + b0 * nc + j;
                const Eigen::Index vld = var_in_out ? ld : nc;
                const float* z = normalsf_.data() + b0 * nc + j;
                for (Eigen::Index k = 0; k < nb; ++k) {
                    const float sd = std::sqrt(std::max(var[k * vld], 0.0f));
                    out[k] = u * (static_cast<double>(sig[k * ld] + sd * z[k * nc]) + base[k]);
                }
            } else {
                for (Eigen::Index k = 0; k < nb; ++k) out[k] = u * (static_cast<double>(sig[k * ld]) + base[k]);
            }
        }
    }
}

bool AnalogMacroImpl::estimate(const Eigen::MatrixXf& x, ActionCounter& ac, double& latency, bool keep_currents, Eigen::MatrixXf* out) {
    const int batch = static_cast<int>(x.rows());
    const int ncols = spec_.cols;
    const bool ideal = cfg_.sim.ideal;
    const double v = cfg_.array.v_read;
    const auto& per = cfg_.periphery;
    const bool pwm = spec_.input == InputEncoding::Pwm;
    const double slot = 1.0 / cfg_.macro.clock;
    const double pwm_window = pwm ? (std::ldexp(1.0, slice_bits()) - 1.0) * slot : 0.0;
    const double c_col = TimeToDigital::column_capacitance(cfg_);
    const Eigen::VectorXd& row_g = array_->row_conductance();
    const int cycles = input_cycles();
    const bool fused = cycles_fusable();
    // The fused per-vector differential readout: inference reads of a configured block
    // (range measurement and calibration capture read through the general path).
    const bool fast_pairs = !fused && fused_readout_ && fused_pairs_.ready() && differential_adc() && keep_currents && !capture_ && !range_capture_;
    if (keep_currents)
        currents_in_pairs_ = currents_in_rows_ = currents_in_read_ = false;
    else if (currents_in_read_)
        column_currents();   // this read replaces read_: the last mvm()'s currents first

    // Time of one input cycle.
    const double t_conv = spec_.readout == ReadoutKind::Adc   ? adc_->conversion_time()
                          : spec_.readout == ReadoutKind::Tdc ? tdc_.conversion_time()
                                                              : 0.0;
    const double t_cycle = input_cycle_time(cfg_, spec_, conversions(), t_conv);


    // The fused pair readout writes every output in its first cycle (as 0 + value, the sum
    // the zeroed matrix would give), so it needs no zero fill (1 MB per call at batch 1024).
    // With one cycle and nothing after the ADC, straight into the float result.
    const bool direct = out && fast_pairs && cycles == 1 && spec_.input != InputEncoding::Signed &&
                        spec_.analog_sum == AnalogSum::None && spec_.readout == ReadoutKind::Adc && !ideal;
    if (direct)
        out->resize(batch, ncols);
    else if (fast_pairs)
        y_.resize(batch, ncols);
    else
        y_.setZero(batch, ncols);
    if (fused) xd_ = x.cast<double>();
    double t_plane_total = 0.0;
    for (int k = 0; k < cycles; ++k) {
        const double weight = fill_plane(x, k);
        const double driven = pwm ? static_cast<double>((plane_in_->array() != 0.0f).count()) : row_drives_.sum();
        ac.add(action::kRowDrive, driven);
        // A PWM input is one pulse-width (DAC) conversion per non-zero slice, row and vector.
        if (pwm) ac.add(action::kDac, driven);
        t_plane_total += t_cycle;
        if (current_mode()) {
            // Data-dependent array energy: sum V^2 G t over the window each row is driven.
            const double t_on = pwm ? pwm_window : per.t_settle;
            // sum_b sum_i a_bi G_i = sum_i G_i (sum_b a_bi).
            ac.add_energy(action::kArrayReadEnergy, v * v * t_on * row_g.dot(row_drives_));
            if (spec_.readout == ReadoutKind::Adc) ac.add(action::kAdc, static_cast<double>(batch) * conversions());
            if (fused) continue;  // the read itself happens once, below
            if (fast_pairs) {
                // Differential ADC: read, convert, calibrate and combine one vector at a time.
                read_pairs_fused(k, pwm, weight, cycles == 1, direct ? out->data() : nullptr);
                currents_in_pairs_ = true;
                continue;
            }
            read_currents(k, pwm, differential_adc());
        } else {
            // Each read charges and discharges every column capacitance once.
            ac.add_energy(action::kArrayReadEnergy, static_cast<double>(batch) * phys_cols_ * c_col * v * v);
            ac.add(action::kTdc, static_cast<double>(batch) * phys_cols_);
            array_->column_resistance_into(plane_, read_);
        }
        if (!current_mode() && array_->has_read_noise()) {
            // Output-referred sigma: sqrt(sum_i a_i^2 sigma_ij^2), a = V B (current) or B.
            if (pwm)
                a2f_ = plane_.array().square().cast<float>();
            else
                a2f_ = plane_.cast<float>();  // 0/1: B^2 = B
            array_->noise_variance_into(a2f_, varf_);
            const double a_scale = current_mode() ? v * v : 1.0;
            // One stream per (vector, cycle): a row of normals, stored row-major.
            const Eigen::Index nc = read_.cols();
            normalsf_.resize(static_cast<size_t>(read_.size()));
            for (int b = 0; b < batch; ++b) read_rng(noise_key_, static_cast<std::uint64_t>(b), k).fill_normal_f(normalsf_.data() + static_cast<size_t>(b) * nc, static_cast<size_t>(nc));
            using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
            read_.array() += (a_scale * varf_.cast<double>().array()).sqrt() *
                             Eigen::Map<const RowArray>(normalsf_.data(), read_.rows(), nc).cast<double>();
        }
        if (current_mode() && differential_adc()) {
            convert_pairs(weight, keep_currents, k == 0);
        } else if (current_mode()) {
            if (keep_currents) {
                if (cycles == 1 && spec_.readout != ReadoutKind::Adc) {
                    currents_in_read_ = true;   // nothing below changes read_
                    read_weight_ = weight;
                } else if (k == 0) {
                    last_currents_ = weight * read_;
                } else {
                    last_currents_ += weight * read_;
                }
            }
            if (spec_.readout == ReadoutKind::Adc) convert_currents();
        } else {
            if (keep_currents) {
                if (k == 0)
                    last_currents_ = weight * (v / read_.array()).matrix();
                else
                    last_currents_ += weight * (v / read_.array()).matrix();
            }
            // Time domain: delay t = R_col C_col over the counter window. The counter
            // increments `code` times (its dynamic energy); ideal mode keeps the exact delay.
            delay_ = read_ * c_col;
            ac.add(action::kTdcCount, tdc_.convert_delays(delay_.data(), delay_.size()));
            if (!ideal) read_ = delay_ / c_col;
        }
        column_signal();
        if (capture_) {
            auto append = [](Eigen::MatrixXd& m, const Eigen::MatrixXd& add) {
                const Eigen::Index r0 = m.rows();
                m.conservativeResize(r0 + add.rows(), add.cols());
                m.bottomRows(add.rows()) = add;
            };
            append(cap_s_, s_);
            append(cap_ideal_, plane_ * ideal_digits_);
            const Eigen::Index n0 = cap_n_.size();
            cap_n_.conservativeResize(n0 + in_sum_.size());
            cap_n_.tail(in_sum_.size()) = in_sum_;
        } else {
            calib_.apply(s_, in_sum_);
        }
        layout_->combine_into(s_, in_sum_, ncols, y_plane_);
        y_ += weight * y_plane_;
    }
    if (fused) {
        // One read of the whole integer inputs: sum_k 2^k B_k = X, sum_k 2^k n_k = sum_i x_i.
        // In float (units_into) while the integer sums fit the 24-bit mantissa, else in double.
        const double max_sum = std::ldexp(1.0, spec_.input_bits) * spec_.rows * (layout_->base() - 1);
        const bool in_float = max_sum < 0x1.0p24;
        in_sum_ = xd_.rowwise().sum();
        if (in_float) planef_ = x;
        if (differential_adc()) {
            if (in_float) {
                array_->pair_units_into(planef_, false, outf_);
                currents_from_units(false, array_->pairs(), 0.0, pair_);
            } else {
                vin_.noalias() = v * xd_;
                array_->currents_into(vin_, read_);
                pair_.resize(read_.rows(), static_cast<Eigen::Index>(pair_plus_.size()));
                for (size_t p = 0; p < pair_plus_.size(); ++p)
                    pair_.col(static_cast<Eigen::Index>(p)) = read_.col(pair_plus_[p]) - read_.col(pair_minus_[p]);
            }
            convert_pairs(1.0, keep_currents, true);   // ideal: no quantisation
        } else {
            if (in_float) {
                array_->units_into(planef_, false, outf_);
                currents_from_units(false, array_->cols(), array_->kappa(), read_);
            } else {
                vin_.noalias() = v * xd_;
                array_->currents_into(vin_, read_);
            }
            if (keep_currents) last_currents_ = read_;
            if (spec_.readout == ReadoutKind::Adc) convert_currents();
        }
        column_signal();
        layout_->combine_into(s_, in_sum_, ncols, y_plane_);
        y_ += y_plane_;
    }
    if (cycles > 1 && (spec_.readout == ReadoutKind::Adc || spec_.readout == ReadoutKind::Tdc)) {
        // Shift-add of the cycles' codes per vector and column: cycles - 1 additions as wide
        // as the shifted code (readout bits + the top slice's shift), counted like the PE's
        // adder tree (one pe_add_bit per bit).
        const int code_bits = spec_.readout == ReadoutKind::Adc ? per.adc.bits : per.tdc.bits;
        const int width = code_bits + spec_.input_bits - slice_bits();
        ac.add(action::kPeAddBit, static_cast<double>(batch) * ncols * (cycles - 1) * width);
    }
    if (spec_.input == InputEncoding::Signed) y_.rowwise() -= w_colsum_.transpose();
    if (spec_.readout == ReadoutKind::SenseAmp) t_plane_total += sa_.time();
    if (spec_.readout == ReadoutKind::SigmoidNeuron) t_plane_total += neuron_.time();
    latency = batch * t_plane_total;
    return direct;
}

void AnalogMacroImpl::transfer_to_node(ActionCounter& ac, double& latency) {
    const auto& acc = cfg_.periphery.accumulation;
    const int batch = static_cast<int>(y_.rows()), ncols = spec_.cols;
    ac.add(action::kAnalogTransfer, static_cast<double>(batch) * ncols);
    latency += batch * acc.t_transfer;
    if (cfg_.sim.ideal) return;
    // The analog part is what the columns carry: with +-1 inputs y = a - sum_i w_i, and the
    // column sums are a digital constant (exact).
    const bool signed_in = spec_.input == InputEncoding::Signed;
    for (int j = 0; j < ncols; ++j) {
        const double corr = signed_in ? w_colsum_(j) : 0.0;
        const double g = sum_gain_[static_cast<size_t>(j)];
        for (int b = 0; b < batch; ++b) y_(b, j) = g * (y_(b, j) + corr) - corr;
    }
    if (acc.noise > 0.0) {
        // One stream per vector (this vector's transfer): a row of ncols normals from the
        // vectorised generator of the read noise, added in one pass.
        const auto nc = static_cast<size_t>(ncols);
        normalsf_.resize(static_cast<size_t>(batch) * nc);
        for (int b = 0; b < batch; ++b)
            read_rng(sum_noise_key_, static_cast<std::uint64_t>(b), 0).fill_normal_f(normalsf_.data() + static_cast<size_t>(b) * nc, nc);
        using RowArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        y_.leftCols(ncols).array() += acc.noise * Eigen::Map<const RowArray>(normalsf_.data(), batch, ncols).cast<double>();
    }
}

MvmResult AnalogMacroImpl::mvm(const Eigen::MatrixXf& x, ActionCounter& ac, const Eigen::MatrixXf* analog_in) {
    if (!programmed_) throw std::logic_error("macro mvm: macro has not been programmed");
    // Binary inputs of a batch: the domain check and the plane's bits in one pass over x
    // (at batch 1024, 1 MB read from beyond L2 once instead of twice); fill_plane takes the
    // bits. An input outside the domain is named by check_inputs, which throws.
    struct ScanGuard {
        bool& scanned;
        ~ScanGuard() { scanned = false; }
    } guard{x_scanned_};
    if (spec_.input == InputEncoding::Binary && x.rows() > 1 && x.cols() == spec_.rows) {
        if (!plane_bits_.assign(x)) check_inputs(x);
        x_scanned_ = true;
    } else {
        check_inputs(x);
    }
    const bool final_sum = spec_.analog_sum == AnalogSum::Final;
    if (final_sum != (analog_in != nullptr))
        throw std::invalid_argument(final_sum ? "macro mvm: the final block of an analog accumulation needs the summing node's partial sums"
                                              : "macro mvm: partial sums given to a block that does not end an analog accumulation");
    if (analog_in && (analog_in->rows() != x.rows() || analog_in->cols() != spec_.cols))
        throw std::invalid_argument("macro mvm: the summing node holds " + std::to_string(analog_in->rows()) + "x" +
                                    std::to_string(analog_in->cols()) + " partial sums, expected " +
                                    std::to_string(x.rows()) + "x" + std::to_string(spec_.cols));
    MvmResult r;
    begin_reads(block_key_, x.rows());
    if (estimate(x, ac, r.latency_s, true, &r.y)) return r;   // the fused readout wrote the result
    Eigen::MatrixXd& y = y_;
    const int batch = static_cast<int>(x.rows()), ncols = spec_.cols;
    if (spec_.analog_sum != AnalogSum::None) {
        transfer_to_node(ac, r.latency_s);
        if (spec_.analog_sum == AnalogSum::Partial) {
            // No conversion here: the transferred value stays analog on the node. (The
            // sense-amp / neuron time counted by estimate() is the final block's.)
            const double t_dec = spec_.readout == ReadoutKind::SenseAmp ? sa_.time() : neuron_.time();
            r.latency_s -= batch * t_dec;
            r.y = (cfg_.sim.ideal ? y.array().round().matrix() : y).cast<float>();
            return r;
        }
        y += analog_in->cast<double>();
    }
    auto thr = [&](int j) { return spec_.threshold.empty() ? 0.0 : static_cast<double>(spec_.threshold[j]); };
    switch (spec_.readout) {
        case ReadoutKind::Adc:
        case ReadoutKind::Tdc:
            if (cfg_.sim.ideal) y.array() = y.array().round();
            break;
        case ReadoutKind::SenseAmp: {
            // Offset referred to integer units through the nominal per-unit column current.
            const double unit = cfg_.array.v_read * array_->g_step();
            for (int j = 0; j < ncols; ++j) {
                const double off = sa_.offset(j) / unit;
                for (int b = 0; b < batch; ++b) {
                    const double val = cfg_.sim.ideal ? std::nearbyint(y(b, j)) : y(b, j);
                    y(b, j) = sa_.decide(val, thr(j), off);
                }
            }
            ac.add(action::kSenseAmp, static_cast<double>(batch) * ncols);
            break;
        }
        case ReadoutKind::SigmoidNeuron:
            for (int b = 0; b < batch; ++b) {
                Rng nr = read_rng(neuron_key_, static_cast<std::uint64_t>(b), 0);   // this vector's neurons
                for (int j = 0; j < ncols; ++j) {
                    const double val = cfg_.sim.ideal ? std::nearbyint(y(b, j)) : y(b, j);
                    y(b, j) = neuron_.eval(val, thr(j), cfg_.sim.ideal ? nullptr : &nr);
                }
            }
            ac.add(action::kNeuron, static_cast<double>(batch) * ncols);
            break;
    }
    r.y = y.cast<float>();
    return r;
}

double AnalogMacroImpl::mvm_rows(const float* x, Eigen::Index n, float* y, ActionCounter& ac, const float* analog_in) {
    if (!programmed_) throw std::logic_error("macro mvm: macro has not been programmed");
    if (!analog_in && rows_fused()) return mvm_rows_fused(x, n, y, ac);
    // The general path on a column-major copy; the result back into the rows.
    rows_x_.resize(n, spec_.rows);
    transpose(x, spec_.rows, rows_x_.data(), n, n, spec_.rows);
    Eigen::MatrixXf node;
    if (analog_in) {
        node.resize(n, spec_.cols);
        transpose(analog_in, spec_.cols, node.data(), n, n, spec_.cols);
    }
    const MvmResult r = mvm(rows_x_, ac, analog_in ? &node : nullptr);
    transpose(r.y.data(), r.y.rows(), y, r.y.cols(), r.y.cols(), r.y.rows());
    return r.latency_s;
}

// What estimate(), transfer_to_node() and mvm() count for a call of the one vector x, in
// the same order and arithmetic (batch = 1): drives and array energy per input cycle,
// conversions, the shift-add, the transfer and the decision. Only for the blocks whose
// counts follow from the input alone (read_cost_separable).
bool AnalogMacroImpl::read_cost_separable() const {
    return programmed_ && !pending_.active && current_mode() && spec_.readout != ReadoutKind::Tdc &&
           spec_.analog_sum != AnalogSum::Final && !capture_ && !range_capture_;
}

// 0/1 planes are read by PlaneProduct, each vector's rows summed in a fixed order whatever
// the call (and its normals from its own stream), and every later step is per element: a
// code, a decision or a partial block's node value follows from the vector alone
// (test_read_noise_batch, test_analog_accumulation: identical over call splits). Not: PWM
// duties and the fused integer read (GEMMs, whose blocking depends on the batch), a
// neuron's analog value (equal over splits only to rounding).
bool AnalogMacroImpl::reads_batch_exact() const {
    const bool plane01 = spec_.input == InputEncoding::Binary || spec_.input == InputEncoding::Signed ||
                         spec_.input == InputEncoding::BitSerial;
    return read_cost_separable() && plane01 && !cycles_fusable() &&
           (spec_.readout == ReadoutKind::Adc || spec_.readout == ReadoutKind::SenseAmp);
}

double AnalogMacroImpl::read_cost(const float* x, ActionCounter& ac) const {
    if (!read_cost_separable()) throw std::logic_error("macro read cost: the block's counts depend on the read itself");
    const int ncols = spec_.cols, rows = spec_.rows;
    const double v = cfg_.array.v_read;
    const auto& per = cfg_.periphery;
    const bool pwm = spec_.input == InputEncoding::Pwm;
    const double slot = 1.0 / cfg_.macro.clock;
    const double pwm_window = pwm ? (std::ldexp(1.0, slice_bits()) - 1.0) * slot : 0.0;
    const Eigen::VectorXd& row_g = array_->row_conductance();
    const int cycles = input_cycles();
    const double t_conv = spec_.readout == ReadoutKind::Adc ? adc_->conversion_time() : 0.0;
    const double t_cycle = input_cycle_time(cfg_, spec_, conversions(), t_conv);
    Eigen::VectorXd drives(rows);   // fill_plane's row_drives_ of one vector: its plane
    double t_plane_total = 0.0;
    for (int k = 0; k < cycles; ++k) {
        double driven = 0.0;
        if (pwm) {
            const int sb = slice_bits(), shift = k * sb;
            const long mask = (1L << sb) - 1;
            const double slots = static_cast<double>(mask);
            for (int i = 0; i < rows; ++i) {
                const double d = input_cycles() == 1 ? static_cast<double>(x[i]) / slots
                                                     : static_cast<double>((static_cast<long>(x[i]) >> shift) & mask) / slots;
                drives(i) = d;
                driven += static_cast<float>(d) != 0.0f ? 1.0 : 0.0;
            }
        } else {
            for (int i = 0; i < rows; ++i) {
                float p = x[i];
                if (spec_.input == InputEncoding::Signed) p = (x[i] + 1.0f) * 0.5f;
                else if (spec_.input == InputEncoding::BitSerial) p = static_cast<float>((static_cast<int>(x[i]) >> k) & 1);
                drives(i) = static_cast<double>(p);
            }
            driven = drives.sum();   // 0/1 drives: an exact count in any order
        }
        ac.add(action::kRowDrive, driven);
        if (pwm) ac.add(action::kDac, driven);
        t_plane_total += t_cycle;
        const double t_on = pwm ? pwm_window : per.t_settle;
        ac.add_energy(action::kArrayReadEnergy, v * v * t_on * row_g.dot(drives));
        if (spec_.readout == ReadoutKind::Adc) ac.add(action::kAdc, 1.0 * conversions());
    }
    if (cycles > 1 && spec_.readout == ReadoutKind::Adc) {
        const int width = per.adc.bits + spec_.input_bits - slice_bits();
        ac.add(action::kPeAddBit, 1.0 * ncols * (cycles - 1) * width);
    }
    if (spec_.readout == ReadoutKind::SenseAmp) t_plane_total += sa_.time();
    if (spec_.readout == ReadoutKind::SigmoidNeuron) t_plane_total += neuron_.time();
    double latency = 1 * t_plane_total;
    if (spec_.analog_sum == AnalogSum::Partial) {
        ac.add(action::kAnalogTransfer, 1.0 * ncols);
        latency += 1 * per.accumulation.t_transfer;
        latency -= 1 * (spec_.readout == ReadoutKind::SenseAmp ? sa_.time() : neuron_.time());
        return latency;
    }
    if (spec_.readout == ReadoutKind::SenseAmp) ac.add(action::kSenseAmp, 1.0 * ncols);
    if (spec_.readout == ReadoutKind::SigmoidNeuron) ac.add(action::kNeuron, 1.0 * ncols);
    return latency;
}

double AnalogMacroImpl::mvm_rows_fused(const float* x, Eigen::Index n, float* y, ActionCounter& ac) {
    using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    kept_rows_.resize(n, phys_cols_);
    ResistanceReadout::Counts c;
    if (!rows_readout_.run(tdc_, x, n, y, kept_rows_.data(), cfg_.sim.ideal, c)) {
        check_inputs(Eigen::Map<const RowMatrixXf>(x, n, spec_.rows));   // names the first bad input
        throw std::logic_error("macro mvm: the resistance readout refused inputs the domain check accepts");
    }
    begin_reads(block_key_, n);   // as mvm(): the block's read count (no stream drawn here)
    currents_in_pairs_ = currents_in_read_ = false;   // this read's currents replace any kept ones
    currents_in_rows_ = true;
    // The actions and time estimate() counts for one resistance-summation read.
    const double v = cfg_.array.v_read, c_col = TimeToDigital::column_capacitance(cfg_);
    const double batch = static_cast<double>(n);
    ac.add(action::kRowDrive, c.driven);
    ac.add_energy(action::kArrayReadEnergy, batch * phys_cols_ * c_col * v * v);
    ac.add(action::kTdc, batch * phys_cols_);
    ac.add(action::kTdcCount, c.codes);
    double t_plane_total = 0.0;
    t_plane_total += input_cycle_time(cfg_, spec_, conversions(), tdc_.conversion_time());
    return batch * t_plane_total;
}

Eigen::MatrixXi AnalogMacroImpl::read_weights() const {
    if (!programmed_) throw std::logic_error("macro read_weights: macro has not been programmed");
    Eigen::MatrixXi d(spec_.rows, phys_cols_);
    for (int j = 0; j < phys_cols_; ++j)
        for (int i = 0; i < spec_.rows; ++i) {
            const int lv = stuck_level(i, j) >= 0 ? stuck_level(i, j) : state_(i, j);
            d(i, j) = xnor() ? (lv == 0 ? 1 : 0) : digit_of_level(lv);
        }
    return layout_->decode(d, spec_.cols);
}

// ---- public face ----

AnalogMacro::AnalogMacro(const Config& cfg, int macro_id) : impl_(std::make_unique<AnalogMacroImpl>(cfg, macro_id)) {}
AnalogMacro::~AnalogMacro() = default;
AnalogMacro::AnalogMacro(AnalogMacro&&) noexcept = default;
AnalogMacro& AnalogMacro::operator=(AnalogMacro&&) noexcept = default;

ProgramResult AnalogMacro::program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac) {
    impl_->begin_program(w, spec, ac);
    return impl_->finish_program(ac);
}
ProgramResult AnalogMacro::begin_program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac) {
    impl_->begin_program(w, spec, ac);
    return impl_->pending_.r;
}
ProgramResult AnalogMacro::begin_program_async(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac) {
    AnalogMacroImpl& m = *impl_;
    m.begin_program(w, spec, ac, false);
    const ProgramResult write = m.pending_.r;
    m.async_.ac = &ac;
    m.async_.task = TaskPool::shared(m.cfg_.sim.threads).submit([&m](int) { m.async_.r = m.finish_program(*m.async_.ac); });
    return write;
}
ProgramResult AnalogMacro::finish_program(ActionCounter& ac) {
    AnalogMacroImpl& m = *impl_;
    if (!m.async_.task) return m.finish_program(ac);
    if (&ac != m.async_.ac) throw std::logic_error("macro program: finished with another counter than it was begun with");
    const TaskPool::Handle h = std::move(m.async_.task);
    m.async_.task.reset();
    TaskPool::shared(m.cfg_.sim.threads).wait(h);   // rethrows the program's error
    return m.async_.r;
}
bool AnalogMacro::program_pending() const { return impl_->async_.task != nullptr || impl_->pending_.active; }
MvmResult AnalogMacro::mvm(const Eigen::MatrixXf& x, ActionCounter& ac, const Eigen::MatrixXf* analog_in) {
    return impl_->mvm(x, ac, analog_in);
}
Eigen::MatrixXi AnalogMacro::read_weights() const { return impl_->read_weights(); }
double AnalogMacro::mvm_rows(const float* x, Eigen::Index n, float* y, ActionCounter& ac, const float* analog_in) {
    return impl_->mvm_rows(x, n, y, ac, analog_in);
}
bool AnalogMacro::read_cost_separable() const { return impl_->read_cost_separable(); }
bool AnalogMacro::reads_batch_exact() const { return impl_->reads_batch_exact(); }
double AnalogMacro::read_cost(const float* x, ActionCounter& ac) const { return impl_->read_cost(x, ac); }
std::uint64_t AnalogMacro::reads() const {
    const auto it = impl_->block_reads_.find(impl_->block_key_);
    return it == impl_->block_reads_.end() ? 0 : it->second;
}
void AnalogMacro::rewind_reads(std::uint64_t n) {
    if (n > reads()) throw std::logic_error("macro reads: a rewind cannot skip reads");
    impl_->block_reads_[impl_->block_key_] = n;
}
bool AnalogMacro::rows_readout_active() const { return impl_->rows_fused(); }
const Eigen::MatrixXd& AnalogMacro::last_column_currents() const { return impl_->column_currents(); }

const Eigen::MatrixXd& AnalogMacroImpl::column_currents() const {
    if (currents_in_read_) {
        last_currents_ = read_weight_ * read_;   // as estimate() kept them
        currents_in_read_ = false;
    }
    if (currents_in_rows_) {
        // What estimate() keeps for resistance summation: weight * v_read / R.
        const double weight = spec_.input == InputEncoding::Signed ? 2.0 : 1.0, v = cfg_.array.v_read;
        last_currents_ = weight * (v / kept_rows_.array()).matrix();
        currents_in_rows_ = false;
    }
    if (currents_in_pairs_) {
        // I+ - I- on the + column, 0 on the - column (as convert_pairs keeps them).
        if (kept_as_inputs_) {
            // weight * I with I = u * input, as PairReadout::run forms the kept currents.
            const double w = kept_weight_, u = fused_pairs_.unit();
            last_currents_.setZero(kept_inputs_.rows(), phys_cols_);
            for (size_t p = 0; p < pair_plus_.size(); ++p) {
                double* col = last_currents_.col(pair_plus_[p]).data();
                for (Eigen::Index b = 0; b < kept_inputs_.rows(); ++b)
                    col[b] = w * (u * static_cast<double>(kept_inputs_(b, static_cast<Eigen::Index>(p))));
            }
        } else {
            last_currents_.setZero(kept_pairs_.rows(), phys_cols_);
            for (size_t p = 0; p < pair_plus_.size(); ++p) last_currents_.col(pair_plus_[p]) = kept_pairs_.col(static_cast<Eigen::Index>(p));
        }
        currents_in_pairs_ = false;
    }
    return last_currents_;
}
bool AnalogMacro::programmed() const { return impl_->programmed_; }
void AnalogMacro::set_fused_readout(bool enabled) { impl_->fused_readout_ = enabled; }
bool AnalogMacro::fused_readout_active() const {
    return impl_->fused_readout_ && impl_->fused_pairs_.ready();   // configured only for a differential ADC
}
std::pair<double, double> AnalogMacro::adc_range() const { return {impl_->adc_->lo(), impl_->adc_->hi()}; }
const BlockSpec& AnalogMacro::spec() const { return impl_->spec_; }
const Config& AnalogMacro::config() const { return impl_->cfg_; }

int AnalogMacro::logical_rows(const Config& cfg, int /*weight_bits*/) { return cfg.array.rows; }

int AnalogMacro::logical_cols(const Config& cfg, int weight_bits) {
    const WeightLayout l = WeightLayout::from_config(cfg, weight_bits, MtjDevice(cfg.device).levels());
    return l.logical_cols_fitting(cfg.array.cols);
}

int AnalogMacro::adc_conversions(const Config& cfg, int weight_bits, int logical_cols) {
    const int pc = physical_cols(cfg, weight_bits, logical_cols);
    const bool diff = cfg.array.summation == Summation::Current && cfg.array.weight_encoding == WeightEncoding::Differential &&
                      cfg.periphery.adc.input == AdcInput::Differential;
    return diff ? pc / 2 : pc;
}

int AnalogMacro::physical_cols(const Config& cfg, int weight_bits, int logical_cols) {
    const WeightLayout l = WeightLayout::from_config(cfg, weight_bits, MtjDevice(cfg.device).levels());
    return l.physical_cols(logical_cols);
}

}  // namespace sotsim::phys
