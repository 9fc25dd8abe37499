#!/usr/bin/env bash
# Determinism over host threads (issue 13, item 3): the exact IR-drop transfer matrices of
# the programmed macros are solved concurrently on sim.threads threads (--threads), and only
# *when* each is computed changes with the count. Runs with exact IR drop and no cache (every
# matrix solved in the run) at --threads 1, 2 and 4 must write byte-identical predictions.csv
# and layers.csv, the same report.json apart from the echoed sim.threads, and the same VCD;
# a bad thread count is one clear error line.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
run() {  # run CONFIG SAMPLES OUT THREADS [extra args...]
  local cfg="$1" n="$2" out="$3" th="$4"; shift 4
  "$SOTSIM" run -c "$cfg" -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --samples "$n" \
    --no-cache --threads "$th" -q -o "$out" "$@" || fail "run $cfg --threads $th failed"
}
same_report() {  # same_report A B: report.json equal but for config.sim.threads
  $PY - "$1/report.json" "$2/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r["config"]["sim"].pop("threads")
sys.exit(0 if a == b else 1)
PY
}

for th in 1 2 4; do run configs/carletti_sot.yaml 200 "$TMP/c$th" $th --vcd "$TMP/c$th/trace.vcd"; done
for th in 2 4; do
  for f in predictions.csv layers.csv trace.vcd; do
    cmp -s "$TMP/c1/$f" "$TMP/c$th/$f" || fail "carletti: $f differs between --threads 1 and $th"
  done
  same_report "$TMP/c1" "$TMP/c$th" || fail "carletti: report.json differs between --threads 1 and $th"
done
$PY - "$TMP/c2/report.json" <<'PY' || fail "the report does not echo sim.threads"
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["config"]["sim"]["threads"] == 2 else 1)
PY
pass "carletti (9 macros of 256x256, exact IR drop): --threads 1 / 2 / 4 identical outputs"

# Many small macros (64x64, exact IR drop).
for th in 1 3; do run configs/myung_72macro.yaml 100 "$TMP/m$th" $th; done
for f in predictions.csv layers.csv; do
  cmp -s "$TMP/m1/$f" "$TMP/m3/$f" || fail "myung_72macro: $f differs between --threads 1 and 3"
done
same_report "$TMP/m1" "$TMP/m3" || fail "myung_72macro: report.json differs between --threads 1 and 3"
pass "myung_72macro: --threads 1 / 3 identical outputs"

expect_error "--threads not a number" "--threads: 'many' is not a non-negative decimal integer" \
  "$SOTSIM" run -c configs/carletti_sot.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --threads many
expect_error "--threads out of range" "--threads: '5000' is out of range" \
  "$SOTSIM" run -c configs/carletti_sot.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --threads 5000
expect_error "sim.threads out of range" "sim.threads" "$SOTSIM" validate -c configs/carletti_sot.yaml --set sim.threads=-1
finish
