#!/usr/bin/env bash
# --ideal turns every analog non-ideality off while keeping timing and energy: then the
# hardware's predictions must equal, sample by sample, those of the quantized model the
# compiler mapped (its software reference), for every shipped model and several presets
# (binary / signed / bit-serial / PWM inputs, ADC / sense amp / TDC / SOT-neuron readouts,
# padded convolutions, multi-bit and ternary weights, analog accumulation across row blocks:
# carletti_sot reads its binary hidden layers by sense amps over summed row blocks).
source "$(dirname "$0")/lib.bash"
cd "$SRC"
check() {  # preset model dataset samples
  local out="$TMP/$1-$2"
  if ! "$SOTSIM" run -c "configs/$1.yaml" -w "workloads/models/$2.onnx" --dataset "$3" --samples "$4" \
        --ideal -q -o "$out" 2>"$TMP/err"; then
    fail "$1/$2: run failed: $(cat "$TMP/err")"; return
  fi
  local n mism
  n=$(($(wc -l <"$out/predictions.csv") - 1))
  mism=$(awk -F, 'NR > 1 && $3 != $5' "$out/predictions.csv" | wc -l)
  [[ $n -eq $4 ]] || { fail "$1/$2: $n predictions for $4 samples"; return; }
  [[ $mism -eq 0 ]] && pass "$1/$2: $n/$n predictions equal the quantized model" \
                    || fail "$1/$2: $mism of $n predictions differ from the quantized model"
}
check carletti_sot mlp_bnn_mnist mnist 200
check carletti_sot jung_mlp_mnist mnist 200
check jung_64x64 jung_mlp_mnist mnist 200
check zand_mlp zand_mlp_mnist mnist 200
check myung_72macro mlp_bnn_mnist mnist 200
check myung_72macro cnn_w4_fashion fashion-mnist 100
check myung_72macro vgg8_bnn_mnist mnist 40
check carletti_sot cnn_w4_fashion fashion-mnist 50
check nvm_program_verify mlp_bnn_mnist mnist 100
check doevenspeck_sot doevenspeck_ternary_mnist mnist 200
finish
