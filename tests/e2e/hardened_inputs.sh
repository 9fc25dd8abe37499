#!/usr/bin/env bash
# Issue 15 reproducers through the CLI: one error line, exit status 2, no output files, for
# the inputs that used to crash, hang, double the prefix or be silently ignored.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
C=configs/carletti_sot.yaml
M=workloads/models/mlp_bnn_mnist.onnx

# Item 11: flags are checked, not silently ignored; the prefix appears once.
expect_error "negative seed" "^sotsim: error: --seed: '-5' is not a non-negative decimal integer$" \
  "$SOTSIM" validate -c $C --seed -5
expect_error "seed beyond 2^64" "^sotsim: error: --seed: '18446744073709551616' is out of range" \
  "$SOTSIM" validate -c $C --seed 18446744073709551616
out=$("$SOTSIM" validate -c $C --seed 18446744073709551615 2>&1)
grep -q "seed: 18446744073709551615" <<<"$out" && pass "seed 2^64-1 accepted" || fail "seed 2^64-1: $out"
expect_error "negative samples" "^sotsim: error: --samples: '-1' is not a non-negative decimal integer$" \
  "$SOTSIM" run -c $C -w $M --dataset mnist --samples -1 -o "$TMP/never"
# An explicit empty value is not "not given" (the whole split, the config's seed).
expect_error "empty --samples" "^sotsim: error: --samples: '' is empty \(leave the option out for the default\)$" \
  "$SOTSIM" run -c $C -w $M --dataset mnist --samples "" -o "$TMP/never"
expect_error "empty --seed" "^sotsim: error: --seed: '' is empty" "$SOTSIM" validate -c $C --seed ""
# seeds 2^63 .. 2^64-1 are valid (sim.seed is unsigned 64-bit).
out=$("$SOTSIM" validate -c $C --seed 9223372036854775808 2>&1)
grep -q "seed: 9223372036854775808" <<<"$out" && pass "seed 2^63 accepted" || fail "seed 2^63: $out"
# A newline in a --set value or key stays escaped on the one error line.
expect_error "newline in a --set value" "^--set array.rows=1\\\\n2: error: 'array.rows' expects an integer, got '1\\\\n2'$" \
  "$SOTSIM" validate -c $C --set $'array.rows=1\n2'
expect_error "/dev/zero config" "^/dev/zero: error: is a device" timeout 20 "$SOTSIM" validate -c /dev/zero
mkfifo "$TMP/fifo_sweep.yaml" "$TMP/fifo_labels.npy" "$TMP/fifo_w.csv"
expect_error "FIFO sweep file" "fifo_sweep.yaml: error: cannot read sweep file: is a FIFO" timeout 20 "$SOTSIM" sweep "$TMP/fifo_sweep.yaml"
expect_error "FIFO labels" "fifo_labels.npy: error: is a FIFO" timeout 20 \
  "$SOTSIM" run -c $C -w $M --dataset tests/data/arrays/images_4x1x2x2.npy --labels "$TMP/fifo_labels.npy" -o "$TMP/never"
expect_error "FIFO mvm weights" "fifo_w.csv: error: is a FIFO" timeout 20 \
  "$SOTSIM" mvm -c $C --weights "$TMP/fifo_w.csv" --inputs "$TMP/fifo_w.csv"
expect_error "too many samples, one prefix" "^sotsim: error: [^:]" \
  "$SOTSIM" run -c $C -w $M --dataset mnist --samples 100000 -o "$TMP/never"
grep -q "error: error:" "$TMP/err" && fail "doubled prefix: $(cat "$TMP/err")" || pass "no doubled prefix"
[[ -e "$TMP/never" ]] && fail "a failed run left output in $TMP/never" || pass "no partial output"

# Non-regular files are refused instead of blocking forever.
mkfifo "$TMP/fifo.yaml" "$TMP/fifo.onnx"
expect_error "FIFO config" "fifo.yaml: error: is a FIFO" timeout 20 "$SOTSIM" validate -c "$TMP/fifo.yaml"
expect_error "FIFO model" "fifo.onnx: error: is a FIFO" timeout 20 "$SOTSIM" compile -c $C -w "$TMP/fifo.onnx"
expect_error "/dev/zero model" "^/dev/zero: error: is a device" timeout 20 "$SOTSIM" compile -c $C -w /dev/zero

