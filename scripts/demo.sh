#!/usr/bin/env bash
# The main demo on a fresh machine: set up, build, then run the 72-macro SOT-MRAM chip
# (configs/myung_72macro.yaml) on the binary MLP (workloads/models/mlp_bnn_mnist.onnx) with
# 1,000 MNIST test digits. Prints the summary; report.json, layers.csv and a VCD trace go
# to out/demo/ (open the trace with: gtkwave out/demo/trace.gtkw).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" default
cd "$ROOT"
mkdir -p out/demo
exec build/default/platform/sotsim run -c configs/myung_72macro.yaml \
  -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --split test --samples 1000 \
  -o out/demo --vcd out/demo/trace.vcd "$@"
