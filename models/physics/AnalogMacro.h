// AnalogMacro: the numerical heart of one MRAM macro, without SystemC.
//
// It owns one crossbar array plus its periphery (drivers, ADCs / sense amps / TDC /
// sigmoid neurons, calibration) and maps *logical* blocks (integer weights, integer
// inputs) onto *physical* cells and signals. The SystemC MramMacro wraps it, adds
// busy-until timing and a TLM face; the compiler uses the static geometry helpers to
// tile weight matrices.
//
// Value domains (the contract with the compiler and the tile controller):
//  weights W (rows x cols, int):  weight_bits == 1 -> {-1,+1};
//                                 weight_bits == k  -> signed ints, |w| <= 2^(k-1)-1.
//  inputs  X (batch x rows, float): Binary {0,1}; Signed {-1,+1};
//                                 BitSerial / Pwm unsigned ints in [0, 2^input_bits - 1].
//                                 Pwm inputs wider than the DAC (input_slice_bits) are
//                                 driven in slices of that width, one pulse per cycle.
//  outputs Y (batch x cols, float):
//     Adc / Tdc readout: digital estimate of X*W in integer units (exact when ideal);
//     SenseAmp:          +1 if X*W >= threshold(col) else -1;
//     SigmoidNeuron:     periphery.neuron.model transfer of X*W - threshold(col), in [0,1]
//                        (logistic: 1 / (1 + exp(-gain (X*W - threshold))); imac: the IMAC-Sim circuit).
#pragma once

#include <Eigen/Dense>

#include "models/physics/IsaGuard.h"  // one ISA for every unit that shares Eigen objects
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "models/common/Actions.h"
#include "models/config/Config.h"

namespace sotsim::phys {

// Role of a block in analog accumulation across row blocks (periphery.accumulation):
//  None:    the block converts its own partial sum (or is the whole K).
//  Partial: no conversion: the block's column signals are transferred onto the PE's
//           summing node; mvm() returns that transferred value in integer units
//           (with the transfer's gain error and noise).
//  Final:   the block's own transfer is added to the node's accumulated charge (the
//           `analog_in` of mvm()) and the sum goes through its sense amp / SOT neuron once.
enum class AnalogSum { None, Partial, Final };

// Widest integer input a block can be driven with (bit-serial bits / PWM slices of it).
inline constexpr int kMaxInputBits = 16;

// What the compiler asks one macro to hold and how it will be driven.
struct BlockSpec {
    int rows = 0;                     // logical rows used (<= array rows)
    int cols = 0;                     // logical output columns used
    int weight_bits = 1;
    InputEncoding input = InputEncoding::Binary;
    int input_bits = 1;
    // Pwm: bits of one pulse (the DAC width). An input of more bits is driven as
    // ceil(input_bits / input_slice_bits) slices, least significant first, one pulse-width
    // cycle each; the slice results are shift-added (slice k weighs 2^(k * slice bits)).
    // 0 (or >= input_bits): the whole input in one pulse.
    int input_slice_bits = 0;
    ReadoutKind readout = ReadoutKind::Adc;
    std::vector<float> threshold;     // per logical column (SenseAmp / SigmoidNeuron), integer units
    float neuron_gain = 1.0f;         // SigmoidNeuron: gain in 1/(integer unit)
    AnalogSum analog_sum = AnalogSum::None;  // Partial / Final: current summation, SenseAmp / SigmoidNeuron
};

struct ProgramResult {
    double time_s = 0.0;              // write time for the whole block (rows x pulses (+ verify))
    std::int64_t pulses = 0;          // write pulses issued
    std::int64_t cells = 0;           // cells written
    std::int64_t write_failures = 0;  // cells left in the wrong state after program (+ verify)
};

struct MvmResult {
    Eigen::MatrixXf y;                // batch x cols (see value domains above)
    double latency_s = 0.0;           // time for the whole batch on this macro
};

class AnalogMacroImpl;

class AnalogMacro {
public:
    // `macro_id` selects this macro's random streams: derive(sim.seed, macro_id, purpose),
    // so results never depend on scheduling order.
    AnalogMacro(const Config& cfg, int macro_id);
    ~AnalogMacro();
    AnalogMacro(AnalogMacro&&) noexcept;
    AnalogMacro& operator=(AnalogMacro&&) noexcept;

    // Program a block: sample conductances (d2d variation, macro shift, stuck faults,
    // write errors from the SOT/STT switching model, optional verify), then calibrate if
    // enabled. Counts cell writes, verify reads and calibration MVMs into `ac`.
    ProgramResult program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac);
    // program() in two steps, for an initiator that programs several macros before it needs
    // any: begin_program writes and samples the cells and starts the exact IR-drop solve as
    // a task (CrossbarArray::begin_build); finish_program waits for it, calibrates and
    // returns the whole result (errors of either step as program() throws them). Between
    // the two, only finish_program may be called. Same numbers as program().
    // begin_program returns the write's part of the result (its time_s bounds the whole
    // program's from below: calibration only adds).
    ProgramResult begin_program(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac);
    // begin_program, and the rest of the program (the cell writes when their time is known
    // without them, i.e. without program-verify; sampling the cells, the IR-drop solve,
    // range measurement, calibration) started at once as a task on the process-wide pool of
    // sim.threads threads (TaskPool.h), so that the initiator issues the next macros' programs
    // while this one is written and calibrated; finish_program(ac) waits for it. `ac` must be
    // the counter given to finish_program, left alone until then. Same numbers as program():
    // the task reads and writes this macro's state only (its random streams are its own), so
    // only when it runs depends on the thread count. Returns the write's time_s (the rest of
    // the write's result may not be known yet: finish_program's result has it).
    ProgramResult begin_program_async(const Eigen::MatrixXi& w, const BlockSpec& spec, ActionCounter& ac);
    ProgramResult finish_program(ActionCounter& ac);
    bool program_pending() const;