# Every ONNX reproducer: one line naming the file (a newline in a node name stays escaped).
for f in tests/data/regress/onnx/*.onnx; do
  expect_error "ONNX reproducer $(basename "$f")" "^$f: error: " timeout 60 "$SOTSIM" compile -c $C -w "$f"
done

# Item 7: a weight far outside the int range is named with its file, not cast.
printf '1e12,1\n1,1\n' >"$TMP/w.csv"
printf '1,0\n' >"$TMP/x.csv"
expect_error "mvm huge weight" "w.csv: error: weight 1000000000000.000000 at \(0,0\) is outside the [0-9]+-bit weight domain" \
  "$SOTSIM" mvm -c $C --weights "$TMP/w.csv" --inputs "$TMP/x.csv"
printf '100,1\n1,1\n' >"$TMP/w2.csv"
expect_error "mvm weight outside the domain names the file" "w2.csv: error: weight 100 at \(0,0\)" \
  "$SOTSIM" mvm -c $C --weights "$TMP/w2.csv" --inputs "$TMP/x.csv"

# Item 5 through the CLI: billion laughs is refused quickly.
expect_error "billion laughs" "billion_laughs.yaml: error: the document expands" \
  timeout 20 "$SOTSIM" validate -c tests/data/regress/yaml/billion_laughs.yaml
# A recursive alias (fuzz_config finding): one error line with its position, not a crash.
expect_error "recursive alias" "recursive_alias.yaml:3:9: error: the document nests deeper" \
  timeout 20 "$SOTSIM" validate -c tests/data/regress/yaml/recursive_alias.yaml
# Item 9: report.json is written by nlohmann-json: exact 64-bit seed, valid UTF-8 for a
# directory name that is not UTF-8.
bad_dir="$TMP/out_$(printf '\xff')"
bad_model="$TMP/model_$(printf '\xff').onnx"
cp $M "$bad_model"
if "$SOTSIM" run -c $C -w "$bad_model" --dataset mnist --samples 2 --seed 9007199254740993 -q -o "$bad_dir" 2>"$TMP/err"; then
  "$PY" - "$bad_dir/report.json" <<'PYEOF' && pass "report.json exact seed, valid UTF-8" || fail "report.json seed/UTF-8"
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # raises on invalid UTF-8
r = json.loads(raw)
assert r["seed"] == 9007199254740993, r["seed"]
assert r["config"]["sim"]["seed"] == 9007199254740993, r["config"]["sim"]["seed"]
assert r["model"]["path"].endswith("model_\ufffd.onnx"), r["model"]["path"]
PYEOF
else
  fail "run with a large seed: $(cat "$TMP/err")"
fi
# Item 8: every output of a run is committed together or not at all. A VCD that cannot be
# written (a full device, a path below a plain file, a read-only directory) leaves no
# report.json, no layers.csv, no predictions.csv and no output directory behind.
run_args=(run -c $C -w $M --dataset mnist --samples 2 -q)
expect_error "VCD on a full device" "^sotsim: error: cannot write '/dev/full[^']*': (No space left on device|Permission denied)$" \
  "$SOTSIM" "${run_args[@]}" -o "$TMP/full/out" --vcd /dev/full
[[ -e "$TMP/full" ]] && fail "VCD on /dev/full left $(ls -R "$TMP/full")" || pass "nothing left after ENOSPC"
: >"$TMP/plainfile"
expect_error "VCD below a plain file" "^sotsim: error: cannot write '$TMP/plainfile/trace.vcd': Not a directory$" \
  "$SOTSIM" "${run_args[@]}" -o "$TMP/nd/out" --vcd "$TMP/plainfile/trace.vcd"
[[ -e "$TMP/nd" ]] && fail "failed VCD left $(ls -R "$TMP/nd")" || pass "no output directory after a failed VCD"
mkdir -p "$TMP/ro"; chmod 555 "$TMP/ro"
if [[ -w "$TMP/ro" ]]; then
  pass "read-only directory: skipped (running as root)"
else
  expect_error "VCD in a read-only directory" "^sotsim: error: cannot write '$TMP/ro/trace.vcd': Permission denied$" \
    "$SOTSIM" "${run_args[@]}" -o "$TMP/rod/out" --vcd "$TMP/ro/trace.vcd"
  [[ -e "$TMP/rod" ]] && fail "read-only VCD dir left output" || pass "nothing left after EACCES"
fi
chmod 755 "$TMP/ro"
# The same run with a writable VCD commits everything.
if "$SOTSIM" "${run_args[@]}" -o "$TMP/ok/out" --vcd "$TMP/ok/vcd/trace.vcd" >/dev/null 2>"$TMP/err"; then
  n=$(ls "$TMP/ok/out" | wc -l); v=$(ls "$TMP/ok/vcd" | wc -l)
  [[ $n == 3 && $v == 3 ]] && pass "a good run writes 3 outputs + 3 trace files" || fail "good run wrote: $(ls -A "$TMP/ok/out" "$TMP/ok/vcd")"
else
  fail "run with a VCD: $(cat "$TMP/err")"
fi

# (e) A small sweep file that expands to 1e8 points is refused with its size, at once.
expect_error "sweep of 1e8 points" "^tests/data/regress/sweep/grid_1e8.yaml:[0-9]+:[0-9]+: error: the sweep expands to 100000000 points .*more than the limit of 100000 \(sotsim sweep --max-points N raises it\)$" \
  timeout 20 "$SOTSIM" sweep tests/data/regress/sweep/grid_1e8.yaml -o "$TMP/sweep1e8"
[[ -e "$TMP/sweep1e8" ]] && fail "refused sweep left $TMP/sweep1e8" || pass "refused sweep wrote nothing"
expect_error "--max-points is a count" "^sotsim: error: --max-points: '-3' is not a non-negative decimal integer$" \
  "$SOTSIM" sweep tests/data/regress/sweep/grid_1e8.yaml --max-points -3
finish
