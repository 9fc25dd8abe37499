// Validated chip configuration: plain structs, all values in SI units.
//
// These are the *checked* structs (DRAMSys style): platform/config parses YAML into
// raw optional-field structs, validates them once and fills these. Models receive
// `const Config&` (or the relevant section) and never see YAML or files.
// Every default here is a named default documented in docs/config.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sotsim {

enum class IrDropMode { Off, Exact };
enum class Summation { Current, Resistance };
// How a signed logical weight becomes conductances.
//  Differential: two physical columns (G+ , G-) per logical column.
//  Reference:    one column per logical column plus one shared reference column per block
//                (its cells all at the mid/low state) subtracted digitally/analogically.
//  Offset:       one column per logical column; weights shifted to be non-negative and the
//                offset term (sum of inputs x offset) removed digitally.
enum class WeightEncoding { Differential, Reference, Offset };
// How multi-bit weights are stored: one bit per column (shift-add of slices) or one
// multi-level cell (stacked MTJs) per weight.
enum class MultiBitMode { BitSlice, MultiLevel };
// How inputs reach the row drivers.
//  Binary:    x in {0,1} -> 0 / v_read.
//  Signed:    x in {-1,+1}; handled as 2b-1 with a digital correction.
//  BitSerial: k-bit unsigned inputs, one bit plane per cycle, shift-add.
//  Pwm:       k-bit inputs as pulse width (2^k - 1 unit slots); charge integrates.
enum class InputEncoding { Binary, Signed, BitSerial, Pwm };
enum class WriteMechanism { Sot, Stt };
// What converts column signals to digital.
enum class ReadoutKind { Adc, SenseAmp, Tdc, SigmoidNeuron };
enum class AdcRange { Fixed, Calibrated };
// What one ADC conversion digitises on a differential column pair: the difference
// I+ - I- (a differential front end; the common baseline never reaches the converter) or
// each column separately (two conversions per pair, the range spans the baseline).
enum class AdcInput { Differential, SingleEnded };
// Bit cell of a resistance-summation column.
//  OneT1Mtj:   one MTJ with a bypass switch (r_bypass); inactive rows are shorted out.
//  Xnor2T2Mtj: weight and complement MTJs, the input selects one (jung): every cell is
//              always in the series path and the product forms in the cell (match -> R_P,
//              mismatch -> R_AP); the column reads the mismatch count.
enum class CellKind { OneT1Mtj, Xnor2T2Mtj };
// How layers share the chip in time: samples stream through one tile group per layer
// (Send/Receive between the groups, no barrier), or all tiles run one layer at a time.
enum class Dataflow { Pipelined, LayerByLayer };
// The chip interconnect: one shared data path (every transfer one hop), or a 2-D mesh of
// routers with XY routing (models/noc/Interconnect.h).
enum class Topology { SharedBus, Mesh2d };

struct DeviceConfig {
    double r_p = 3.1e6;            // Ohm, parallel-state resistance (from ra/diameter if given)
    double ra = 0.0;               // Ohm*m^2, resistance-area product (0 = use r_p)
    double diameter = 0.0;         // m, pillar diameter (with ra)
    double tmr = 1.5;              // (R_AP - R_P) / R_P at zero bias
    double tmr_v_half = 0.0;       // V, bias where TMR halves; 0 = bias independent
    double sigma_p = 0.05;         // d2d sigma/mu of R_P (lognormal)
    double sigma_ap = 0.05;        // d2d sigma/mu of R_AP (lognormal)
    double sigma_macro = 0.0;      // macro-to-macro (die) shift, sigma/mu (lognormal)
    double read_noise = 0.0;       // cycle-to-cycle read noise, sigma/mu of cell conductance
    double stuck_p_rate = 0.0;     // fraction of cells stuck in P
    double stuck_ap_rate = 0.0;    // fraction of cells stuck in AP
    double r_access = 0.0;         // Ohm, access transistor in series with the MTJ (read and STT write path)
    int stack = 1;                 // MTJs stacked per cell (levels = stack + 1)
    std::vector<double> level_resistances;  // Ohm, explicit levels (overrides stack), ascending R
    // Write path
    WriteMechanism write = WriteMechanism::Sot;
    double r_sot = 1.0e3;          // Ohm, SOT channel (write path) resistance
    double i_write = 300e-6;       // A, write current amplitude
    double t_pulse = 1e-9;         // s, write pulse width
    double i_c0 = 200e-6;          // A, zero-temperature critical switching current
    double delta = 45.0;           // thermal stability factor E_b / kT
    double tau0 = 1e-9;            // s, attempt time
    double t_short = 0.2e-9;       // s, characteristic time of the short-pulse (precessional) regime
    double v_write = 1.5;          // V, STT write voltage (write through the MTJ)
    double e_driver_write = 0.0;   // J per pulse of write-driver overhead (added to I^2 R t)
    int verify_max_iter = 0;       // program-verify: max extra pulses (0 = no verify)
    double wer_floor = 0.0;        // lower bound on write error rate per pulse (0 = model only)
};

