#!/usr/bin/env bash
# Bring-your-own-model: third-party-style PyTorch exports (tests/data/zoo, built by
# scripts/train/make_model_zoo.py) run exactly. For every zoo model that the model itself
# quantizes, on a multi-bit preset (myung: PWM inputs, multi-level cells) and a binary one
# (carletti: +-1 drivers, one bit per cell):
#   * float_reference equals PyTorch's own predictions, sample by sample;
#   * --ideal hardware agrees with PyTorch on >= 99 % of the samples and its accuracy is
#     within 0.5 points of PyTorch's;
#   * quantized_reference equals float_reference (nothing was re-quantized).
# Then the refusals: data outside the compiled domain, a float activation under --strict,
# an unsupported op: exit 2 with one line.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
Z=tests/data/zoo
[[ -f $Z/zoo.csv ]] || { fail "missing $Z/zoo.csv"; finish; }

check() {  # preset model inputs quantized torch_accuracy torch_predictions
  local preset=$1 m=$2 inp=$3 quant=$4 tacc=$5 tpred=$6 out="$TMP/$1-$2"
  if ! "$SOTSIM" run -c "configs/$preset.yaml" -w "$Z/$m.onnx" --dataset "$Z/x_$inp.npy" --labels "$Z/labels.npy" \
        --ideal -q -o "$out" 2>"$TMP/err"; then
    fail "$preset/$m: run failed: $(head -c 400 "$TMP/err")"; return
  fi
  local res
  res=$(awk -F, -v tp="$tpred" -v tacc="$tacc" -v quant="$quant" '
    BEGIN { n = split(tp, t, " ") }
    NR > 1 { i = NR - 1; s++
             if ($4 != t[i]) fdiff++
             if ($3 == t[i]) agree++
             if ($3 == $2) hits++
             if ($5 != $4) qdiff++ }
    END { acc = hits / s; bad = ""
          if (s != n) bad = bad sprintf(" %d predictions for %d samples;", s, n)
          if (fdiff) bad = bad sprintf(" float_reference differs from PyTorch on %d;", fdiff)
          if (agree < 0.99 * s) bad = bad sprintf(" hardware agrees with PyTorch on %d/%d only;", agree, s)
          if (acc - tacc > 0.005 + 1e-9 || tacc - acc > 0.005 + 1e-9) bad = bad sprintf(" accuracy %.3f vs PyTorch %.3f;", acc, tacc)
          if (quant == 1 && qdiff) bad = bad sprintf(" quantized_reference differs from float_reference on %d;", qdiff)
          printf "%s|agree %d/%d, accuracy %.3f (PyTorch %.3f)", bad, agree, s, acc, tacc }' "$out/predictions.csv")
  [[ ${res%%|*} == "" ]] && pass "$preset/$m: ${res#*|}" || fail "$preset/$m:${res%%|*}"
  # report.json says, per layer, that every precision came from the model or its data.
  if grep -q '"inserted' "$out/report.json"; then fail "$preset/$m: report.json lists inserted precisions"
  elif [[ $(grep -c '"weight_precision": "model' "$out/report.json") -lt 1 ]]; then fail "$preset/$m: no per-layer precisions"
  else pass "$preset/$m: per-layer precisions from the model"; fi
}

while IFS=, read -r m inp quant tacc tpred; do
  [[ $m == model || $quant != 1 ]] && continue
  for preset in myung_72macro carletti_sot; do check "$preset" "$m" "$inp" "$quant" "$tacc" "$tpred"; done
done <"$Z/zoo.csv"

C=configs/myung_72macro.yaml
# A model that leaves an activation float: calibrated re-quantization, said in a note and in
# report.json (and refused under --strict below).
if "$SOTSIM" run -c $C -w $Z/float_relu_mlp.onnx --dataset $Z/x_f32.npy --labels $Z/labels.npy --ideal \
     --calibration-samples 100 -o "$TMP/float" >"$TMP/float.txt" 2>&1 &&
   grep -q "fc2.*calibrated on 100 samples" "$TMP/float.txt" &&
   grep -q '"input_precision": "inserted: 4 bit(s)' "$TMP/float/report.json"; then
  pass "float activation: calibrated on 100 samples, noted, recorded as inserted"
else
  fail "float activation: $(head -c 600 "$TMP/float.txt")"
fi
expect_error "data outside --input-range" "x_f32.npy: error: sample [0-9]+ .*outside" \
  "$SOTSIM" run -c $C -w $Z/asym2bit_mlp.onnx --dataset $Z/x_f32.npy --labels $Z/labels.npy --input-range 0:0.5 -o "$TMP/never"
expect_error "float activation under --strict" "float_relu_mlp.onnx: error: .*fc2.*" \
  "$SOTSIM" run -c $C -w $Z/float_relu_mlp.onnx --dataset $Z/x_f32.npy --labels $Z/labels.npy --strict -o "$TMP/never"
expect_error "unsupported op" "bad_unsupported_op.onnx: error: node .* is not supported" \
  "$SOTSIM" run -c $C -w tests/data/onnx/bad_unsupported_op.onnx --dataset $Z/x_f32.npy --labels $Z/labels.npy -o "$TMP/never"
expect_error "bad --wide-inputs" "--wide-inputs must be auto, slice or bit_serial" \
  "$SOTSIM" run -c $C -w $Z/qat8_zeropoint_cnn.onnx --dataset $Z/x_norm.npy --labels $Z/labels.npy --wide-inputs fast -o "$TMP/never"
# Inputs wider than the DAC: the compiler's choice (auto) is noted with both estimates, and
# --wide-inputs bit_serial forces one-bit planes; both exact (same predictions).
for m in auto bit_serial; do
  "$SOTSIM" run -c $C -w $Z/qat8_zeropoint_cnn.onnx --dataset $Z/x_norm.npy --labels $Z/labels.npy --ideal \
    --wide-inputs $m -o "$TMP/wide-$m" >"$TMP/wide-$m.txt" 2>&1 || fail "--wide-inputs $m: run failed"
done
if grep -q "rather than" "$TMP/wide-auto.txt" && grep -q '"input_precision": "model: 256 levels; driven bit-serially' "$TMP/wide-bit_serial/report.json" &&
   cmp -s <(cut -d, -f1-5 "$TMP/wide-auto/predictions.csv") <(cut -d, -f1-5 "$TMP/wide-bit_serial/predictions.csv"); then
  pass "wide inputs: auto choice noted with both estimates, bit_serial forced, same predictions"
else
  fail "wide inputs: $(grep -h "rather than" "$TMP"/wide-*.txt | head -c 400)"
fi
[[ -e "$TMP/never" ]] && fail "a refused run left output" || pass "refused runs leave no output"
finish
