#!/usr/bin/env bash
# A network that does not fit the chip is pipelined with time-multiplexed stages: mlp_bnn on
# myung_72macro (fc1 needs 104 blocks of 72 macros) and vgg8_bnn (two consecutive
# multiplexed stages of different steps). With --ideal the predictions are a function of
# the model only: identical for every chip.step_samples, batch size and for layer_by_layer
# (which puts the layers on other macros, so only --ideal makes them comparable). A step
# that does not fit the tile buffer is lowered by the compiler and said so; bad
# chip.step_samples values are refused naming the key, exit 2.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
run() {  # name model dataset samples extra...
  local name="$1" model="$2" data="$3" n="$4"; shift 4
  "$SOTSIM" run -c configs/myung_72macro.yaml -w "workloads/models/$model.onnx" --dataset "$data" --samples "$n" \
    --ideal -q -o "$TMP/$name" "$@" 2>"$TMP/$name.err" || fail "$name: run failed: $(cat "$TMP/$name.err")"
}
same() {  # a b
  if cmp -s "$TMP/$1/predictions.csv" "$TMP/$2/predictions.csv"; then pass "$1 = $2 (predictions)"
  else fail "$1 and $2 predictions differ"; fi
}
run mlp_default mlp_bnn_mnist mnist 150
run mlp_s7 mlp_bnn_mnist mnist 150 --set chip.step_samples=7 --batch 20
run mlp_s1 mlp_bnn_mnist mnist 150 --set chip.step_samples=1
run mlp_lbl mlp_bnn_mnist mnist 150 --set chip.dataflow=layer_by_layer
same mlp_default mlp_s7
same mlp_default mlp_s1
same mlp_default mlp_lbl
run vgg_s4 vgg8_bnn_mnist mnist 20 --set chip.step_samples=4 --batch 9
run vgg_lbl vgg8_bnn_mnist mnist 20 --set chip.dataflow=layer_by_layer
same vgg_s4 vgg_lbl

# The compile report names the multiplexed stage, its rounds and the lowered step.
out=$("$SOTSIM" compile -c configs/myung_72macro.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist 2>&1)
grep -q "time-multiplexed stage (t0-t7)" <<<"$out" && grep -q "in 2 rounds" <<<"$out" \
  && pass "compile names the multiplexed stage and its rounds" || fail "compile report: $out"
# fc1's tiles keep only the 1-bit input (98 B; the 8-bit image streams through the input
# port's quantizer), their 32 1-bit outputs (4 B) and, between the rounds, the 32 11-bit
# partial sums per sample beyond the PE's 8 x 64 registers (44 B): S*102 + (S*32 - 512)*11/8
# <= 65536 gives S <= 453.
out=$("$SOTSIM" compile -c configs/myung_72macro.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist \
  --set chip.step_samples=1024 2>&1)
grep -q "steps of 453 samples, not chip.step_samples = 1024: .* take 146 bytes per sample" <<<"$out" \
  && pass "compile lowers the step to what the tile buffer holds (453 samples of 146 B)" || fail "lowered step: $out"
grep -q "104 block writes in the first step, 40 in each later one" <<<"$out" \
  && pass "compile: 104 block writes in the first step, 40 later (13 per tile, then the 5 of the shorter round)" \
  || fail "compile rewrites: $out"

# Alternating rounds, counted by the run (report.json): the report's one-sample latency run
# and ceil((N-1)/S) steps execute fc1 E times; each fc1 tile (13 blocks, rounds of 8 and 5)
# writes 13 blocks in the first and 5 in every later execution and skips the other 8; the
# partial sums beyond 512 registers of each step of n samples, (32n - 512) * 11 / 8 bytes,
# go through the tile buffer between the rounds.
run mlp_s32 mlp_bnn_mnist mnist 150 --set chip.step_samples=32
python3 - "$TMP/mlp_s32/report.json" <<'PY' && pass "fc1 tiles: block writes 13 + 5(E-1), 8(E-1) skipped, spill per step, input ops once per sample, buffer bytes per sample" || fail "alternating-round counts"
import json, math, sys
r = json.load(open(sys.argv[1]))
N, S = 150, 32
steps = [1] + [min(S, N - 1 - k) for k in range(0, N - 1, S)]
E = len(steps)
spill = sum(math.ceil(max(0, 32 * n - 512) * 11 / 8) for n in steps)
chip = r["components"]["chip"]["children"]
ok = True
for t in range(8):
    tile = chip["tile%d" % t]
    writes = sum(m["stats"]["programs"]["value"] for k, m in tile["children"].items() if k.startswith("macro"))
    # The input ops run once per sample, on tile 0 as the image arrives (784 multiplies, adds
    # and compares of Sign(x - 0.5)), plus 32 of each for fc1's post ops on every tile. The
    # buffers hold only the 98-B bit vector (tile 0: written by its input op, read by its
    # MVMs and once by the multicast Send; the others: written by the Receive, read by the
    # MVMs), the 4-B outputs (written, read by the Send to fc2) and the spilled partial
    # sums, never the 784-B image.
    a, buf = tile["actions"], tile["children"]["buffer"]["actions"]
    ops = N * (784 + 32 if t == 0 else 32)
    got = (writes, tile["stats"]["programs_skipped"]["value"], tile["stats"]["partial_sum_spill_bytes"]["value"],
           a["digital_compare"], a["digital_mult"], a["digital_add"], buf["buffer_write_byte"], buf["buffer_read_byte"])
    want = (13 + 5 * (E - 1), 8 * (E - 1), spill, ops, ops, ops, N * 102 + spill, N * (102 + (98 if t == 0 else 0)) + spill)
    if got != want:
        print("tile%d: (writes, skipped, spill, compares, mults, adds, buffer W, R) %s, expected %s" % (t, got, want))
        ok = False
# One global read of the image per sample (by tile 0), no multicast Load.
if sum(chip["tile%d" % t]["stats"]["multicast_loads"]["value"] for t in range(8)) != 0:
    print("multicast Loads on fc1's tiles")
    ok = False
sys.exit(0 if ok else 1)
PY
same mlp_default mlp_s32

for bad in 0 -3 65537 1.5 many; do
  "$SOTSIM" run -c configs/myung_72macro.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist --samples 2 \
    --set chip.step_samples=$bad -q -o "$TMP/bad" 2>"$TMP/bad.err"
  rc=$?
  if [[ $rc -eq 2 ]] && grep -q "chip.step_samples" "$TMP/bad.err" && [[ $(wc -l <"$TMP/bad.err") -eq 1 ]]; then
    pass "chip.step_samples=$bad refused (exit 2, one line naming the key)"
  else
    fail "chip.step_samples=$bad: exit $rc, $(cat "$TMP/bad.err")"
  fi
done
finish
