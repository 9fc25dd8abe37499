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
run mlp_s128 mlp_bnn_mnist mnist 150
run mlp_s7 mlp_bnn_mnist mnist 150 --set chip.step_samples=7 --batch 20
run mlp_s1 mlp_bnn_mnist mnist 150 --set chip.step_samples=1
run mlp_lbl mlp_bnn_mnist mnist 150 --set chip.dataflow=layer_by_layer
same mlp_s128 mlp_s7
same mlp_s128 mlp_s1
same mlp_s128 mlp_lbl
run vgg_s4 vgg8_bnn_mnist mnist 20 --set chip.step_samples=4 --batch 9
run vgg_lbl vgg8_bnn_mnist mnist 20 --set chip.dataflow=layer_by_layer
same vgg_s4 vgg_lbl

# The compile report names the multiplexed stage, its rounds and the lowered step.
out=$("$SOTSIM" compile -c configs/myung_72macro.yaml -w workloads/models/mlp_bnn_mnist.onnx --dataset mnist 2>&1)
grep -q "time-multiplexed stage (t0-t7)" <<<"$out" && grep -q "in 2 rounds" <<<"$out" \
  && pass "compile names the multiplexed stage and its rounds" || fail "compile report: $out"
grep -q "steps of [0-9]* samples, not chip.step_samples = 128" <<<"$out" \
  && pass "compile says the step was lowered to fit the tile buffer" || fail "no lowered-step note: $out"

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
