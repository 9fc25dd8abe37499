// A StatsSource with hand-set contents, for report tests without a SystemC kernel.
#pragma once

#include "models/common/Stats.h"
#include "models/config/Config.h"

namespace sotsim::test {

class FakeStatsSource : public StatsSource {
public:
    std::string kind = "macro";
    ActionCounter ac;
    std::vector<StatValue> st;
    std::map<std::string, double> items;
    int group = -1;
    std::map<int, ActionCounter> layers;
    std::map<int, std::pair<double, double>> spans;
    std::map<int, std::pair<double, double>> sample_times;
    std::map<int, double> busy;  // per-layer busy time, s
    bool track_layers = false;

    std::string component_kind() const override { return kind; }
    const ActionCounter& actions() const override { return ac; }
    std::vector<StatValue> stats() const override { return st; }
    std::map<std::string, double> area_items() const override { return items; }
    int power_group() const override { return group; }
    const std::map<int, ActionCounter>* layer_actions() const override { return track_layers ? &layers : nullptr; }
    const std::map<int, std::pair<double, double>>* layer_spans() const override {
        return track_layers ? &spans : nullptr;
    }
    const std::map<int, std::pair<double, double>>* layer_sample_times() const override {
        return track_layers ? &sample_times : nullptr;
    }
    std::map<int, double> layer_busy_s() const override { return busy; }
};

// A small technology table with distinct, round-ish numbers so hand computations are easy.
inline TechConfig test_tech() {
    TechConfig t;
    t.node = "test";
    t.energy = {{"row_drive", 2e-15},        {"dac_conversion", 3e-15},   {"adc_conversion", 50e-15},
                {"tdc_conversion", 20e-15}, {"tdc_count", 1e-15},  {"sense_amp_compare", 5e-15}, {"neuron_eval", 7e-15}, {"analog_transfer", 1e-15},
                {"cell_write", 100e-15},     {"verify_read", 30e-15},     {"buffer_read_byte", 1e-15},
                {"buffer_write_byte", 1.5e-15}, {"gbuf_read_byte", 4e-15}, {"gbuf_write_byte", 5e-15},
                {"bus_byte", 8e-15},         {"digital_add", 0.1e-15},    {"digital_mult", 0.5e-15},
                {"digital_compare", 0.05e-15}, {"digital_act", 0.2e-15}};
    t.area = {{"mtj_cell", 0.05e-12}, {"row_driver", 2e-12}, {"write_driver", 3e-12}, {"adc", 500e-12},
              {"sense_amp", 20e-12},  {"macro_control", 1000e-12}, {"sram_byte", 0.5e-12},
              {"digital_unit", 20000e-12}, {"tile_control", 5000e-12}, {"router", 3000e-12},
              {"host_interface", 10000e-12}};
    t.leakage = {{"adc", 1e-6}, {"sram_byte", 1e-9}, {"digital_unit", 50e-6}};
    return t;
}

}  // namespace sotsim::test
