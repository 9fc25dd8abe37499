// The one place that turns action counts into joules and component instances into area.
//
// Models only count (models/common/Actions.h); every joule in reports, layer tables and
// VCD power traces comes through EnergyModel, every square metre through AreaModel, both
// from the same technology table (Config::tech).
#pragma once

#include <array>
#include <map>
#include <string>

#include "models/common/Actions.h"
#include "models/config/Config.h"

namespace sotsim::report {

// Energy breakdown categories, in report order.
enum class EnergyCategory { Array, Adc, SenseAmp, Drivers, Write, Buffer, Interconnect, Digital, Leakage };
inline constexpr std::size_t kEnergyCategories = 9;

// "array", "adc", "sense_amp", "drivers", "write", "buffer", "interconnect", "digital", "leakage".
const char* category_name(EnergyCategory c);
const std::array<EnergyCategory, kEnergyCategories>& all_categories();

// Category of a counted action (vocabulary in Actions.h). Actions outside the vocabulary
// are classified by their prefix (adc_, dac_, row_, sense_, buffer_, gbuf_, bus_, digital_)
// so a model may count e.g. "buffer_read_word"; anything else throws std::invalid_argument
// naming the action.
EnergyCategory category_of_action(const std::string& action);
// Category of a physics energy (ActionCounter physics-energy name): "array_read" -> array,
// "cell_write" -> write; anything else throws std::invalid_argument naming it.
EnergyCategory category_of_physics_energy(const std::string& kind);

struct EnergyBreakdown {
    std::array<double, kEnergyCategories> J{};   // joules per category

    double& operator[](EnergyCategory c) { return J[static_cast<std::size_t>(c)]; }
    double operator[](EnergyCategory c) const { return J[static_cast<std::size_t>(c)]; }
    double total_J() const;
    EnergyBreakdown& operator+=(const EnergyBreakdown& o);
    EnergyBreakdown scaled(double f) const;
};

// Per-action energies of `cfg`: its tech table with the converter entries derived from the
// design where the config says how (the one place this happens):
//   adc_conversion = periphery.adc.fom x 2^adc.bits      (Walden) if fom > 0, else the table;
//   dac_conversion = periphery.input.dac_fom x 2^input.bits          if dac_fom > 0, else the table;
//   tdc: tdc_conversion (start/stop, latch) per conversion + tdc_count per counter increment
//        (the physics core counts increments, so TDC energy follows the codes and 2^bits).
TechConfig derive_tech(const Config& cfg);

class EnergyModel {
public:
    explicit EnergyModel(const TechConfig& tech);
    // The chip's energy model: derive_tech(cfg).
    explicit EnergyModel(const Config& cfg);

    // Dynamic energy of `ac`: count x tech.energy[action] plus the physics energies.
    // Throws std::invalid_argument naming the first action with no tech.energy entry.
    // Leakage is not included (it needs time: see leakage_W).
    EnergyBreakdown energy(const ActionCounter& ac) const;
    double energy_J(const ActionCounter& ac) const { return energy(ac).total_J(); }

    // J per action from the table; throws std::invalid_argument naming a missing action.
    double per_action_J(const std::string& action) const;

    // Static power of component instances: sum of count x tech.leakage[component].
    // Components without a leakage entry leak nothing (non-volatile MTJ cells, for one).
    double leakage_W(const std::map<std::string, double>& area_items) const;

    const TechConfig& tech() const { return tech_; }

private:
    TechConfig tech_;
};

class AreaModel {
public:
    explicit AreaModel(const TechConfig& tech);
    // Sum of count x tech.area[component]; throws std::invalid_argument naming a component
    // with no area entry.
    double area_m2(const std::map<std::string, double>& area_items) const;
    double per_instance_m2(const std::string& component) const;

private:
    TechConfig tech_;
};

}  // namespace sotsim::report
