// Small text and path helpers shared by the sweep parser, expander and result writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sotsim::sweep {

// Directory part of a path ("." when there is none).
std::string parent_dir(const std::string& path);
// `path` if absolute, else `dir/path` made absolute against the working directory.
std::string absolute_path(const std::string& path, const std::string& dir);
bool ends_with(const std::string& s, const std::string& suffix);
// The candidate closest to `word` by edit distance, or "" when none is plausibly meant.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);
// "a.b_c.d": names of [A-Za-z0-9_-] joined by single dots.
bool valid_dotted_path(const std::string& path);
// Shortest text that reads back as exactly `v` (%.17g trimmed).
std::string format_number(double v);
// A parameter value as the CSV shows it: SI number for numbers and quantities with a unit,
// the text itself otherwise ("true", "exact").
std::string csv_number(const std::string& text);
// One RFC 4180 field: quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& s);
// Checks of Slurm option values: "" when valid, else the error message.
std::string check_slurm_time(const std::string& t);
std::string check_slurm_mem(const std::string& m);
std::string check_slurm_partition(const std::string& p);
std::string check_sbatch_arg(const std::string& a);
// 64-bit FNV-1a: a hash that is identical on every platform and every run.
std::uint64_t fnv1a64(const std::string& s);

}  // namespace sotsim::sweep
