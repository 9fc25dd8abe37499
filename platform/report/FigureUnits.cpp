#include "platform/report/FigureUnits.h"

#include "platform/report/EnergyModel.h"

namespace sotsim::report {

namespace {
std::vector<FigureUnit> build() {
    std::vector<FigureUnit> t = {
        {"macros", "", "macros on the chip"},
        {"latency_s", "s", "one sample alone, input written to result read"},
        {"throughput_inf_per_s", "1/s", "inferences per second in steady state (samples streamed)"},
        {"energy_J.total", "J", "energy of the whole run (inference, without programming)"},
        {"energy_J.per_inference", "J", "energy per inference"},
    };
    const struct { const char* group; const char* doc; } groups[] = {
        {"breakdown", "energy of the run in category "},
        {"breakdown_per_inference", "energy per inference in category "},
    };
    for (const auto& g : groups)
        for (EnergyCategory c : all_categories())
            t.push_back({std::string("energy_J.") + g.group + "." + category_name(c), "J", g.doc + std::string(category_name(c))});
    t.push_back({"energy_J.outside_layers", "J", "energy of the run that belongs to no layer (host I/O)"});
    for (EnergyCategory c : all_categories())
        t.push_back({std::string("energy_J.outside_layers_breakdown.") + category_name(c), "J",
                     "energy outside layers in category " + std::string(category_name(c))});
    const std::vector<FigureUnit> rest = {
        {"leakage_W", "W", "leakage power of the chip"},
        {"programming.time_s", "s", "time to program the weights"},
        {"programming.energy_J", "J", "energy to program the weights"},
        {"area_mm2", "mm^2", "chip area"},
        {"tops", "TOPS", "throughput in tera-operations per second (2 ops per MAC)"},
        {"tops_per_w", "TOPS/W", "energy efficiency of the run"},
        {"tops_per_mm2", "TOPS/mm^2", "area efficiency of the run"},
        {"op_convention.ops_per_mac", "", "operations counted per multiply-accumulate"},
        {"op_convention.weight_bits", "", "weight bits of the op convention"},
        {"op_convention.input_bits", "", "input bits of the op convention"},
        {"utilization", "", "busy fraction averaged over all macros"},
        {"utilization_mapped", "", "busy fraction averaged over the mapped macros"},
        {"mapped_macros", "", "macros holding weights"},
        {"macro_peak.tops_per_w_1b", "TOPS/W", "one macro's peak, 1-bit normalised"},
        {"macro_peak.tops_per_mm2_1b", "TOPS/mm^2", "one macro's peak, 1-bit normalised"},
        {"macro_peak.ops_1b_per_mvm", "", "1-bit operations per MVM of one macro"},
        {"macro_peak.energy_per_mvm", "J", "energy of one macro MVM"},
        {"macro_peak.latency_per_mvm", "s", "latency of one macro MVM"},
        {"macro_peak.area", "m^2", "area of one macro"},
        {"accuracy.hardware", "", "fraction of samples the modelled hardware classifies correctly"},
        {"accuracy.float_reference", "", "accuracy of the float model"},
        {"accuracy.quantized_reference", "", "accuracy of the model as the chip represents it"},
        {"accuracy.samples", "", "samples evaluated"},
        {"run.samples", "", "samples run"},
        {"run.batch", "", "samples per simulated batch"},
        {"run.inference_time", "s", "simulated time of the whole run"},
        {"run.macs_per_inference", "", "multiply-accumulates per inference"},
        {"seed", "", "random seed"},
    };
    t.insert(t.end(), rest.begin(), rest.end());
    return t;
}
}  // namespace

const std::vector<FigureUnit>& figure_units() {
    static const std::vector<FigureUnit> table = build();
    return table;
}

std::string figure_unit(const std::string& path, bool* known) {
    for (const auto& f : figure_units())
        if (f.path == path) {
            if (known) *known = true;
            return f.unit;
        }
    if (known) *known = false;
    return "";
}

}  // namespace sotsim::report