struct ArrayConfig {
    int rows = 256;
    int cols = 256;                // physical columns
    double r_wire_row = 2.5;       // Ohm per cell segment
    double r_wire_col = 7.6;       // Ohm per cell segment
    IrDropMode ir_drop = IrDropMode::Off;
    Summation summation = Summation::Current;
    double v_read = 0.1;           // V, read voltage on an active row
    double c_cell = 2.1e-15;       // F per cell on a column (resistance-summation delay)
    CellKind cell = CellKind::OneT1Mtj;  // resistance-summation bit cell
    double r_bypass = 0.0;         // Ohm, bypass switch of an inactive OneT1Mtj cell (resistance summation)
    WeightEncoding weight_encoding = WeightEncoding::Differential;
    MultiBitMode multibit = MultiBitMode::BitSlice;
};

struct AdcConfig {
    std::string kind = "sar";      // registry name: sar | flash | ramp
    int bits = 5;
    int cols_per_adc = 8;          // columns sharing one ADC (time multiplexed)
    AdcRange range = AdcRange::Calibrated;
    double full_scale = 0.0;       // A, fixed input range (range = fixed); 0 = from array
    double offset_sigma = 0.0;     // per-column offset, in LSB (sigma)
    double gain_sigma = 0.0;       // per-column relative gain error (sigma)
    double inl = 0.0;              // LSB, peak integral non-linearity (bow shape)
    double fom = 0.0;              // J per conversion step (Walden); 0 = use tech table entry
    double t_conv = 0.0;           // s per conversion; 0 = derived from kind and bits
    AdcInput input = AdcInput::Differential;  // differential pairs: convert I+ - I- (or each column)
};

struct SenseAmpConfig {
    double offset_sigma = 0.0;     // A, input-referred offset sigma (column current units)
    double t_sense = 1e-9;         // s per comparison
};

// Time-to-digital converter over a delay window: the counter starts at t_start and reaches
// full scale at t_full, LSB = (t_full - t_start) / 2^bits, counter clock 2^bits / window.
struct TdcConfig {
    int bits = 4;                  // counter bits
    double t_start = 0.0;          // s, counter start; 0 = the column's nominal all-match (minimum) delay
    double t_full = 0.0;           // s, full scale; 0 = the column's nominal all-mismatch (maximum) delay
};

// How the partial sums of a layer whose K spans several row blocks are added.
//  Digital: every block converts on its own, the PE adds the codes (models/pe).
//  Analog:  the blocks' column signals (charge of I+ - I-, or current) are summed on one
//           node of the PE before a single conversion by the last block's sense amp or
//           SOT neuron; each block's transfer onto the node adds its own gain error and
//           noise. The compiler uses it for sense-amp / neuron layers (current summation).
enum class Accumulation { Digital, Analog };
struct AccumulationConfig {
    Accumulation mode = Accumulation::Digital;
    double gain_sigma = 0.0;       // static relative gain error of one block column's transfer onto the node (sigma)
    double noise = 0.0;            // sigma of the noise one transfer adds, in unit products (v_read dG of one digit)
    double t_transfer = 1e-9;      // s, one block's charge transfer onto the summing node (per input vector)
};

// Analog neuron readout. `model` picks the transfer (models/physics/NeuronTransfer.h):
//  logistic: y = 1 / (1 + exp(-gain slope (x - thr))), the ideal sigmoid of the column sum;
//  imac:     the IMAC-Sim circuit (zand group): differential amplifier of voltage gain
//            amp_gain on the column pair's line voltages, then an inverter with input
//            resistor r_in (R_P MTJ), feedback resistor r_fb (R_AP MTJ) and a series bias
//            source, supplied from 0 / vdd; square-law (SPICE level 1) MOSFETs; y = V_out / vdd.
struct NeuronConfig {
    std::string model = "logistic";  // registry name: logistic | imac
    double slope = 1.0;            // sigmoid steepness relative to the layer scale
    double noise = 0.0;            // output noise sigma (fraction of full swing)
    double t_eval = 2e-9;          // s per evaluation
    // imac circuit
    double amp_gain = 0.0;         // differential amplifier voltage gain; 0 = mapped from the layer's gain (compiler)
    double amp_swing = 0.8;        // V, amplifier output limit +-amp_swing
    double vdd = 0.8;              // V, inverter supply (rails 0 and vdd)
    double bias = -0.4;            // V, series source V(amp out) - V(divider input)
    double r_in = 8.5e3;           // Ohm, input resistor (R_P MTJ)
    double r_fb = 25.5e3;          // Ohm, feedback resistor (R_AP MTJ)
    double vth_n = 0.25;           // V, NMOS threshold
    double vth_p = 0.25;           // V, PMOS threshold magnitude
    double beta_n = 3.3e-3;        // A/V^2, NMOS KP W / L
    double beta_p = 3.3e-3;        // A/V^2, PMOS KP W / L
    double lambda = 0.3;           // 1/V, channel-length modulation (both devices)
};

