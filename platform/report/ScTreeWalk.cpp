#include "platform/report/ScTreeWalk.h"

#include <systemc>

namespace sotsim::report {

namespace {
void walk(const sc_core::sc_object& obj, std::vector<std::pair<std::string, const StatsSource*>>& out) {
    if (const auto* src = dynamic_cast<const StatsSource*>(&obj)) out.emplace_back(obj.name(), src);
    for (const sc_core::sc_object* child : obj.get_child_objects()) walk(*child, out);
}
}  // namespace

Collection collect(const sc_core::sc_object& root) {
    std::vector<std::pair<std::string, const StatsSource*>> named;
    walk(root, named);
    return collect_named(named);
}

Collection collect(const std::vector<sc_core::sc_object*>& roots) {
    std::vector<std::pair<std::string, const StatsSource*>> named;
    for (const auto* r : roots)
        if (r) walk(*r, named);
    return collect_named(named);
}

}  // namespace sotsim::report
