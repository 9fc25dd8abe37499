#include "platform/report/Collect.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace sotsim::report {

double ComponentEntry::stat(const std::string& s, double fallback) const {
    for (const auto& v : stats)
        if (v.name == s) return v.value;
    return fallback;
}

const ComponentEntry* Collection::find(const std::string& name) const {
    for (const auto& c : components)
        if (c.name == name) return &c;
    return nullptr;
}

std::vector<const ComponentEntry*> Collection::of_kind(const std::string& kind) const {
    std::vector<const ComponentEntry*> out;
    for (const auto& c : components)
        if (c.kind == kind) out.push_back(&c);
    return out;
}

namespace {
void add_totals(Collection& col, const ComponentEntry& e) {
    col.total_actions.merge(e.actions);
    for (const auto& [k, n] : e.area_items) col.total_area_items[k] += n;
    for (const auto& [layer, ac] : e.layer_actions) col.layer_actions[layer].merge(ac);
    for (const auto& [layer, span] : e.layer_spans) {
        auto it = col.layer_spans.find(layer);
        if (it == col.layer_spans.end()) col.layer_spans[layer] = span;
        else it->second = {std::min(it->second.first, span.first), std::max(it->second.second, span.second)};
    }
    for (const auto& [layer, st] : e.layer_sample_times) {
        if (st.second > 0) col.layer_sample_latency[layer] = std::max(col.layer_sample_latency[layer], st.first / st.second);
        col.layer_active_s[layer] = std::max(col.layer_active_s[layer], st.first);
    }
}

ActionCounter minus(const ActionCounter& a, const ActionCounter& b) {
    ActionCounter r = a;
    r.subtract(b);
    return r;
}
}  // namespace

Collection collect_named(const std::vector<std::pair<std::string, const StatsSource*>>& named) {
    Collection col;
    std::set<std::string> seen;
    for (const auto& [name, src] : named) {
        if (!src) continue;
        if (!seen.insert(name).second) throw std::invalid_argument("report: duplicate component name '" + name + "'");
        ComponentEntry e;
        e.name = name;
        e.kind = src->component_kind();
        e.power_group = src->power_group();
        e.actions = src->actions();
        e.stats = src->stats();
        e.area_items = src->area_items();
        if (const auto* la = src->layer_actions()) e.layer_actions = *la;
        if (const auto* ls = src->layer_spans()) e.layer_spans = *ls;
        if (const auto* st = src->layer_sample_times()) e.layer_sample_times = *st;
        e.layer_busy_s = src->layer_busy_s();
        add_totals(col, e);
        col.components.push_back(std::move(e));
    }
    return col;
}

Collection collect(const std::vector<const StatsSource*>& sources) {
    std::map<std::string, int> per_kind;
    std::vector<std::pair<std::string, const StatsSource*>> named;
    for (const auto* s : sources) {
        if (!s) continue;
        std::string kind = s->component_kind();
        named.emplace_back(kind + std::to_string(per_kind[kind]++), s);
    }
    return collect_named(named);
}

Collection difference(const Collection& end, const Collection& start) {
    Collection out;
    for (const auto& e : end.components) {
        ComponentEntry d = e;
        if (const ComponentEntry* s = start.find(e.name)) {
            d.actions = minus(e.actions, s->actions);
            for (auto& [layer, ac] : d.layer_actions) {
                auto it = s->layer_actions.find(layer);
                if (it != s->layer_actions.end()) ac = minus(ac, it->second);
            }
            for (auto& [layer, st] : d.layer_sample_times) {
                auto it = s->layer_sample_times.find(layer);
                if (it != s->layer_sample_times.end()) st = {st.first - it->second.first, st.second - it->second.second};
            }
            for (auto& [layer, b] : d.layer_busy_s) {
                auto it = s->layer_busy_s.find(layer);
                if (it != s->layer_busy_s.end()) b -= it->second;
            }
        }
        add_totals(out, d);
        out.components.push_back(std::move(d));
    }
    return out;
}

}  // namespace sotsim::report
