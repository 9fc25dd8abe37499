// The sweep manifest: everything a sweep's results depend on besides the swept values
// (those are in the point ids). It records the fully resolved base config (base file with
// its includes expanded and the sweep's `set` applied: editing an included tech table
// changes it), the model file's and the dataset's content hashes, the workload and the
// sotsim version. A resume, a Slurm task or a collect against changed inputs is refused
// with a message naming what changed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "platform/sweep/Sweep.h"

namespace sotsim::sweep {

struct Manifest {
    std::vector<std::pair<std::string, std::string>> fields;   // "key: value" lines, in order
    std::string config_yaml;   // the resolved base config (config::to_yaml), kept for diffs
    std::string text() const;
    std::string field(const std::string& key) const;   // "" if absent
};

// `dataset_digest`: SHA-256 of the samples the points run on (computed by the caller, who
// can read datasets; "" when unknown). Throws config::ConfigError if the base no longer loads.
Manifest make_manifest(const SweepSpec& spec, const std::string& dataset_digest);

// Files of a sweep directory: DIR/sweep.manifest and DIR/sweep.config.yaml.
bool has_manifest(const std::string& dir);
Manifest read_manifest(const std::string& dir);
void write_manifest(const std::string& dir, const Manifest& m);

// "" when `stored` and `current` describe the same inputs; otherwise one line naming each
// change, e.g. "the resolved base config changed (tech.adc.e_conv: 4.2e-14 -> 5e-14)".
std::string describe_changes(const Manifest& stored, const Manifest& current);

}  // namespace sotsim::sweep
