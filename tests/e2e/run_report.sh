#!/usr/bin/env bash
# One non-ideal run end to end: report schema and its invariants, layers.csv, the VCD
# (GTKWave's vcd2fst must accept it, timestamps strictly increasing), determinism of the
# same seed and sensitivity to another seed.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
run() { "$SOTSIM" run -c configs/carletti_sot.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist \
        --samples 200 "$@"; }
run -o "$TMP/a" --vcd "$TMP/a/trace.vcd" >"$TMP/summary.txt" 2>"$TMP/err" || fail "run failed: $(cat "$TMP/err")"
grep -q "accuracy" "$TMP/summary.txt" && pass "summary printed" || fail "no summary on stdout"
$PY - "$TMP/a" <<'PYEOF' || FAILS=$((FAILS + 1))
import csv, json, math, sys
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
def val(x): return x["value"] if isinstance(x, dict) else x
for k in ["macros", "latency_s", "throughput_inf_per_s", "energy_J", "area_mm2", "tops", "tops_per_w",
          "tops_per_mm2", "macro_peak", "accuracy", "config", "seed", "version", "utilization"]:
    assert k in r, f"report.json lacks {k}"
e = r["energy_J"]
parts = ["array", "adc", "sense_amp", "drivers", "write", "buffer", "interconnect", "digital", "leakage"]
s = sum(val(e["breakdown"][p]) for p in parts)
assert abs(s - val(e["total"])) <= 1e-9 * val(e["total"]), f"breakdown sums to {s}, total {val(e['total'])}"
acc = r["accuracy"]
hw, fl = val(acc["hardware"]), val(acc["float_reference"])
assert 0 <= hw <= 1 and 0 <= fl <= 1, (hw, fl)
assert hw > fl - 0.1, f"high-resistance SOT preset should stay near the float baseline: {hw} vs {fl}"
assert val(r["macros"]) == r["config"]["chip"]["tiles"] * r["config"]["tile"]["macros"]
tops, w, lat = val(r["tops"]), val(r["tops_per_w"]), val(r["latency_s"])
assert tops > 0 and w > 0 and lat > 0
for k in ["tops_per_w_1b", "tops_per_mm2_1b"]:
    assert val(r["macro_peak"][k]) > 0, k
rows = list(csv.DictReader(open(d + "/layers.csv")))
assert len(rows) == 2, f"{len(rows)} layers in layers.csv, expected 2"
macs = sum(float(x["macs"]) for x in rows)
assert abs(macs - 200 * (784 * 256 + 256 * 10)) < 1, macs
# Each layer names its busiest resource: a component of the report's tree, busy a fraction
# in (0, 1] of the layer's stage window, the same in layers.csv and report.json.
def node(path):
    parts = path.split(".")
    n = r["components"][parts[0]]
    for p in parts[1:]:
        n = n["children"][p]
    return n
for row, lj in zip(rows, r["layers"]):
    b = lj["busiest_resource"]
    assert row["busiest_resource"] == b["name"] and b["name"], (row, b)
    node(b["name"])  # KeyError if the name is not a component
    f = float(row["busiest_busy_fraction"])
    assert 0 < f <= 1 + 1e-9 and abs(f - b["busy_fraction"]) <= 1e-9 * f, (f, b)
# The data is traceable: dataset, split, sample count and the hashes of the files read
# (checked against Python's hashlib, not against sotsim's own SHA-256).
import hashlib, os
ds = r["dataset"]
assert (ds["name"], ds["split"], ds["samples"]) == ("mnist", "test", 200), ds
names = sorted(os.path.basename(f["path"]) for f in ds["files"])
assert names == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], names
for f in ds["files"]:
    h = hashlib.sha256(open(f["path"], "rb").read()).hexdigest()
    assert f["sha256"] == h, (f, h)
