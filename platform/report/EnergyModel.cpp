#include "platform/report/EnergyModel.h"

#include <cmath>
#include <stdexcept>

namespace sotsim::report {

namespace {
const std::array<EnergyCategory, kEnergyCategories> kAll = {
    EnergyCategory::Array,  EnergyCategory::Adc,          EnergyCategory::SenseAmp,
    EnergyCategory::Drivers, EnergyCategory::Write,       EnergyCategory::Buffer,
    EnergyCategory::Interconnect, EnergyCategory::Digital, EnergyCategory::Leakage};

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

void check_finite(double v, const std::string& what) {
    if (!std::isfinite(v)) throw std::invalid_argument("energy model: non-finite value for " + what);
}
}  // namespace

const char* category_name(EnergyCategory c) {
    switch (c) {
        case EnergyCategory::Array: return "array";
        case EnergyCategory::Adc: return "adc";
        case EnergyCategory::SenseAmp: return "sense_amp";
        case EnergyCategory::Drivers: return "drivers";
        case EnergyCategory::Write: return "write";
        case EnergyCategory::Buffer: return "buffer";
        case EnergyCategory::Interconnect: return "interconnect";
        case EnergyCategory::Digital: return "digital";
        case EnergyCategory::Leakage: return "leakage";
    }
    return "?";
}

const std::array<EnergyCategory, kEnergyCategories>& all_categories() { return kAll; }

EnergyCategory category_of_action(const std::string& a) {
    using namespace sotsim::action;
    static const std::map<std::string, EnergyCategory> vocab = {
        {kRowDrive, EnergyCategory::Drivers},     {kDac, EnergyCategory::Drivers},
        {kAdc, EnergyCategory::Adc},              {kTdc, EnergyCategory::Adc},
        {kTdcCount, EnergyCategory::Adc},
        {kSenseAmp, EnergyCategory::SenseAmp},    {kNeuron, EnergyCategory::SenseAmp},
        {kAnalogTransfer, EnergyCategory::SenseAmp},
        {kCellWrite, EnergyCategory::Write},      {kVerifyRead, EnergyCategory::Write},
        {kBufRead, EnergyCategory::Buffer},       {kBufWrite, EnergyCategory::Buffer},
        {kGbufRead, EnergyCategory::Buffer},      {kGbufWrite, EnergyCategory::Buffer},
        {kInstrWord, EnergyCategory::Buffer},
        {kBusByte, EnergyCategory::Interconnect}, {kMeshLinkByte, EnergyCategory::Interconnect},
        {kDigitalAdd, EnergyCategory::Digital},
        {kDigitalMult, EnergyCategory::Digital},  {kDigitalCompare, EnergyCategory::Digital},
        {kDigitalAct, EnergyCategory::Digital},   {kPeAddBit, EnergyCategory::Digital},
    };
    auto it = vocab.find(a);
    if (it != vocab.end()) return it->second;
    if (starts_with(a, "adc_") || starts_with(a, "tdc_")) return EnergyCategory::Adc;
    if (starts_with(a, "row_") || starts_with(a, "dac_")) return EnergyCategory::Drivers;
    if (starts_with(a, "sense_") || starts_with(a, "neuron_")) return EnergyCategory::SenseAmp;
    if (starts_with(a, "buffer_") || starts_with(a, "gbuf_")) return EnergyCategory::Buffer;
    if (starts_with(a, "bus_") || starts_with(a, "router_")) return EnergyCategory::Interconnect;
    if (starts_with(a, "digital_")) return EnergyCategory::Digital;
    throw std::invalid_argument("energy model: action '" + a +
                                "' has no energy category (see models/common/Actions.h)");
}

EnergyCategory category_of_physics_energy(const std::string& kind) {
    if (kind == action::kArrayReadEnergy.name()) return EnergyCategory::Array;
    if (kind == action::kCellWriteEnergy.name() || kind == "cell_write_joule") return EnergyCategory::Write;
    throw std::invalid_argument("energy model: physics energy '" + kind +
                                "' has no energy category (known: array_read, cell_write)");
}

double EnergyBreakdown::total_J() const {
    double t = 0.0;
    for (double v : J) t += v;
    return t;
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
    for (std::size_t i = 0; i < J.size(); ++i) J[i] += o.J[i];
    return *this;
}

EnergyBreakdown EnergyBreakdown::scaled(double f) const {
    EnergyBreakdown r = *this;
    for (double& v : r.J) v *= f;
    return r;
}

TechConfig derive_tech(const Config& cfg) {
    TechConfig t = cfg.tech;
    if (cfg.periphery.adc.fom > 0.0) t.energy[action::kAdc] = cfg.periphery.adc.fom * std::ldexp(1.0, cfg.periphery.adc.bits);
    if (cfg.periphery.input.dac_fom > 0.0)
        t.energy[action::kDac] = cfg.periphery.input.dac_fom * std::ldexp(1.0, cfg.periphery.input.bits);
    return t;
}

EnergyModel::EnergyModel(const TechConfig& tech) : tech_(tech) {}
EnergyModel::EnergyModel(const Config& cfg) : tech_(derive_tech(cfg)) {}

double EnergyModel::per_action_J(const std::string& action) const {
    auto it = tech_.energy.find(action);
    if (it == tech_.energy.end())
        throw std::invalid_argument("energy model: action '" + action + "' has no entry in tech.energy (" +
                                    tech_.node + ")");
    return it->second;
}

EnergyBreakdown EnergyModel::energy(const ActionCounter& ac) const {
    EnergyBreakdown b;
    ac.for_each_count([&](const std::string& action, double n) {
        if (n == 0.0) return;   // a zero count needs no table entry
        check_finite(n, "count of '" + action + "'");
        b[category_of_action(action)] += n * per_action_J(action);
    });
    ac.for_each_energy([&](const std::string& kind, double joules) {
        check_finite(joules, "physics energy '" + kind + "'");
        b[category_of_physics_energy(kind)] += joules;
    });
    return b;
}

double EnergyModel::leakage_W(const std::map<std::string, double>& items) const {
    double w = 0.0;
    for (const auto& [component, n] : items) {
        auto it = tech_.leakage.find(component);
        if (it != tech_.leakage.end()) w += n * it->second;
    }
    return w;
}

AreaModel::AreaModel(const TechConfig& tech) : tech_(tech) {}

double AreaModel::per_instance_m2(const std::string& component) const {
    auto it = tech_.area.find(component);
    if (it == tech_.area.end())
        throw std::invalid_argument("area model: component '" + component + "' has no entry in tech.area (" +
                                    tech_.node + ")");
    return it->second;
}

double AreaModel::area_m2(const std::map<std::string, double>& items) const {
    double a = 0.0;
    for (const auto& [component, n] : items) {
        if (n == 0.0) continue;
        a += n * per_instance_m2(component);
    }
    return a;
}

}  // namespace sotsim::report
