// Action counting: models only count what they did; one energy model (platform/report)
// turns counts into joules. Plain C++ (no SystemC) so the physics core can use it too.
#pragma once

#include <map>
#include <string>

namespace sotsim {

// Counts of named actions (e.g. "adc_conversion", "row_drive", "cell_write",
// "buffer_read_byte", "bus_byte", "digital_add") plus energies the physics core computes
// from actual conductances and voltages (data dependent: "array_read", "cell_write_joule").
// The energy model multiplies `count` by the tech table; `physics_energy_J` is added as is.
struct ActionCounter {
    std::map<std::string, double> count;
    std::map<std::string, double> physics_energy_J;

    void add(const std::string& action, double n = 1.0) { count[action] += n; }
    void add_energy(const std::string& kind, double joules) { physics_energy_J[kind] += joules; }
    void merge(const ActionCounter& o) {
        for (const auto& [k, v] : o.count) count[k] += v;
        for (const auto& [k, v] : o.physics_energy_J) physics_energy_J[k] += v;
    }
    double get(const std::string& action) const {
        auto it = count.find(action);
        return it == count.end() ? 0.0 : it->second;
    }
    void clear() { count.clear(); physics_energy_J.clear(); }
};

}  // namespace sotsim

namespace sotsim::action {
// The action vocabulary. Each counted action needs an entry in the tech table
// (`tech.energy`, J per action); the energy model maps it to a breakdown category.
//   category array:        physics energy "array_read" (data dependent, from G and V)
//   category drivers:      row_drive (one row pulse: one row driven for one input cycle),
//                          dac_conversion (one multi-level input: a PWM pulse width per row)
//   category adc:          adc_conversion, tdc_conversion (start/stop and latch, per conversion),
//                          tdc_count (one counter increment)
//   category sense_amp:    sense_amp_compare, neuron_eval, analog_transfer (one block column's
//                          charge onto the summing node of analog accumulation)
//   category write:        cell_write (per pulse: driver overhead), verify_read (per row),
//                          physics energy "cell_write" (I^2 R t of the write path)
//   category buffer:       buffer_read_byte, buffer_write_byte, gbuf_read_byte, gbuf_write_byte,
//                          instr_buffer_word (one 32-bit word of a tile's instruction buffer read
//                          when an instruction issues, or written when the stream is fetched)
//   category interconnect: bus_byte
//   category digital:      digital_add, digital_mult, digital_compare, digital_act,
//                          pe_add_bit (one bit of one addition in a PE adder tree, output
//                          register write included: an add of w bits counts w)
//   category leakage:      tech.leakage[component] (W) x simulated time
inline constexpr const char* kRowDrive = "row_drive";
inline constexpr const char* kDac = "dac_conversion";
inline constexpr const char* kAdc = "adc_conversion";
inline constexpr const char* kTdc = "tdc_conversion";
inline constexpr const char* kTdcCount = "tdc_count";
inline constexpr const char* kSenseAmp = "sense_amp_compare";
inline constexpr const char* kNeuron = "neuron_eval";
inline constexpr const char* kAnalogTransfer = "analog_transfer";
inline constexpr const char* kCellWrite = "cell_write";
inline constexpr const char* kVerifyRead = "verify_read";
inline constexpr const char* kBufRead = "buffer_read_byte";
inline constexpr const char* kBufWrite = "buffer_write_byte";
inline constexpr const char* kGbufRead = "gbuf_read_byte";
inline constexpr const char* kGbufWrite = "gbuf_write_byte";
inline constexpr const char* kInstrWord = "instr_buffer_word";
inline constexpr const char* kBusByte = "bus_byte";
inline constexpr const char* kMeshLinkByte = "mesh_link_byte";   // per byte and mesh link crossed
inline constexpr const char* kDigitalAdd = "digital_add";
inline constexpr const char* kDigitalMult = "digital_mult";
inline constexpr const char* kDigitalCompare = "digital_compare";
inline constexpr const char* kDigitalAct = "digital_act";
inline constexpr const char* kPeAddBit = "pe_add_bit";
// physics energies (ActionCounter::physics_energy_J keys)
inline constexpr const char* kArrayReadEnergy = "array_read";
inline constexpr const char* kCellWriteEnergy = "cell_write";
}  // namespace sotsim::action
