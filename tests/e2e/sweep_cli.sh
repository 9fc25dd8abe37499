#!/bin/bash
# `sotsim sweep` end to end with the real simulator: a small sweep of device variation on
# the binary MLP, results.csv shape, refusal to overwrite, --resume, and file errors.
# $1 = sotsim binary, $2 = source dir.
set -euo pipefail
sotsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/sweep.yaml" <<YAML
base: $src/configs/myung_72macro.yaml
workload: {model: $src/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, split: test, samples: 20}
parameters:
  device.sigma_p: [0.0, 0.1]
seeds: 2
metrics: [accuracy.hardware, energy_J.total, tops_per_w]
YAML
"$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" -j 2 -q || fail "sweep exited $?"
csv=$tmp/out/results.csv
[ "$(head -1 "$csv")" = "device.sigma_p,seed,accuracy.hardware,energy_J.total [J],tops_per_w [TOPS/W],status,error" ] \
    || fail "header: $(head -1 "$csv")"
[ "$(wc -l < "$csv")" -eq 5 ] || fail "expected 4 rows: $(cat "$csv")"
[ "$(grep -c ',ok,$' "$csv")" -eq 4 ] || fail "not all ok: $(cat "$csv")"
[ "$(ls -d "$tmp"/out/points/*/ | wc -l)" -eq 4 ] || fail "expected 4 point dirs"
for d in "$tmp"/out/points/*/; do [ -s "$d/report.json" ] || fail "no report in $d"; done
# Accuracies are fractions, energies positive.
awk -F, 'NR > 1 && !($3 >= 0 && $3 <= 1 && $4 > 0) { exit 1 }' "$csv" || fail "implausible values: $(cat "$csv")"
# The two repeats of a combination use different seeds; repeat 0 keeps the base seed.
[ "$(cut -d, -f2 "$csv" | tail -n +2 | sort -u | wc -l)" -eq 2 ] || fail "seeds: $(cut -d, -f2 "$csv")"

# Existing results: refused without --resume; --resume runs nothing and keeps the CSV.
set +e
err=$("$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" -q 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "rerun without --resume exited $rc"
[[ "$err" == *"use --resume"* ]] || fail "message: $err"
cp "$csv" "$tmp/first.csv"
"$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" --resume -q || fail "resume exited $?"
cmp -s "$csv" "$tmp/first.csv" || fail "resume changed results"

# A bad sweep file: one FILE:LINE:COL line, exit 2, nothing written.
cat > "$tmp/bad.yaml" <<YAML
base: $src/configs/myung_72macro.yaml
workload: {model: $src/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, samples: 5}
parameters:
  device.sigma_pp: [0.1]
metrics: [accuracy.hardware]
YAML
set +e
err=$("$sotsim" sweep "$tmp/bad.yaml" -o "$tmp/bad_out" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "bad file exited $rc"
[[ "$err" == *"bad.yaml:4:3: error: unknown config key 'device.sigma_pp' (did you mean 'device.sigma_p'?)"* ]] \
    || fail "message: $err"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "more than one line: $err"
[ ! -e "$tmp/bad_out" ] || fail "output written for a bad file"
echo "sweep_cli: ok"
