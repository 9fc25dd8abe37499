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
finish
