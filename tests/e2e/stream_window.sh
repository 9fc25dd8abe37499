#!/usr/bin/env bash
# Reads ahead in streamed programs (sim.stream_window, issue 13): the macros of a pipelined
# stage read the next samples' vectors in one physics call and answer each sample's MVM from
# it with that sample's own counts, time and noise draws. With read noise on, windows of 1
# (off), 7 (uneven: windows end mid-batch) and 64, and batches that end windows early, must
# give byte-identical predictions.csv, layers.csv and VCD, and the same report.json apart
# from the echoed sim.stream_window; likewise a time-multiplexed stage that reprograms its
# macros every sample (windows never cross a reprogramming). A window of 0 is refused.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
run() {  # run CONFIG SAMPLES OUT WINDOW [extra args...]
  local cfg="$1" n="$2" out="$3" w="$4"; shift 4
  "$SOTSIM" run -c "$cfg" -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --samples "$n" \
    --set device.read_noise=0.05 --set sim.stream_window="$w" -q -o "$out" "$@" || fail "run $cfg window $w failed"
}
same_report() {  # same_report A B: report.json equal but for config.sim.stream_window
  $PY - "$1/report.json" "$2/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r["config"]["sim"].pop("stream_window")
sys.exit(0 if a == b else 1)
PY
}
compare() {  # compare NAME A B FILES...
  local name="$1" a="$2" b="$3"; shift 3
  for f in "$@"; do cmp -s "$a/$f" "$b/$f" || fail "$name: $f differs"; done
  same_report "$a" "$b" || fail "$name: report.json differs"
}

for w in 1 7 64; do run configs/carletti_sot.yaml 300 "$TMP/c$w" $w --batch 100 --vcd "$TMP/c$w/trace.vcd"; done
compare "carletti window 1 / 7" "$TMP/c1" "$TMP/c7" predictions.csv layers.csv trace.vcd
compare "carletti window 1 / 64" "$TMP/c1" "$TMP/c64" predictions.csv layers.csv trace.vcd
$PY - "$TMP/c64/report.json" <<'PY' || fail "the report does not echo sim.stream_window"
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["config"]["sim"]["stream_window"] == 64 else 1)
PY
pass "carletti pipelined, read noise 5 %: windows 1 / 7 / 64 identical outputs"

for w in 1 64; do run configs/myung_72macro.yaml 40 "$TMP/m$w" $w --set chip.step_samples=1; done
compare "myung_72macro step 1, window 1 / 64" "$TMP/m1" "$TMP/m64" predictions.csv layers.csv
pass "myung_72macro (fc1 reprogrammed every sample): windows 1 / 64 identical outputs"

expect_error "sim.stream_window out of range" "sim.stream_window" \
  "$SOTSIM" validate -c configs/carletti_sot.yaml --set sim.stream_window=0
finish
