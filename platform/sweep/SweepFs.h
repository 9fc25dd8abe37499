// File-system helpers shared by the sweep runner, the collector and the Slurm backend.
// Plain POSIX; errors that stop a sweep are SweepError naming the path.
#pragma once

#include <string>
#include <vector>

namespace sotsim::sweep {

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// mkdir -p; throws SweepError naming the path that could not be created.
void make_dirs(const std::string& path);
// Names in a directory (no "." / ".."); empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);
// rm -rf (does not follow symlinks); missing paths are fine.
void remove_tree(const std::string& path);
// Whole file; "" if it cannot be read.
std::string read_text(const std::string& path);
// First line of a file (without the newline); "" if missing.
std::string first_line(const std::string& path);
// The file name without folders and without its last extension ("a/b.yaml" -> "b").
std::string file_stem(const std::string& path);

}  // namespace sotsim::sweep
