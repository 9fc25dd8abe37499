#!/usr/bin/env bash
# The published trends the presets must keep (docs/validation.md), on small samples:
#  * exact IR drop costs nothing with MOhm SOT cells but wrecks kOhm cells (current summation);
#  * reprogramming with SOT writes is far faster and cheaper than program-verify NVM.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
M=workloads/models/mlp_bnn_mnist.onnx
run() { "$SOTSIM" run -c configs/carletti_sot.yaml -w $M --dataset mnist --samples 200 -q \
        --set device.sigma_p=0 --set device.sigma_ap=0 --set periphery.adc.bits=9 "$@"; }
run --set device.r_p=3.1MOhm --set array.ir_drop=exact -o "$TMP/mohm" || fail "MOhm run failed"
run --set device.r_p=13kOhm --set array.ir_drop=exact -o "$TMP/kohm" || fail "kOhm run failed"
"$SOTSIM" run -c configs/carletti_sot.yaml -w $M --dataset mnist --samples 20 -q -o "$TMP/sot" || fail "SOT run failed"
"$SOTSIM" run -c configs/nvm_program_verify.yaml -w $M --dataset mnist --samples 20 -q -o "$TMP/nvm" || fail "NVM run failed"
$PY - "$TMP" <<'PYEOF' || FAILS=$((FAILS + 1))
import json, sys
d = sys.argv[1]
def load(n): return json.load(open(f"{d}/{n}/report.json"))
def val(x): return x["value"] if isinstance(x, dict) else x
mo, ko = load("mohm"), load("kohm")
fl = val(mo["accuracy"]["float_reference"])
hm, hk = val(mo["accuracy"]["hardware"]), val(ko["accuracy"]["hardware"])
assert hm >= fl - 0.05, f"3.1 MOhm cells with exact IR drop: {hm} vs float {fl}"
assert hk <= fl - 0.2, f"13 kOhm cells with exact IR drop should lose accuracy: {hk} vs float {fl}"
print(f"ok: IR drop: MOhm {hm:.3f}, kOhm {hk:.3f}, float {fl:.3f}")
sot, nvm = load("sot")["programming"], load("nvm")["programming"]
ts, tn = val(sot["time_s"]), val(nvm["time_s"])
es, en = val(sot["energy_J"]), val(nvm["energy_J"])
assert tn > 10 * ts and en > 10 * es, f"SOT programming {ts} s / {es} J vs NVM {tn} s / {en} J"
print(f"ok: reprogramming SOT {ts:.3g} s {es:.3g} J vs program-verify {tn:.3g} s {en:.3g} J")
PYEOF
finish
