#include "platform/config/Schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "models/common/Actions.h"

namespace sotsim::config {

bool Range::contains(double v) const {
    if (lo_open ? !(v > lo) : !(v >= lo)) return false;
    if (hi_open ? !(v < hi) : !(v <= hi)) return false;
    return true;
}

std::string Range::describe() const {
    bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi && !lo_open && !hi_open) return format_real(lo) + " .. " + format_real(hi);
    std::string s;
    if (has_lo) s += (lo_open ? "> " : ">= ") + format_real(lo);
    if (has_hi) s += std::string(s.empty() ? "" : ", ") + (hi_open ? "< " : "<= ") + format_real(hi);
    return s.empty() ? "any" : s;
}

std::string format_real(double v) {
    char buf[64];
    // Integral values print as integers ("3100000", not "3.1e+06") while exactly representable.
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

std::string KeyInfo::type_name() const {
    switch (kind) {
        case KeyKind::Real: return "real";
        case KeyKind::Int: return "integer";
        case KeyKind::UInt64: return "unsigned 64-bit integer";
        case KeyKind::Bool: return "bool";
        case KeyKind::Choice: {
            std::string s;
            for (const auto& c : choices) s += (s.empty() ? "" : " / ") + c;
            return s;
        }
        case KeyKind::String: return "string";
        case KeyKind::RealList: return "list of reals";
        case KeyKind::QuantityMap: return "map name -> real";
    }
    return "?";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
Range gt0() { return Range{0.0, kInf, true, false}; }
Range ge0() { return Range{0.0, kInf, false, false}; }
Range between(double lo, double hi) { return Range{lo, hi, false, false}; }

#define CFG(expr) [](Config& c) -> auto& { return c.expr; }

KeyInfo real(std::string path, std::function<double&(Config&)> f, std::string unit, Range r,
             std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::Real; k.unit = std::move(unit);
    k.range = r; k.doc = std::move(doc); k.real = std::move(f);
    return k;
}

KeyInfo integer(std::string path, std::function<int&(Config&)> f, Range r, std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::Int; k.range = r;
    k.doc = std::move(doc); k.integer = std::move(f);
    return k;
}

KeyInfo boolean(std::string path, std::function<bool&(Config&)> f, std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::Bool; k.doc = std::move(doc);
    k.boolean = std::move(f);
    return k;
}

template <class E>
KeyInfo choice(std::string path, std::function<E&(Config&)> f,
               std::vector<std::pair<E, std::string>> names, std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::Choice; k.doc = std::move(doc);
    for (const auto& n : names) k.choices.push_back(n.second);
    k.choice_get = [f, names](const Config& c) {
        E v = f(const_cast<Config&>(c));   // read only
        for (const auto& n : names)
            if (n.first == v) return n.second;
        return std::string("?");
    };
    k.choice_set = [f, names](Config& c, const std::string& s) {
        for (const auto& n : names)
            if (n.second == s) { f(c) = n.first; return; }
    };
    return k;
}

KeyInfo string_choice(std::string path, std::function<std::string&(Config&)> f,
                      std::vector<std::string> names, std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::Choice; k.doc = std::move(doc);
    k.choices = names;
    k.choice_get = [f](const Config& c) { return f(const_cast<Config&>(c)); };
    k.choice_set = [f](Config& c, const std::string& s) { f(c) = s; };
    return k;
}

KeyInfo qmap(std::string path, std::function<std::map<std::string, double>&(Config&)> f,
             std::string unit, std::string doc) {
    KeyInfo k;
    k.path = std::move(path); k.kind = KeyKind::QuantityMap; k.unit = std::move(unit);
    k.range = ge0(); k.doc = std::move(doc); k.map = std::move(f);
    return k;
}

std::vector<KeyInfo> build_schema() {
    std::vector<KeyInfo> s;
    // ---- device -------------------------------------------------------------------------
    s.push_back(real("device.r_p", CFG(device.r_p), "Ohm", gt0(),
        "Parallel-state (low) resistance of one MTJ (including nothing in series; see device.r_access). Derived from device.ra and device.diameter when those are set; a disagreeing explicit value is then an error."));
    s.push_back(real("device.ra", CFG(device.ra), "Ohm*m^2", ge0(),
        "Resistance-area product; with device.diameter gives r_p = ra / (pi d^2 / 4). 0 = use device.r_p."));
    s.push_back(real("device.diameter", CFG(device.diameter), "m", ge0(),
        "Pillar diameter (used with device.ra)."));
    s.push_back(real("device.tmr", CFG(device.tmr), "1", ge0(),
        "Tunnel magnetoresistance ratio (R_AP - R_P) / R_P at zero bias; \"150 %\" = 1.5."));
    s.push_back(real("device.tmr_v_half", CFG(device.tmr_v_half), "V", ge0(),
        "Bias at which the TMR halves (bias-dependent R_AP); 0 = bias independent (ohmic cells)."));
    s.push_back(real("device.sigma_p", CFG(device.sigma_p), "1", between(0, 1),
        "Device-to-device variation of R_P, sigma/mu of a lognormal."));
    s.push_back(real("device.sigma_ap", CFG(device.sigma_ap), "1", between(0, 1),
        "Device-to-device variation of R_AP, sigma/mu of a lognormal."));
    s.push_back(real("device.sigma_macro", CFG(device.sigma_macro), "1", between(0, 1),
        "Macro-to-macro (die) shift of all resistances of a macro, sigma/mu of a lognormal."));
    s.push_back(real("device.read_noise", CFG(device.read_noise), "1", between(0, 1),
        "Cycle-to-cycle read noise, sigma/mu of a cell's conductance per read."));
    s.push_back(real("device.stuck_p_rate", CFG(device.stuck_p_rate), "1", between(0, 1),
        "Fraction of cells stuck in the P state."));
    s.push_back(real("device.stuck_ap_rate", CFG(device.stuck_ap_rate), "1", between(0, 1),
        "Fraction of cells stuck in the AP state."));
    s.push_back(real("device.r_access", CFG(device.r_access), "Ohm", ge0(),
        "On-resistance of the access transistor in series with the MTJ(s) of a cell: in the current-summation read path, in the selected branch of an xnor_2t2mtj cell, and in the STT write path. (The bypass switch of a resistance-summation 1t1mtj cell is array.r_bypass.)"));
    s.push_back(integer("device.stack", CFG(device.stack), between(1, 8),
        "MTJs stacked per cell; a cell has stack + 1 resistance levels (multi_level weights)."));
    {
        KeyInfo k;
        k.path = "device.level_resistances"; k.kind = KeyKind::RealList; k.unit = "Ohm";
        k.range = gt0(); k.list = CFG(device.level_resistances);
        k.doc = "Explicit cell resistance levels, strictly ascending (overrides device.stack). Empty = derive from r_p, tmr, stack.";
        s.push_back(k);
    }
    s.push_back(choice<WriteMechanism>("device.write", CFG(device.write),
        {{WriteMechanism::Sot, "sot"}, {WriteMechanism::Stt, "stt"}},
        "Write mechanism: sot (current through the SOT channel, separate write path) or stt (through the MTJ)."));
    s.push_back(real("device.r_sot", CFG(device.r_sot), "Ohm", gt0(),
        "Resistance of the SOT channel (write path)."));
    s.push_back(real("device.i_write", CFG(device.i_write), "A", gt0(),
        "Write current amplitude."));
    s.push_back(real("device.t_pulse", CFG(device.t_pulse), "s", gt0(),
        "Write pulse width."));
    s.push_back(real("device.i_c0", CFG(device.i_c0), "A", gt0(),
        "Zero-temperature critical switching current."));
    s.push_back(real("device.delta", CFG(device.delta), "1", gt0(),
        "Thermal stability factor E_b / kT."));
    s.push_back(real("device.tau0", CFG(device.tau0), "s", gt0(),
        "Attempt time of thermally activated switching."));
    s.push_back(real("device.t_short", CFG(device.t_short), "s", gt0(),
        "Characteristic time of the short-pulse (precessional) switching regime."));
    s.push_back(real("device.v_write", CFG(device.v_write), "V", ge0(),
        "STT write voltage across the cell (device.write = stt)."));
    s.push_back(real("device.e_driver_write", CFG(device.e_driver_write), "J", ge0(),
        "Write-driver overhead energy per pulse, added to the I^2 R t of the write path."));
    s.push_back(integer("device.verify_max_iter", CFG(device.verify_max_iter), between(0, 1000),
        "Program-verify: maximum extra pulses per cell (0 = write once, no verify)."));
    s.push_back(real("device.wer_floor", CFG(device.wer_floor), "1", between(0, 1),
        "Lower bound on the write error rate per pulse (0 = switching model only)."));
    // ---- array --------------------------------------------------------------------------
    s.push_back(integer("array.rows", CFG(array.rows), between(1, 4096), "Rows (word lines) per macro array."));
    s.push_back(integer("array.cols", CFG(array.cols), between(1, 4096), "Physical columns (bit lines) per macro array."));
    s.push_back(real("array.r_wire_row", CFG(array.r_wire_row), "Ohm", ge0(),
        "Row wire resistance per cell segment."));
    s.push_back(real("array.r_wire_col", CFG(array.r_wire_col), "Ohm", ge0(),
        "Column wire resistance per cell segment."));
    s.push_back(choice<IrDropMode>("array.ir_drop", CFG(array.ir_drop),
        {{IrDropMode::Off, "off"}, {IrDropMode::Exact, "exact"}},
        "IR-drop model: off (ideal wires) or exact (linear network solved per programmed block)."));
    s.push_back(choice<Summation>("array.summation", CFG(array.summation),
        {{Summation::Current, "current"}, {Summation::Resistance, "resistance"}},
        "current: 1T1MTJ, columns sum cell currents; resistance: cells in series along a column, read in the time domain (needs periphery.readout = tdc)."));
    s.push_back(real("array.v_read", CFG(array.v_read), "V", gt0(), "Read voltage on an active row."));
    s.push_back(real("array.c_cell", CFG(array.c_cell), "F", ge0(),
        "Capacitance per cell on a column (resistance-summation RC delay: t = R_column x array.rows x c_cell)."));
    s.push_back(choice<CellKind>("array.cell", CFG(array.cell),
        {{CellKind::OneT1Mtj, "1t1mtj"}, {CellKind::Xnor2T2Mtj, "xnor_2t2mtj"}},
        "Resistance-summation bit cell: 1t1mtj (one MTJ with a bypass switch; inactive rows shorted by array.r_bypass) or xnor_2t2mtj (weight and complement MTJs, the input selects one: the product forms in the cell, every cell stays in the series path, the column reads the mismatch count; one column per neuron with weight_encoding offset)."));
    s.push_back(real("array.r_bypass", CFG(array.r_bypass), "Ohm", ge0(),
        "On-resistance of the bypass switch of an inactive 1t1mtj cell in resistance summation."));
    s.push_back(choice<WeightEncoding>("array.weight_encoding", CFG(array.weight_encoding),
        {{WeightEncoding::Differential, "differential"}, {WeightEncoding::Reference, "reference"},
         {WeightEncoding::Offset, "offset"}},
        "Signed weights: differential column pair, shared reference column, or offset with digital correction."));
    s.push_back(choice<MultiBitMode>("array.multibit", CFG(array.multibit),
        {{MultiBitMode::BitSlice, "bit_slice"}, {MultiBitMode::MultiLevel, "multi_level"}},
        "Multi-bit weights: one bit per column with shift-add (bit_slice) or one multi-level cell per weight (multi_level)."));
    // ---- periphery ----------------------------------------------------------------------
    s.push_back(choice<ReadoutKind>("periphery.readout", CFG(periphery.readout),
        {{ReadoutKind::Adc, "adc"}, {ReadoutKind::SenseAmp, "sense_amp"}, {ReadoutKind::Tdc, "tdc"},
         {ReadoutKind::SigmoidNeuron, "sigmoid_neuron"}},
        "Column readout: adc, sense_amp (1-bit comparator), tdc (time-to-digital, resistance summation) or sigmoid_neuron (analog SOT neuron, no ADC)."));
    s.push_back(real("periphery.t_settle", CFG(periphery.t_settle), "s", ge0(),
        "Row drive plus column settle time per input cycle."));
    s.push_back(string_choice("periphery.adc.kind", CFG(periphery.adc.kind), {"sar", "flash", "ramp"},
        "ADC architecture (sets the default conversion time)."));
    s.push_back(integer("periphery.adc.bits", CFG(periphery.adc.bits), between(1, 16), "ADC resolution."));
    s.push_back(integer("periphery.adc.cols_per_adc", CFG(periphery.adc.cols_per_adc), between(1, 4096),
        "Columns sharing one ADC (time multiplexed)."));
    s.push_back(choice<AdcRange>("periphery.adc.range", CFG(periphery.adc.range),
        {{AdcRange::Fixed, "fixed"}, {AdcRange::Calibrated, "calibrated"}},
        "Input range: fixed (periphery.adc.full_scale) or calibrated to the programmed block."));
    s.push_back(real("periphery.adc.full_scale", CFG(periphery.adc.full_scale), "A", ge0(),
        "Fixed full-scale input current (range = fixed); 0 = derived from the array."));
    s.push_back(real("periphery.adc.offset_sigma", CFG(periphery.adc.offset_sigma), "1", ge0(),
        "Per-column offset error, sigma in LSB."));
    s.push_back(real("periphery.adc.gain_sigma", CFG(periphery.adc.gain_sigma), "1", ge0(),
        "Per-column relative gain error, sigma."));
    s.push_back(real("periphery.adc.inl", CFG(periphery.adc.inl), "1", ge0(),
        "Peak integral non-linearity in LSB (bow shape)."));
    s.push_back(real("periphery.adc.fom", CFG(periphery.adc.fom), "J", ge0(),
        "Walden figure of merit, J per conversion step. If > 0 the energy model uses fom * 2^bits per conversion instead of tech.energy.adc_conversion (which is a fixed value at one resolution)."));
    s.push_back(real("periphery.adc.t_conv", CFG(periphery.adc.t_conv), "s", ge0(),
        "Time per conversion; 0 = derived from kind and bits."));
    s.push_back(choice<AdcInput>("periphery.adc.input", CFG(periphery.adc.input),
        {{AdcInput::Differential, "differential"}, {AdcInput::SingleEnded, "single_ended"}},
        "What one conversion digitises on a differential column pair: differential (I+ - I-, one conversion per pair, range symmetric around 0) or single_ended (each column separately over a range that includes the baseline)."));
    s.push_back(real("periphery.sense_amp.offset_sigma", CFG(periphery.sense_amp.offset_sigma), "A", ge0(),
        "Input-referred offset sigma of the sense amplifier, in column-current units."));
    s.push_back(real("periphery.sense_amp.t_sense", CFG(periphery.sense_amp.t_sense), "s", gt0(),
        "Time per comparison."));
    s.push_back(integer("periphery.tdc.bits", CFG(periphery.tdc.bits), between(1, 16),
        "Time-to-digital counter bits."));
    s.push_back(real("periphery.tdc.t_start", CFG(periphery.tdc.t_start), "s", ge0(),
        "Delay at which the counter starts (code 0); 0 = the nominal all-match (minimum) delay of each block's column over the rows the block uses. LSB = (t_full - t_start) / 2^bits, counter clock 2^bits / (t_full - t_start)."));
    s.push_back(real("periphery.tdc.t_full", CFG(periphery.tdc.t_full), "s", ge0(),
        "Delay at which the counter reaches full scale (and the conversion ends); 0 = the nominal all-mismatch (maximum) delay of each block's column over the rows the block uses. Must fit the read frame 1 / macro.clock."));
    s.push_back(choice<Accumulation>("periphery.accumulation.mode", CFG(periphery.accumulation.mode),
        {{Accumulation::Digital, "digital"}, {Accumulation::Analog, "analog"}},
        "How a layer whose K spans several row blocks adds their partial sums: digital (each block converts, the PE adds the codes) or analog (the blocks' column charges are summed on one node before a single sense-amp / SOT-neuron decision; current summation, sense_amp or sigmoid_neuron readout; the compiler falls back to digital otherwise)."));
    s.push_back(real("periphery.accumulation.gain_sigma", CFG(periphery.accumulation.gain_sigma), "1", ge0(),
        "Analog accumulation: static relative gain error of each block column's transfer onto the summing node (sigma, sampled once per macro)."));
    s.push_back(real("periphery.accumulation.noise", CFG(periphery.accumulation.noise), "1", ge0(),
        "Analog accumulation: noise sigma added by each block's transfer, in unit products (one digit's current v_read dG); the sum of B blocks carries sqrt(B) times it."));
    s.push_back(real("periphery.accumulation.t_transfer", CFG(periphery.accumulation.t_transfer), "s", gt0(),
        "Analog accumulation: time of one block's charge transfer onto the summing node, per input vector."));
    s.push_back(string_choice("periphery.neuron.model", CFG(periphery.neuron.model), {"logistic", "imac"},
        "Analog neuron transfer: logistic (ideal 1 / (1 + exp(-g slope (x - thr))) of the column sum) or imac (the IMAC-Sim circuit: differential amplifier on the pair's line voltages, then a CMOS inverter with R_in / R_fb MTJ divider and series bias, square-law transistors; y = V_out / vdd)."));
    s.push_back(real("periphery.neuron.amp_gain", CFG(periphery.neuron.amp_gain), "1", ge0(),
        "imac: differential amplifier voltage gain; 0 = chosen by the compiler so the circuit's slope at the bias point equals the layer's logistic slope g / 4 (a fixed gain is used as given and its slope mismatch noted)."));
    s.push_back(real("periphery.neuron.amp_swing", CFG(periphery.neuron.amp_swing), "V", gt0(),
        "imac: amplifier output limit, +-amp_swing."));
    s.push_back(real("periphery.neuron.vdd", CFG(periphery.neuron.vdd), "V", gt0(),
        "imac: inverter supply (rails 0 and vdd); the output is normalised by it."));
    s.push_back(real("periphery.neuron.bias", CFG(periphery.neuron.bias), "V", between(-10, 10),
        "imac: series bias source between amplifier output and divider, V(amp) - V(divider input)."));
    s.push_back(real("periphery.neuron.r_in", CFG(periphery.neuron.r_in), "Ohm", gt0(),
        "imac: input resistor of the inverter stage (R_P MTJ)."));
    s.push_back(real("periphery.neuron.r_fb", CFG(periphery.neuron.r_fb), "Ohm", gt0(),
        "imac: feedback resistor from output to inverter gate (R_AP MTJ)."));
    s.push_back(real("periphery.neuron.vth_n", CFG(periphery.neuron.vth_n), "V", ge0(),
        "imac: NMOS threshold voltage (level-1 square law)."));
    s.push_back(real("periphery.neuron.vth_p", CFG(periphery.neuron.vth_p), "V", ge0(),
        "imac: PMOS threshold voltage magnitude."));
    s.push_back(real("periphery.neuron.beta_n", CFG(periphery.neuron.beta_n), "A/V^2", gt0(),
        "imac: NMOS transconductance factor KP W / L."));
    s.push_back(real("periphery.neuron.beta_p", CFG(periphery.neuron.beta_p), "A/V^2", gt0(),
        "imac: PMOS transconductance factor KP W / L."));
    s.push_back(real("periphery.neuron.lambda", CFG(periphery.neuron.lambda), "V^-1", ge0(),
        "imac: channel-length modulation of both transistors."));
    s.push_back(real("periphery.neuron.slope", CFG(periphery.neuron.slope), "1", gt0(),
        "Sigmoid steepness relative to the layer scale."));
    s.push_back(real("periphery.neuron.noise", CFG(periphery.neuron.noise), "1", between(0, 1),
        "Output noise sigma as a fraction of full swing."));
    s.push_back(real("periphery.neuron.t_eval", CFG(periphery.neuron.t_eval), "s", gt0(),
        "Time per neuron evaluation."));
    s.push_back(choice<InputEncoding>("periphery.input.encoding", CFG(periphery.input.encoding),
        {{InputEncoding::Binary, "binary"}, {InputEncoding::Signed, "signed"},
         {InputEncoding::BitSerial, "bit_serial"}, {InputEncoding::Pwm, "pwm"}},
        "Default input encoding: binary {0,1}, signed {-1,+1}, bit_serial (one bit plane per cycle) or pwm (pulse width)."));
    s.push_back(integer("periphery.input.bits", CFG(periphery.input.bits), between(1, 16),
        "Input precision (DAC / bit-serial / PWM bits); 1 for binary and signed."));
    s.push_back(real("periphery.input.dac_fom", CFG(periphery.input.dac_fom), "J", ge0(),
        "Energy per input level of one PWM / DAC conversion; if > 0 the energy model uses dac_fom * 2^bits per conversion instead of tech.energy.dac_conversion."));
    // ---- macro --------------------------------------------------------------------------
    s.push_back(real("macro.clock", CFG(macro.clock), "Hz", gt0(), "Macro control clock."));
    s.push_back(integer("macro.write_rows_parallel", CFG(macro.write_rows_parallel), between(1, 4096),
        "Rows programmed per write cycle."));
    s.push_back(boolean("macro.calibration", CFG(macro.calibration),
        "Per-column gain/offset calibration after programming."));
    s.push_back(integer("macro.calibration_vectors", CFG(macro.calibration_vectors), between(0, 1000000),
        "Calibration input vectors per programming."));
    s.push_back(integer("macro.weight_bits", CFG(macro.weight_bits), between(1, 16),
        "Default logical weight precision."));
    // ---- tile ---------------------------------------------------------------------------
    s.push_back(integer("tile.macros", CFG(tile.macros), between(1, 4096), "Macros per tile."));
    s.push_back(real("tile.buffer_bytes", CFG(tile.buffer_bytes), "B", gt0(),
        "Local SRAM buffer size per tile (\"64 KiB\" = 65536)."));
    s.push_back(integer("tile.buffer_ports", CFG(tile.buffer_ports), between(1, 64), "Local buffer ports."));
    s.push_back(integer("tile.buffer_width_bytes", CFG(tile.buffer_width_bytes), between(1, 4096),
        "Bytes per buffer port per cycle."));
    s.push_back(real("tile.clock", CFG(tile.clock), "Hz", gt0(), "Tile controller and digital unit clock."));
    s.push_back(integer("tile.digital_lanes", CFG(tile.digital_lanes), between(1, 65536),
        "Parallel digital operations per cycle."));
    s.push_back(real("tile.instruction_buffer_bytes", CFG(tile.instruction_buffer_bytes), "B", ge0(),
        "Tile instruction buffer: a stream (instruction records and their parameters) that fits is fetched from "
        "program memory once per program and issued from here; a longer one is fetched from program memory "
        "instruction by instruction, every pass."));
    s.push_back(integer("tile.fetch_words_per_cycle", CFG(tile.fetch_words_per_cycle), between(1, 4096),
        "32-bit words the controller reads from its instruction buffer per cycle; an instruction of w words "
        "costs ceil(w / this) cycles to issue (33: one 33-word record per cycle)."));
    // ---- processing element -------------------------------------------------------------
    s.push_back(integer("pe.adders", CFG(pe.adders), between(1, 1 << 20),
        "Adders in a tile's processing-element adder tree (additions per tile-clock cycle)."));
    s.push_back(integer("pe.accumulator_bits", CFG(pe.accumulator_bits), between(2, 64),
        "Width the PE adders and output registers are built for; a layer whose reduction needs more is a compile error."));
    // ---- chip ---------------------------------------------------------------------------
    s.push_back(integer("chip.tiles", CFG(chip.tiles), between(1, 4096), "Tiles per chip."));
    s.push_back(real("chip.global_buffer_bytes", CFG(chip.global_buffer_bytes), "B", ge0(),
        "Global buffer size."));
    s.push_back(integer("chip.bus_width_bits", CFG(chip.bus_width_bits), between(1, 65536),
        "Interconnect width."));
    s.push_back(real("chip.bus_clock", CFG(chip.bus_clock), "Hz", gt0(), "Interconnect clock."));
    s.push_back(integer("chip.hop_cycles", CFG(chip.hop_cycles), between(0, 1000),
        "Router latency per hop, in bus cycles."));
    s.push_back(integer("chip.gbuf_width_bytes", CFG(chip.gbuf_width_bytes), between(1, 65536),
        "Global buffer bytes per cycle."));
    s.push_back(choice<Topology>("chip.interconnect", CFG(chip.interconnect),
        {{Topology::SharedBus, "shared_bus"}, {Topology::Mesh2d, "mesh_2d"}},
        "shared_bus: one data path of chip.bus_width_bits, every transfer one hop of chip.hop_cycles; mesh_2d: one router per tile in a grid of chip.mesh_cols columns, XY routing, each link chip.link_width_bits wide with its own reservation calendar; the global buffer, program memory and host port sit at router 0."));
    s.push_back(integer("chip.mesh_cols", CFG(chip.mesh_cols), between(0, 4096),
        "Mesh routers per row (mesh_2d); 0 = ceil(sqrt(chip.tiles))."));
    s.push_back(integer("chip.link_width_bits", CFG(chip.link_width_bits), between(1, 65536),
        "Bits a mesh link carries per bus-clock cycle (mesh_2d)."));
    s.push_back(integer("chip.link_hop_cycles", CFG(chip.link_hop_cycles), between(0, 1000),
        "Router latency per hop of a mesh (mesh_2d), bus-clock cycles."));
    s.push_back(choice<Dataflow>("chip.dataflow", CFG(chip.dataflow),
        {{Dataflow::Pipelined, "pipelined"}, {Dataflow::LayerByLayer, "layer_by_layer"}},
        "pipelined: each layer runs on its own tiles and samples stream tile to tile (Send/Receive with flow control, no barrier per layer); layer_by_layer: all tiles run one layer at a time through the global buffer with a chip-wide barrier. A network that does not fit the chip is pipelined with time-multiplexed stages (chip.step_samples); one whose residual adds read an earlier layer's stored output runs layer by layer."));
    s.push_back(integer("chip.pipeline_depth", CFG(chip.pipeline_depth), between(1, 1024),
        "Samples a tile-to-tile activation channel buffers before the sender stalls (flow control)."));
    s.push_back(integer("chip.step_samples", CFG(chip.step_samples), between(1, kMaxStepSamples),
        "Pipelined network that does not fit the chip: a layer whose blocks do not fit its tile group reprograms its macros round by round for every step of this many samples (the step's partial sums are reduced in the processing element; those beyond its output registers wait in the tile buffer between rounds); larger steps amortise the write time. The rounds alternate their order every step, so the blocks of the round that ended a step are not rewritten. The compiler lowers the step to what the tile buffer holds (sotsim compile says so). A resident stage behind a stepped one runs in its steps; the others stream one sample at a time."));
    // ---- tech ---------------------------------------------------------------------------
    {
        KeyInfo k;
        k.path = "tech.node"; k.kind = KeyKind::String; k.str = CFG(tech.node);
        k.doc = "Technology node label (reports only).";
        s.push_back(k);
    }
    s.push_back(qmap("tech.energy", CFG(tech.energy), "J",
        "Energy per action (names from models/common/Actions.h), e.g. adc_conversion: 42 fJ."));
    s.push_back(qmap("tech.area", CFG(tech.area), "m^2",
        "Area per component instance (names from models/common/Stats.h), e.g. mtj_cell: 0.01 um^2."));
    s.push_back(qmap("tech.leakage", CFG(tech.leakage), "W",
        "Leakage power per component instance, e.g. sram_byte: 5 pW."));
    // ---- sim ----------------------------------------------------------------------------
    {
        KeyInfo k;
        k.path = "sim.seed"; k.kind = KeyKind::UInt64; k.u64 = CFG(sim.seed);
        k.doc = "Random seed; every macro derives its own stream from (seed, macro id, purpose).";
        s.push_back(k);
    }
    s.push_back(real("sim.power_window", CFG(sim.power_window), "s", gt0(),
        "Averaging window of the per-tile power trace in the VCD."));
    s.push_back(real("sim.quantum", CFG(sim.quantum), "s", gt0(), "TLM global quantum (temporal decoupling)."));
    s.push_back(integer("sim.batch", CFG(sim.batch), between(1, 1000000),
        "Input vectors per MVM transaction."));
    s.push_back(boolean("sim.ideal", CFG(sim.ideal), "Turn every analog non-ideality off (same as --ideal)."));
    s.push_back(boolean("sim.cache", CFG(sim.cache),
        "Keep exact IR-drop transfer matrices in an on-disk cache keyed by a hash of the conductances, "
        "wire resistances, shape and solver version (same numbers, skips the solve; --no-cache turns it off)."));
    {
        KeyInfo k;
        k.path = "sim.cache_dir"; k.kind = KeyKind::String; k.str = CFG(sim.cache_dir);
        k.doc = "Cache directory; empty: $XDG_CACHE_HOME/sotsim, else ~/.cache/sotsim. Holds the IR-drop transfer matrices (`ir-drop/`) and the SHA-256 digests of the report's model and dataset files by file identity (`sha256/`: device, inode, size, mtime, ctime).";
        s.push_back(k);
    }
    s.push_back(real("sim.cache_max_size", CFG(sim.cache_max_size), "B", gt0(),
        "Size bound of the cache; least recently used entries are removed beyond it."));
    s.push_back(real("sim.memory_budget", CFG(sim.memory_budget), "B", ge0(),
        "Host memory for the tensors of one batch (caps sim.batch); 0: half of the available memory "
        "(MemAvailable), at most 4 GB."));
    s.push_back(integer("sim.threads", CFG(sim.threads), between(0, 1024),
        "Host threads that solve the exact IR-drop transfer matrices of the programmed macros (macros "
        "concurrently, each solve split over what is left); 0: one per hardware thread. Never changes a "
        "number (same as --threads)."));
    s.push_back(integer("sim.stream_window", CFG(sim.stream_window), between(1, 4096),
        "Streamed (pipelined) programs: a macro reads the one-vector MVMs of up to this many consecutive "
        "samples whose inputs the tile already knows (the network input in the global buffer) in one "
        "physics call, and answers each sample's MVM from it with that sample's own counts, time and "
        "noise; 1: one call per sample. Never changes a number."));
    return s;
}

#undef CFG

}  // namespace

const std::vector<KeyInfo>& schema() {
    static const std::vector<KeyInfo> s = build_schema();
    return s;
}

const KeyInfo* find_key(const std::string& path) {
    for (const auto& k : schema())
        if (k.path == path) return &k;
    return nullptr;
}

const std::vector<std::string>& section_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& k : schema()) {
            std::string p = k.path;
            for (auto dot = p.rfind('.'); dot != std::string::npos; dot = p.rfind('.')) {
                p = p.substr(0, dot);
                if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
            }
        }
        return out;
    }();
    return names;
}

