#!/usr/bin/env bash
# `sotsim mvm` against analytic results, and `sotsim validate` round trip.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
# Ideal raw cells without periphery: column currents are exactly I = X G.
$PY - "$TMP" <<'PYEOF'
import numpy as np, sys
rng = np.random.default_rng(3)
g = rng.uniform(1e-7, 1e-6, size=(16, 8)); x = rng.choice([0.0, 0.1], size=(5, 16))
np.save(sys.argv[1] + "/g.npy", g); np.save(sys.argv[1] + "/x.npy", x); np.save(sys.argv[1] + "/i.npy", x @ g)
w = rng.choice([-1, 1], size=(64, 12)).astype(np.float64); xs = rng.choice([-1, 1], size=(7, 64)).astype(np.float64)
np.save(sys.argv[1] + "/w.npy", w); np.save(sys.argv[1] + "/xs.npy", xs); np.save(sys.argv[1] + "/y.npy", xs @ w)
PYEOF
"$SOTSIM" mvm -c configs/carletti_sot.yaml --set array.rows=64 --set array.cols=64 --conductance "$TMP/g.npy" \
  --inputs "$TMP/x.npy" --ideal --no-periphery -o "$TMP/raw.json" || fail "raw mvm failed"
# Weights mode, ideal: the codes are the exact integer dot products.
"$SOTSIM" mvm -c configs/carletti_sot.yaml --set array.rows=64 --set array.cols=64 --set macro.weight_bits=1 \
  --set periphery.readout=adc --set periphery.input.encoding=signed --weights "$TMP/w.npy" --inputs "$TMP/xs.npy" --ideal --json >"$TMP/w.json" \
  || fail "weights mvm failed"
# With IR drop on kOhm cells the currents must fall below the ideal ones.
"$SOTSIM" mvm -c configs/carletti_sot.yaml --set array.rows=64 --set array.cols=64 --set array.ir_drop=exact \
  --set array.r_wire_row=10 --set array.r_wire_col=10 --conductance "$TMP/g.npy" --inputs "$TMP/x.npy" \
  --no-periphery -o "$TMP/ir.json" || fail "IR-drop mvm failed"
$PY - "$TMP" <<'PYEOF' || FAILS=$((FAILS + 1))
import json, numpy as np, sys
d = sys.argv[1]
raw = json.load(open(d + "/raw.json")); i = np.load(d + "/i.npy")
assert np.allclose(np.array(raw["currents_A"]), i, rtol=1e-12, atol=0), "ideal currents != X G"
assert raw["codes"] == [] and raw["energy_J"] > 0 and raw["latency_s"] > 0
w = json.load(open(d + "/w.json")); y = np.load(d + "/y.npy")
assert np.array_equal(np.array(w["codes"]), y), "ideal weights-mode codes != X W"
ir = np.array(json.load(open(d + "/ir.json"))["currents_A"])
assert np.all(ir <= i + 1e-18) and np.any(ir < i * (1 - 1e-6)), "IR drop must reduce column currents"
print("ok: mvm matches X G and X W; IR drop lowers currents")
PYEOF
# validate prints YAML that loads back to the same resolved config.
"$SOTSIM" validate -c configs/myung_72macro.yaml --set device.r_p=2.5MOhm >"$TMP/resolved.yaml" || fail "validate failed"
grep -q "r_p: 2500000" "$TMP/resolved.yaml" && pass "--set with units reaches the config" || fail "--set r_p not applied"
"$SOTSIM" validate -c "$TMP/resolved.yaml" >"$TMP/again.yaml" || fail "resolved config does not load back"
diff <(grep -v '^# source' "$TMP/resolved.yaml") <(grep -v '^# source' "$TMP/again.yaml") >/dev/null \
  && pass "validate round trip" || fail "validate round trip differs"
"$SOTSIM" --help | grep -q "sweep" && pass "--help lists commands" || fail "--help"
for c in run compile mvm sweep validate info; do
  "$SOTSIM" $c --help >/dev/null 2>&1 || fail "$c --help"
done
"$SOTSIM" --version | grep -Eq "^sotsim [0-9]" && pass "--version" || fail "--version"
finish