struct InputConfig {
    InputEncoding encoding = InputEncoding::Binary;  // default when the compiler has no preference
    int bits = 1;                  // DAC / bit-serial input precision
    double dac_fom = 0.0;          // J per input level of one PWM / DAC conversion; 0 = tech table entry
};

struct PeripheryConfig {
    ReadoutKind readout = ReadoutKind::Adc;
    AdcConfig adc;
    SenseAmpConfig sense_amp;
    TdcConfig tdc;
    NeuronConfig neuron;
    AccumulationConfig accumulation;
    InputConfig input;
    double t_settle = 2e-9;        // s, row drive + column settle per input cycle
};

struct MacroConfig {
    double clock = 200e6;          // Hz, macro control clock
    int write_rows_parallel = 1;   // rows programmed per write cycle
    bool calibration = true;       // per-column gain/offset calibration after programming
    int calibration_vectors = 32;  // calibration input vectors per programming
    int weight_bits = 1;           // default logical weight precision
};

struct TileConfig {
    int macros = 8;
    double buffer_bytes = 64 * 1024.0;   // local SRAM size
    int buffer_ports = 2;
    int buffer_width_bytes = 8;          // bytes per port per cycle
    double clock = 200e6;                // Hz, controller / digital unit clock
    int digital_lanes = 32;              // parallel digital ops per cycle
    // Instruction buffer the controller fetches its stream into from program memory, and
    // 32-bit words it reads per cycle when issuing (33 = one InstrRecord per cycle).
    double instruction_buffer_bytes = 8 * 1024.0;
    int fetch_words_per_cycle = 33;
};

// The processing element of a tile: the adder tree beside the macros' converters that
// reduces row-block partial sums into output registers (models/pe/ProcessingElement.h).
struct PeConfig {
    int adders = 256;                    // adders in the tree: additions per tile-clock cycle
    int accumulator_bits = 32;           // width the adders and output registers are built for (8-bit layers need up to 27)
};

struct ChipConfig {
    int tiles = 9;
    double global_buffer_bytes = 1024 * 1024.0;
    int bus_width_bits = 256;
    double bus_clock = 200e6;            // Hz
    int hop_cycles = 2;                  // router latency per hop, cycles
    int gbuf_width_bytes = 32;           // global buffer bytes per cycle
    Topology interconnect = Topology::SharedBus;
    int mesh_cols = 0;                   // mesh routers per row; 0 = ceil(sqrt(tiles))
    int link_width_bits = 128;           // mesh: bits per link per bus cycle
    int link_hop_cycles = 1;             // mesh: router latency per hop, bus cycles
    Dataflow dataflow = Dataflow::Pipelined;
    int pipeline_depth = 2;              // activation slots per tile-to-tile channel (2: double buffering)
    // Samples a time-multiplexed pipeline stage passes through each round of reprogrammed
    // macros (a step): every rewrite serves the step, so larger steps amortise the writes.
    int step_samples = 128;
};
inline constexpr int kMaxStepSamples = 65536;   // chip.step_samples and the program image's step size

// Technology table: energy per action (J), area per component instance (m^2),
// leakage per component instance (W). Keys are action / component names; an action
// counted by a model with no entry here is a validation or report error.
struct TechConfig {
    std::string node = "14nm";
    std::map<std::string, double> energy;   // J per action
    std::map<std::string, double> area;     // m^2 per instance (cell: per cell)
    std::map<std::string, double> leakage;  // W per instance
};

struct SimConfig {
    std::uint64_t seed = 1;
    double power_window = 100e-9;        // s, VCD power averaging window
    double quantum = 1e-6;               // s, TLM global quantum
    int batch = 256;                     // input vectors per MVM transaction
    bool ideal = false;                  // all analog non-idealities off
    // Host resources (how the simulation runs; never changes a result).
    bool cache = true;                   // on-disk cache of IR-drop transfer matrices
    std::string cache_dir;               // empty: $XDG_CACHE_HOME/sotsim or ~/.cache/sotsim
    double cache_max_size = 2e9;         // B, least recently used entries evicted beyond it
    double memory_budget = 0;            // B for batch tensors; 0: derived from available memory
    int threads = 0;                     // host threads for IR-drop solves; 0: one per hardware thread
    int stream_window = 64;              // streamed program: vectors a macro reads in one call when known ahead
};

struct Config {
    DeviceConfig device;
    ArrayConfig array;
    PeripheryConfig periphery;
    MacroConfig macro;
    TileConfig tile;
    PeConfig pe;
    ChipConfig chip;
    TechConfig tech;
    SimConfig sim;
    std::string source;                  // file the config came from (for reports)

    int total_macros() const { return chip.tiles * tile.macros; }
};

// Copy of `c` with every analog non-ideality turned off (variation, noise, faults,
// IR drop, ADC errors) while timing and energy parameters stay: the `--ideal` mode.
Config make_ideal(const Config& c);
// Its device part alone (what make_ideal(c).device is).
DeviceConfig make_ideal(const DeviceConfig& d);

}  // namespace sotsim
