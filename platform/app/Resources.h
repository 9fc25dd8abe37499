// Where the `sotsim` executable finds its shipped files (presets, technology tables,
// trained models, downloaded datasets). An installed binary looks next to itself,
// <prefix>/bin/../share/sotsim, so a prefix can be moved or copied; a binary in a build tree
// reads the source folder from the marker file CMake writes beside it. No path from the
// source tree is compiled into the executable.
#pragma once

#include <string>

namespace sotsim::app {

// The folder holding configs/, workloads/models/ and (if installed) data/. Empty when
// neither an installed share/sotsim nor a build-tree marker is found.
std::string resource_root();

// Dataset folder: $SOTSIM_DATA, else <resource root>/data.
std::string data_root();

// A -c argument: the path as given when it exists, else a shipped preset by name
// (`myung_72macro` or `myung_72macro.yaml` -> <root>/configs/myung_72macro.yaml); anything
// else is returned unchanged so the loader reports the missing file as the user wrote it.
std::string find_config(const std::string& arg);

// A -w argument: the path as given when it exists, else a shipped model by name
// (`mlp_bnn_mnist` or `mlp_bnn_mnist.onnx` -> <root>/workloads/models/mlp_bnn_mnist.onnx).
std::string find_model(const std::string& arg);

// A sweep file: the path as given when it exists, else a shipped sweep by name
// (`rp_sigma` -> <root>/configs/sweeps/rp_sigma.yaml).
std::string find_sweep(const std::string& arg);

// Path of the running executable (sweeps spawn it for every point).
std::string self_exe();

}  // namespace sotsim::app
