// The one validation step: a merged, source-located YAML tree -> checked sotsim::Config.
#pragma once

#include <string>

#include "models/config/Config.h"
#include "platform/config/ConfigTree.h"

namespace sotsim::config {

// Walks `root` against the schema, converts every value (units, types, ranges), applies the
// cross-field checks and derived values (r_p from ra/diameter, Walden ADC energy) and
// returns the checked config. `source` names the top-level file for errors about keys
// that no file supplied. Throws ConfigError.
Config validate_tree(const TreeNode& root, const std::string& source);

}  // namespace sotsim::config
