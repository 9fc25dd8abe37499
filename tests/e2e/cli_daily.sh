#!/usr/bin/env bash
# Daily-use behaviour of the command line: SOTSIM_MAX_SAMPLES caps runs and sweep points
# (and says so), -o means a directory for run and a file for mvm with clear errors for the
# other, -q only where there is something to silence, aligned --help, the ADC-bits sweep
# warning (platform/sweep) seen from the command line, and the summary header naming what ran.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
C=configs/carletti_sot.yaml
M=workloads/models/mlp_bnn_mnist.onnx
samples_of() { $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["accuracy"]["samples"], r["dataset"]["samples"])' "$1"; }

# The cap: 7 of the requested 50 samples, announced on stderr; a count below it is kept.
SOTSIM_MAX_SAMPLES=7 "$SOTSIM" run -c $C -w $M --dataset mnist --samples 50 -o "$TMP/cap" >"$TMP/cap.out" 2>"$TMP/cap.err" \
  || fail "capped run failed: $(cat "$TMP/cap.err")"
[[ "$(samples_of "$TMP/cap/report.json")" == "7 7" ]] && pass "SOTSIM_MAX_SAMPLES=7 runs 7 samples" \
  || fail "capped run: samples $(samples_of "$TMP/cap/report.json")"
grep -q "SOTSIM_MAX_SAMPLES=7: this run uses the first 7 samples instead of 50" "$TMP/cap.err" \
  && pass "the cap is announced" || fail "no cap note: $(cat "$TMP/cap.err")"
[[ $(wc -l <"$TMP/cap/predictions.csv") -eq 8 ]] && pass "predictions.csv has 7 rows" || fail "predictions.csv rows"
SOTSIM_MAX_SAMPLES=7 "$SOTSIM" run -c $C -w $M --dataset mnist --samples 3 -o "$TMP/below" -q 2>"$TMP/below.err" \
  || fail "run below the cap failed"
[[ "$(samples_of "$TMP/below/report.json")" == "3 3" && ! -s "$TMP/below.err" ]] && pass "a count below the cap is kept, silently" \
  || fail "below the cap: $(samples_of "$TMP/below/report.json") $(cat "$TMP/below.err")"
SOTSIM_MAX_SAMPLES=many expect_error "invalid SOTSIM_MAX_SAMPLES" "SOTSIM_MAX_SAMPLES: 'many' is not" \
  "$SOTSIM" run -c $C -w $M --dataset mnist --samples 3 -o "$TMP/never"
[[ -e "$TMP/never" ]] && fail "invalid cap left output" || pass "invalid cap: no output"

# Summary header: config, model, dataset; latency and 1/throughput are named apart.
head -5 "$TMP/cap.out" | grep -q "^  config        $C" && pass "summary names the config" || fail "summary: $(head -5 "$TMP/cap.out")"
head -5 "$TMP/cap.out" | grep -q "^  model         $M  (sha256 " && pass "summary names the model" || fail "summary model line"
grep -q "one sample alone" "$TMP/cap.out" && grep -q "1/throughput = " "$TMP/cap.out" && pass "latency vs 1/throughput" \
  || fail "latency wording: $(grep -E 'latency|throughput' "$TMP/cap.out")"
grep -q "outside layers" "$TMP/cap.out" && pass "energy outside layers is a row" || fail "no outside-layers row"
grep -q "predictions.csv" "$TMP/cap.out" && pass "report: line names predictions.csv" || fail "report line"

# A sweep's points run the capped count; the manifest records it.
cat >"$TMP/bits.yaml" <<EOF
base: $SRC/configs/carletti_sot.yaml
workload: {model: $SRC/$M, dataset: mnist, samples: 40}
parameters:
  periphery.adc.bits: [4, 6]
metrics: [accuracy.hardware, energy_J.breakdown_per_inference.adc]
EOF
SOTSIM_MAX_SAMPLES=5 "$SOTSIM" sweep "$TMP/bits.yaml" -j 2 -o "$TMP/sw" -q >"$TMP/sw.out" 2>"$TMP/sw.err" \
  || fail "capped sweep failed: $(cat "$TMP/sw.err")"
for r in "$TMP"/sw/points/*/report.json; do
  [[ "$(samples_of "$r")" == "5 5" ]] || fail "sweep point $r: samples $(samples_of "$r")"
done
grep -q "^samples 5$\|samples.*\b5\b" "$TMP/sw/sweep.manifest" && pass "sweep points and manifest use the capped count" \
  || fail "manifest: $(grep samples "$TMP/sw/sweep.manifest")"
# The ADC energy does not follow the swept bits without a figure of merit: warned.
grep -q "bits.yaml:[0-9]*:[0-9]*: warning: periphery.adc.bits changes while the energy per conversion is the fixed table value" "$TMP/sw.err" && pass "ADC bits sweep without fom warns" \
  || fail "no ADC warning: $(cat "$TMP/sw.err")"
e4=$($PY -c 'import csv,sys; print([r["energy_J.breakdown_per_inference.adc [J]"] for r in csv.DictReader(open(sys.argv[1]))])' "$TMP/sw/results.csv")
$PY -c 'import sys; v=eval(sys.argv[1]); sys.exit(0 if len(v) == 2 and v[0] == v[1] else 1)' "$e4" \
  && pass "(and indeed the ADC energy is the same at 4 and 6 bits: $e4)" || fail "ADC energy differs without fom: $e4"
printf 'set:\n  periphery.adc.fom: 10 fJ\n' >>"$TMP/bits.yaml"
SOTSIM_MAX_SAMPLES=2 "$SOTSIM" sweep "$TMP/bits.yaml" -j 2 -o "$TMP/sw2" -q >/dev/null 2>"$TMP/sw2.err" || fail "fom sweep failed"
grep -q "warning: periphery.adc.bits" "$TMP/sw2.err" && fail "warned although fom is set" || pass "no warning with a figure of merit"

# -o: a directory for run, a file for mvm; the other is one clear error.
touch "$TMP/afile"
expect_error "run -o at a file" "run: -o .*afile: is a file, not a directory" \
  "$SOTSIM" run -c $C -w $M --dataset mnist --samples 2 -o "$TMP/afile"
expect_error "mvm -o at a directory" "mvm: -o .*: is a directory" \
  "$SOTSIM" mvm -c $C --weights tests/data/arrays/i4_2x2.npy --inputs tests/data/arrays/i4_2x2.npy -o "$TMP"

# -q exists for run and sweep only.
for cmd in compile validate mvm; do
  expect_error "$cmd -q is not an option" "unrecognised option '-q'|unrecognized option '-q'" "$SOTSIM" $cmd -c $C -q
done

# --help: one table, -h [ --help ] in the same column as the other options.
for cmd in run compile validate mvm; do
  "$SOTSIM" $cmd --help >"$TMP/help.txt"
  cols=$(grep -E '^  -' "$TMP/help.txt" | grep -E '^  \S.*  +\S' | $PY -c '
import re, sys
print(sorted({re.search(r"^  \S.*?\S  +(?=\S)", l).end() for l in sys.stdin if re.search(r"^  \S.*?\S  +(?=\S)", l)}))')
  grep -q "^  -h \[ --help \]" "$TMP/help.txt" || fail "$cmd --help lacks -h"
  [[ "$cols" =~ ^\[[0-9]+\]$ ]] && pass "$cmd --help: one description column $cols" || fail "$cmd --help columns $cols"
done
finish