    // Batched analog MVM through the periphery. Counts row drives, conversions etc. and
    // adds the data-dependent array read energy ("array_read") into `ac`.
    // `analog_in` (Final blocks of analog accumulation only): batch x cols, the partial
    // sums already on the summing node (the sum of the Partial blocks' mvm() outputs).
    MvmResult mvm(const Eigen::MatrixXf& x, ActionCounter& ac, const Eigen::MatrixXf* analog_in = nullptr);
    // mvm() on row-major data, the layout of the macro's TLM burst: n vectors of spec().rows
    // floats at x (vector b at x + b * rows), the n x spec().cols results into y the same
    // way, `analog_in` (n x cols) likewise; returns the batch latency. Resistance-summation
    // (TDC) blocks of XNOR cells read straight from the rows through a per-vector readout
    // (ResistanceReadout: the same operations, one fixed summation order per vector); every
    // other block goes through mvm() on a column-major copy. Same numbers and actions as mvm().
    double mvm_rows(const float* x, Eigen::Index n, float* y, ActionCounter& ac, const float* analog_in = nullptr);

    // Reads in windows (a streamed program's macro reads the next samples' vectors in one
    // call, models/macro/MramMacro.h). True when the counts and latency of a one-vector
    // read of the programmed block follow from its input alone (current summation, ADC /
    // sense amp / neuron readout, not the final block of an analog accumulation).
    bool read_cost_separable() const;
    // And when a vector's result is the same bit for bit in whatever call it is read (so
    // reading it ahead, with others, changes nothing): 0/1 input planes into an ADC code,
    // a sense-amp decision or a partial block's node value (not the final block: its input
    // is the node).
    bool reads_batch_exact() const;
    // Then: the actions mvm_rows(x, 1, ...) adds to `ac` and the latency it returns, for
    // the one vector x (spec().rows floats), without reading: the same values bit for bit.
    double read_cost(const float* x, ActionCounter& ac) const;
    // Inference vectors read from the programmed block so far (the position of its noise
    // streams: the next read draws as vector reads()), and a rewind to n <= reads(), for
    // reads made ahead and not used (their draws are then made again, for the same vectors).
    std::uint64_t reads() const;
    void rewind_reads(std::uint64_t n);

    // Logical weights as currently stored (what a verify read returns; includes errors).
    Eigen::MatrixXi read_weights() const;

    // Physical column signals of the last mvm() (batch x physical columns): current
    // summation -> column currents in A (bit-serial: sum_p 2^p I_p, PWM: charge / slot
    // time); resistance summation -> v_read / R_column. A differential ADC readout never
    // reads the two columns of a pair apart: its converter input I+ - I- is on the + column
    // and 0 on the - column. Empty before the first mvm().
    const Eigen::MatrixXd& last_column_currents() const;

    // Input range (lo, hi) of the column ADC for the programmed block, A: from the design
    // (nominal cells, block digits) or measured by calibration vectors; never from the
    // sampled cells. Differential readout: symmetric around 0.
    std::pair<double, double> adc_range() const;

    bool programmed() const;
    // Whether an inference read of a differential-ADC block goes through the fused
    // per-vector readout (PairReadout) when it covers the block (default) or through the
    // general column-by-column path; likewise mvm_rows() of a resistance-summation block
    // (ResistanceReadout). The two compute the same physics from the same reads
    // and normals (they differ by summation order and FMA contraction only); the switch
    // exists so the tests can compare them.
    void set_fused_readout(bool enabled);
    // True when the programmed block's inference reads take the fused readout.
    bool fused_readout_active() const;
    // True when mvm_rows() of the programmed block takes the per-vector resistance readout
    // (set_fused_readout switches it too).
    bool rows_readout_active() const;
    const BlockSpec& spec() const;
    const Config& config() const;

    // Geometry (used by the compiler): how many logical rows / columns of a given weight
    // precision fit in one array under this config's encoding and multi-bit mode.
    static int logical_rows(const Config& cfg, int weight_bits);
    static int logical_cols(const Config& cfg, int weight_bits);
    // Array reads per MVM of a block driven as `spec` says: one per input bit (bit-serial),
    // per DAC slice (PWM inputs wider than input_slice_bits), else one.
    static int input_cycles(const BlockSpec& spec);
    // Bits driven per read: 1 (bit-serial), the slice (sliced PWM), else all input bits.
    static int slice_bits(const BlockSpec& spec);
    // Physical columns a block of `logical_cols` columns occupies (ADC sharing, energy).
    static int physical_cols(const Config& cfg, int weight_bits, int logical_cols);
    // Column conversions per input cycle of such a block under an ADC readout: one per
    // physical column, one per pair with a differential (I+ - I-) readout.
    static int adc_conversions(const Config& cfg, int weight_bits, int logical_cols);

private:
    std::unique_ptr<AnalogMacroImpl> impl_;
};

}  // namespace sotsim::phys