bool is_section(const std::string& path) {
    const auto& s = section_names();
    return std::find(s.begin(), s.end(), path) != s.end();
}

std::string format_value(const KeyInfo& key, const Config& cfg) {
    Config& c = const_cast<Config&>(cfg);   // accessors are read only here
    switch (key.kind) {
        case KeyKind::Real: return format_real(key.real(c));
        case KeyKind::Int: return std::to_string(key.integer(c));
        case KeyKind::UInt64: return std::to_string(key.u64(c));
        case KeyKind::Bool: return key.boolean(c) ? "true" : "false";
        case KeyKind::Choice: return key.choice_get(cfg);
        case KeyKind::String: return key.str(c);
        case KeyKind::RealList: {
            std::string s = "[";
            for (double v : key.list(c)) s += (s.size() > 1 ? ", " : "") + format_real(v);
            return s + "]";
        }
        case KeyKind::QuantityMap: {
            std::string s = "{";
            for (const auto& [n, v] : key.map(c)) s += (s.size() > 1 ? ", " : "") + n + ": " + format_real(v);
            return s + "}";
        }
    }
    return "";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

namespace {
std::string last_component(const std::string& p) {
    auto dot = p.rfind('.');
    return dot == std::string::npos ? p : p.substr(dot + 1);
}
}  // namespace

std::string suggest(const std::string& path) {
    std::vector<std::string> candidates = section_names();
    for (const auto& k : schema()) candidates.push_back(k.path);
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(path, c);
        if (d < best_d) { best_d = d; best = c; }
    }
    std::size_t limit = std::max<std::size_t>(2, path.size() / 5);
    if (best_d <= limit) return best;
    // Right name in the wrong section ("array.bits" -> "periphery.adc.bits").
    std::string leaf = last_component(path);
    for (const auto& k : schema())
        if (last_component(k.path) == leaf) return k.path;
    return "";
}

