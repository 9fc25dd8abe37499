#!/usr/bin/env bash
# Determinism (issue 15, item 4): the same config and seed give the same numbers whatever
# the batch size, the number of sweep jobs, or the run.
#  - the same run twice: report.json, layers.csv, predictions.csv and the VCD (+ its GTKWave
#    files) are byte-identical;
#  - --batch 1, 37 (uneven chunks) and 64 with read noise on give identical per-sample
#    predictions (read noise is derived per seed, macro, block, vector and read, not drawn
#    from a stream consumed in batch order); noise is strong enough here to change
#    predictions against a noise-free run, so the comparison is not vacuous;
#  - a sweep run with -j 1 and -j 2 writes identical results.csv and per-point reports.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
run() {  # run OUT [extra args...]
  local out="$1"; shift
  "$SOTSIM" run -c configs/myung_72macro.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist \
    --split test --samples 100 -q -o "$out" "$@" || fail "run $out $* failed"
}

# The same run twice, to different directories.
for i in 1 2; do run "$TMP/same$i" --batch 64 --set device.read_noise=0.2 --vcd "$TMP/same$i/trace.vcd"; done
for f in report.json layers.csv predictions.csv trace.vcd trace.gtkw trace.layers.txt; do
  [[ -s "$TMP/same1/$f" ]] || { fail "no $f written"; continue; }
  # The GTKWave save file names its own VCD by path; compare it with the directory removed.
  if [[ $f == trace.gtkw ]]; then
    cmp -s <(sed "s#$TMP/same1#DIR#g" "$TMP/same1/$f") <(sed "s#$TMP/same2#DIR#g" "$TMP/same2/$f") || fail "$f differs between two identical runs"
  else
    cmp -s "$TMP/same1/$f" "$TMP/same2/$f" || fail "$f differs between two identical runs"
  fi
done
pass "the same run twice: outputs byte-identical"

# --batch with read noise.
for b in 1 37; do run "$TMP/b$b" --batch $b --set device.read_noise=0.2; done
run "$TMP/quiet" --batch 64 --set device.read_noise=0
for b in 1 37; do
  cmp -s "$TMP/b$b/predictions.csv" "$TMP/same1/predictions.csv" || fail "predictions at --batch $b differ from --batch 64"
done
$PY - "$TMP" <<'PY' || fail "accuracy depends on --batch"
import json, sys
acc = {b: json.load(open(f"{sys.argv[1]}/{d}/report.json"))["accuracy"]["hardware"]
       for b, d in [(1, "b1"), (37, "b37"), (64, "same1")]}
print("hardware accuracy by batch:", acc)
sys.exit(0 if len(set(acc.values())) == 1 else 1)
PY
cmp -s "$TMP/quiet/predictions.csv" "$TMP/same1/predictions.csv" &&
  fail "read noise 0.2 changed no prediction: the batch comparison would prove nothing"
pass "--batch 1 / 37 / 64 with read noise: identical predictions"

# A sweep with -j 1 and -j 2.
cat > "$TMP/sweep.yaml" <<YAML
base: $SRC/configs/myung_72macro.yaml
workload: {model: $SRC/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, split: test, samples: 30}
parameters:
  device.read_noise: [0.0, 0.2]
  device.sigma_p: [0.0, 0.1]
seeds: 1
metrics: [accuracy.hardware, energy_J.total, latency_s]
YAML
for j in 1 2; do "$SOTSIM" sweep "$TMP/sweep.yaml" -o "$TMP/sweep_j$j" -j $j -q || fail "sweep -j $j failed"; done
cmp -s "$TMP/sweep_j1/results.csv" "$TMP/sweep_j2/results.csv" ||
  fail "results.csv differs between -j 1 and -j 2: $(diff "$TMP/sweep_j1/results.csv" "$TMP/sweep_j2/results.csv" | head -5)"
n=0
for d in "$TMP"/sweep_j1/points/*/; do
  p=$(basename "$d")
  cmp -s "$d/report.json" "$TMP/sweep_j2/points/$p/report.json" || fail "point $p: report.json differs between -j 1 and -j 2"
  n=$((n + 1))
done
[[ $n -eq 4 ]] || fail "expected 4 sweep points, found $n"
pass "sweep -j 1 / -j 2: identical results.csv and point reports"
finish
