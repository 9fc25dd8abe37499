// Optional tracing through a TraceSink (nullptr = tracing off, zero cost but a branch).
// Values are recorded with the initiator's *decoupled local* time, in picoseconds; the
// sink sorts them before writing, so traces stay exact under temporal decoupling.
#pragma once

#include <map>
#include <string>

#include "models/common/Stats.h"
#include "models/common/TlmUtil.h"

namespace sotsim {

class TraceChannel {
public:
    // width 1 = wire, >1 = integer, 0 = real (see TraceSink::declare).
    void declare(TraceSink* sink, const std::string& path, int width) {
        sink_ = sink;
        id_ = sink ? sink->declare(path, width) : -1;
    }
    void record(const sc_core::sc_time& t, double v) const {
        if (sink_) sink_->value(id_, tlmx::to_ps(t), v);
    }
    bool enabled() const { return sink_ != nullptr; }

private:
    TraceSink* sink_ = nullptr;
    int id_ = -1;
};

// Report an energy-relevant activity of a power group (tile) over [t0, t1).
inline void trace_activity(TraceSink* sink, int group, const sc_core::sc_time& t0,
                           const sc_core::sc_time& t1, const ActionCounter& delta) {
    if (sink && !delta.empty())
        sink->activity(group, tlmx::to_ps(t0), tlmx::to_ps(t1), delta);
}

// Actions plus their attribution to network layers; what every counting module keeps.
class LayeredActions {
public:
    void add(int layer, ActionId action, double n = 1.0) {
        total_.add(action, n);
        if (layer >= 0) by_layer_[layer].add(action, n);
    }
    void merge(int layer, const ActionCounter& ac) {
        total_.merge(ac);
        if (layer >= 0) by_layer_[layer].merge(ac);
    }
    const ActionCounter& total() const { return total_; }
    const std::map<int, ActionCounter>& by_layer() const { return by_layer_; }

private:
    ActionCounter total_;
    std::map<int, ActionCounter> by_layer_;
};

// `n` of one action over [t0, t1) of power group `group`: counted into `acts` (attributed to
// `layer`) and reported to the trace. The same counts as merging a one-action delta, but the
// delta (two zeroed tables) is built only when tracing: buffers and adders count on every
// transaction of a streamed run.
inline void count_activity(LayeredActions& acts, int layer, TraceSink* sink, int group, const sc_core::sc_time& t0,
                           const sc_core::sc_time& t1, ActionId action, double n) {
    acts.add(layer, action, n);
    if (!sink) return;
    ActionCounter delta;
    delta.add(action, n);
    trace_activity(sink, group, t0, t1, delta);
}

}  // namespace sotsim