print("ok: report.json schema, breakdown = total, accuracy, layers.csv, busiest resources, dataset hashes")
PYEOF
if command -v vcd2fst >/dev/null; then
  vcd2fst "$TMP/a/trace.vcd" "$TMP/a/trace.fst" >/dev/null 2>&1 && [[ -s "$TMP/a/trace.fst" ]] \
    && pass "vcd2fst accepts the trace" || fail "vcd2fst rejected the trace"
fi
awk '/^#/ { t = substr($0, 2) + 0; if (seen && t <= last) { bad = 1 } last = t; seen = 1 } END { exit bad }' \
  "$TMP/a/trace.vcd" && pass "VCD timestamps strictly increase" || fail "VCD timestamps not increasing"
grep -q "busy" "$TMP/a/trace.vcd" && grep -q "power" "$TMP/a/trace.vcd" && pass "VCD has busy and power signals" \
  || fail "VCD lacks busy/power signals"
# The GTKWave view: every signal it lists is in the VCD, layer names translate the ids,
# only macros holding weights are traced (--vcd-all-macros traces all), header comments.
$PY - "$TMP/a" <<'PYEOF' || FAILS=$((FAILS + 1))
import json, re, sys
d = sys.argv[1]
vcd = open(d + "/trace.vcd").read()
scope, paths = [], set()
for tok in re.finditer(r"\$scope module (\S+) \$end|\$upscope \$end|\$var \S+ \S+ \S+ (\S+) \$end", vcd):
    if tok.group(1): scope.append(tok.group(1))
    elif tok.group(2): paths.add(".".join(scope + [tok.group(2)]))
    else: scope.pop()
listed = [l.split("} ", 1)[1] for l in open(d + "/trace.gtkw").read().splitlines() if l.startswith("+{")]
assert listed and all(p in paths for p in listed), [p for p in listed if p not in paths]
assert "power.total_W" in listed
names = open(d + "/trace.layers.txt").read().split("\n")
r = json.load(open(d + "/report.json"))
assert names[:len(r["layers"])] == ["%d %s" % (l["index"], l["name"]) for l in r["layers"]], names
macros = {p.rsplit(".", 1)[0] for p in paths if ".macro" in p}
assert len(macros) < r["macros"], (len(macros), r["macros"])   # unmapped macros left out
assert "$comment\n  config configs/carletti_sot.yaml\n$end" in vcd
assert re.search(r"layer ids: 0=\S+", vcd)
print("ok: trace.gtkw lists only VCD signals, layer names, mapped macros only, header")
PYEOF
"$SOTSIM" run -c configs/carletti_sot.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --samples 5 -q \
  -o "$TMP/all" --vcd "$TMP/all/trace.vcd" --vcd-all-macros 2>/dev/null || fail "--vcd-all-macros run failed"
n_all=$(grep -c '\$scope module macro' "$TMP/all/trace.vcd"); n_mapped=$(grep -c '\$scope module macro' "$TMP/a/trace.vcd")
((n_all > n_mapped)) && pass "--vcd-all-macros traces all macros ($n_all vs $n_mapped)" || fail "--vcd-all-macros: $n_all vs $n_mapped"
# Determinism: same config and seed -> identical numbers; another seed -> other device samples.
run -q -o "$TMP/b" 2>/dev/null || fail "second run failed"
run -q -o "$TMP/c" --seed 7 2>/dev/null || fail "seed-7 run failed"
strip() { $PY -c "import json,sys; r=json.load(open(sys.argv[1])); r.pop('run',None); print(json.dumps(r, sort_keys=True))" "$1"; }
[[ "$(strip "$TMP/a/report.json")" == "$(strip "$TMP/b/report.json")" ]] && pass "same seed, same report" \
  || fail "same seed gave different reports"
cmp -s "$TMP/a/predictions.csv" "$TMP/b/predictions.csv" && pass "same seed, same predictions" \
  || fail "same seed gave different predictions"
[[ "$(strip "$TMP/a/report.json")" != "$(strip "$TMP/c/report.json")" ]] && pass "another seed changes the run" \
  || fail "seed has no effect"
finish
