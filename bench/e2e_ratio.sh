#!/usr/bin/env bash
# Whole-process cost of a `sotsim run` against the plain float32 GEMMs of the same layers
# over the same samples (bench/layer_gemm.cpp), run alternately RUNS times; prints the
# median CPU (user+sys) and wall seconds, peak memory, the whole-process ratio and the ratio
# to the GEMM arithmetic alone. Defaults: the carletti 10k-digit run of docs/performance.md.
#   bench/e2e_ratio.sh [BUILD_DIR] [RUNS]
#   CONFIG=... MODEL=... DATASET=... SPLIT=... SAMPLES=... EXTRA='--no-cache' bench/e2e_ratio.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="${1:-$ROOT/build/default}"
RUNS="${2:-3}"
CONFIG="${CONFIG:-$ROOT/configs/carletti_sot.yaml}"
MODEL="${MODEL:-$ROOT/workloads/models/mlp_bnn_mnist.onnx}"
DATASET="${DATASET:-mnist}"
SPLIT="${SPLIT:-all}"
SAMPLES="${SAMPLES:-10000}"
EXTRA="${EXTRA:-}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for ((i = 1; i <= RUNS; ++i)); do
  # shellcheck disable=SC2086
  /usr/bin/time -f "%U %S %e %M" -o "$TMP/sim.$i" "$B/platform/sotsim" run -c "$CONFIG" -w "$MODEL" \
    --dataset "$DATASET" --split "$SPLIT" --samples "$SAMPLES" -o "$TMP/out" -q $EXTRA
  /usr/bin/time -f "%U %S %e %M" -o "$TMP/gemm.$i" "$B/bench/sotsim_layer_gemm" "$MODEL" "$DATASET" "$SPLIT" \
    "$SAMPLES" > "$TMP/gemm_out.$i"
done
python3 - "$TMP" "$RUNS" <<'PY'
import statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def rows(kind):
    out = []
    for i in range(1, runs + 1):
        u, s, e, m = open(f"{tmp}/{kind}.{i}").read().split()[-4:]
        out.append((float(u) + float(s), float(e), int(m) / 1024))
    return out
sim, gemm = rows("sim"), rows("gemm")
arith = [float(open(f"{tmp}/gemm_out.{i}").read().split("gemm_cpu_s")[1].split()[0]) for i in range(1, runs + 1)]
med = statistics.median
print(f"sotsim run      cpu {med(r[0] for r in sim):.3f} s  wall {med(r[1] for r in sim):.3f} s  peak {med(r[2] for r in sim):.0f} MB")
print(f"plain GEMM proc cpu {med(r[0] for r in gemm):.3f} s  wall {med(r[1] for r in gemm):.3f} s  peak {med(r[2] for r in gemm):.0f} MB")
print(f"GEMM arithmetic cpu {med(arith):.4f} s")
print(f"ratio whole process (cpu, paired median) {med(a[0] / b[0] for a, b in zip(sim, gemm)):.2f}")
print(f"ratio to the arithmetic (cpu, paired median) {med(a[0] / t for a, t in zip(sim, arith)):.1f}")
PY
