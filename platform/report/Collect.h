// Collected statistics of every StatsSource in a chip: the input of reports.
//
// The SystemC overloads that walk the sc_object tree live in ScTreeWalk.h; this header
// is plain C++ so reports can be built and tested without a kernel.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/common/Stats.h"

namespace sotsim::report {

struct ComponentEntry {
    std::string name;        // hierarchical, dotted ("chip.tile0.macro3")
    std::string kind;        // StatsSource::component_kind()
    int power_group = -1;
    ActionCounter actions;
    std::vector<StatValue> stats;
    std::map<std::string, double> area_items;
    std::map<int, ActionCounter> layer_actions;                 // empty when not tracked
    std::map<int, std::pair<double, double>> layer_spans;       // [start, end) s
    std::map<int, std::pair<double, double>> layer_sample_times; // (sum of per-sample times s, samples)
    std::map<int, double> layer_busy_s;                         // StatsSource::layer_busy_s()

    // Value of the stat called `stat`, or `fallback` when the component has none.
    double stat(const std::string& stat, double fallback = 0.0) const;
};

struct Collection {
    std::vector<ComponentEntry> components;          // tree order (depth first)
    ActionCounter total_actions;                     // sum over components
    std::map<std::string, double> total_area_items;  // sum over components
    std::map<int, ActionCounter> layer_actions;      // merged over components
    std::map<int, std::pair<double, double>> layer_spans;  // union: min start, max end
    // Per layer, the mean time one sample spends in it: the largest mean over the
    // components (the tiles of a layer work on a sample in parallel), seconds.
    std::map<int, double> layer_sample_latency;
    // Per layer, the time it was active: the largest sum of per-sample (pipelined) or
    // per-run (layer by layer) times over the components, seconds.
    std::map<int, double> layer_active_s;

    const ComponentEntry* find(const std::string& name) const;
    // Components of one kind ("macro", "tile", ...), in tree order.
    std::vector<const ComponentEntry*> of_kind(const std::string& kind) const;
};

// Snapshot of sources under the given names (a name may repeat only if it is the same
// source; duplicates throw std::invalid_argument).
Collection collect_named(const std::vector<std::pair<std::string, const StatsSource*>>& named);
// Sources without a tree: named "<kind><index>" in order ("macro0", "macro1", "tile0").
Collection collect(const std::vector<const StatsSource*>& sources);

// Per-component difference `end - start` of actions and layer actions (components matched
// by name; a component missing from `start` counts from zero), also of per-layer sample
// times and busy times. Stats, area items and spans are taken from `end`. Used to separate the inference phase from weight programming.
Collection difference(const Collection& end, const Collection& start);

}  // namespace sotsim::report