const std::vector<std::string>& known_actions() {
    static const std::vector<std::string> a = {
        action::kRowDrive, action::kDac, action::kAdc, action::kTdc, action::kTdcCount, action::kSenseAmp,
        action::kNeuron, action::kAnalogTransfer, action::kCellWrite, action::kVerifyRead, action::kBufRead,
        action::kBufWrite, action::kGbufRead, action::kGbufWrite, action::kBusByte, action::kMeshLinkByte,
        action::kDigitalAdd, action::kDigitalMult, action::kDigitalCompare, action::kDigitalAct};
    return a;
}

const std::vector<std::string>& known_components() {
    // The area/leakage component vocabulary documented in models/common/Stats.h.
    static const std::vector<std::string> c = {
        "mtj_cell", "row_driver", "write_driver", "adc", "sense_amp", "tdc", "neuron",
        "macro_control", "sram_byte", "digital_unit", "tile_control", "router", "host_interface"};
    return c;
}

std::string render_schema_markdown() {
    const Config defaults;
    std::ostringstream md;
    std::string current;
    for (const auto& k : schema()) {
        std::string section = k.path.substr(0, k.path.rfind('.'));
        if (section != current) {
            current = section;
            md << "\n### `" << section << "`\n\n"
               << "| key | type | unit | default | range | meaning |\n"
               << "|---|---|---|---|---|---|\n";
        }
        std::string unit = (k.kind == KeyKind::Real || k.kind == KeyKind::RealList ||
                            k.kind == KeyKind::QuantityMap) ? k.unit : "-";
        std::string range = (k.kind == KeyKind::Real || k.kind == KeyKind::Int ||
                             k.kind == KeyKind::RealList || k.kind == KeyKind::QuantityMap)
                                ? k.range.describe() : "-";
        std::string def = format_value(k, defaults);
        if (def.empty()) def = "\"\"";
        md << "| `" << k.path << "` | " << k.type_name() << " | " << unit << " | `" << def
           << "` | " << range << " | " << k.doc << " |\n";
    }
    return md.str();
}

}  // namespace sotsim::config
