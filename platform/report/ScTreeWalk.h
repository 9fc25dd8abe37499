// Walks the SystemC object hierarchy and collects every StatsSource (dynamic_cast).
#pragma once

#include <vector>

#include "platform/report/Collect.h"

namespace sc_core { class sc_object; }

namespace sotsim::report {

// `root` and all its descendants (get_child_objects(), depth first), named by their
// SystemC hierarchical names.
Collection collect(const sc_core::sc_object& root);
// Several roots, e.g. sc_core::sc_get_top_level_objects().
Collection collect(const std::vector<sc_core::sc_object*>& roots);

}  // namespace sotsim::report
