#!/usr/bin/env bash
# Bad input of every kind: one clear error line on stderr, exit status 2, no output files.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
C=configs/carletti_sot.yaml
M=workloads/models/mlp_bnn_mnist.onnx

expect_error "unknown command" "unknown command 'frobnicate'" "$SOTSIM" frobnicate
expect_error "unknown option" "unrecognised option '--bogus'|unrecognized option" "$SOTSIM" run --bogus
expect_error "missing option value" "samples" "$SOTSIM" run -c $C -w $M --dataset mnist --samples
expect_error "non-numeric option" "samples" "$SOTSIM" run -c $C -w $M --dataset mnist --samples many
expect_error "missing config" "missing -c/--config" "$SOTSIM" validate
expect_error "missing model" "missing -w/--model" "$SOTSIM" run -c $C --dataset mnist
expect_error "bad split" "--split must be" "$SOTSIM" run -c $C -w $M --dataset mnist --split val
expect_error "config file missing" "nope.yaml" "$SOTSIM" validate -c configs/nope.yaml
expect_error "config is a directory" "configs" "$SOTSIM" validate -c configs
expect_error "yaml syntax error" "^tests/data/configs/syntax_error.yaml:[0-9]+:[0-9]+: error:" "$SOTSIM" validate -c tests/data/configs/syntax_error.yaml
expect_error "unknown key" "unknown_key.yaml:[0-9]+:[0-9]+: error: .*did you mean" "$SOTSIM" validate -c tests/data/configs/unknown_key.yaml
expect_error "wrong unit" "wrong_unit.yaml:[0-9]+:[0-9]+: error:" "$SOTSIM" validate -c tests/data/configs/wrong_unit.yaml
expect_error "include cycle" "cycle" "$SOTSIM" validate -c tests/data/configs/cycle_a.yaml
expect_error "empty config" "empty.yaml" "$SOTSIM" validate -c tests/data/configs/empty.yaml
expect_error "bad --set key" "did you mean 'device.r_p'" "$SOTSIM" validate -c $C --set device.r_pp=1
expect_error "bad --set unit" "device.r_p" "$SOTSIM" validate -c $C --set device.r_p=3ns
expect_error "bad neuron model" "periphery.neuron.model" "$SOTSIM" validate -c configs/zand_mlp.yaml --set periphery.neuron.model=tanh
expect_error "bad neuron resistor" "periphery.neuron.r_in" "$SOTSIM" validate -c configs/zand_mlp.yaml --set periphery.neuron.r_in=-1kOhm
expect_error "onnx missing" "nope.onnx" "$SOTSIM" compile -c $C -w nope.onnx
expect_error "onnx truncated" "bad_truncated.onnx: error:" "$SOTSIM" compile -c $C -w tests/data/onnx/bad_truncated.onnx
expect_error "onnx garbage" "bad_garbage.onnx: error:" "$SOTSIM" compile -c $C -w tests/data/onnx/bad_garbage.onnx
expect_error "onnx unsupported op" "bad_unsupported_op.onnx: error: node .* is not supported" "$SOTSIM" compile -c $C -w tests/data/onnx/bad_unsupported_op.onnx
expect_error "too many samples" "samples" "$SOTSIM" run -c $C -w $M --dataset mnist --samples 100000 -o "$TMP/never"
[[ -e "$TMP/never" ]] && fail "a failed run left output in $TMP/never" || pass "no partial output"
expect_error "dataset shape mismatch" "expects" "$SOTSIM" run -c $C -w $M --dataset tests/data/arrays/images_4x1x2x2.npy --labels tests/data/arrays/labels_4.npy

# mvm: bad array files
printf '1,2\n3,x\n' >"$TMP/bad.csv"
expect_error "csv non-numeric" "bad.csv" "$SOTSIM" mvm -c $C --conductance "$TMP/bad.csv" --inputs "$TMP/bad.csv"
head -c 60 tests/data/arrays/f4_2x3.npy >"$TMP/trunc.npy"
expect_error "npy truncated" "trunc.npy" "$SOTSIM" mvm -c $C --conductance "$TMP/trunc.npy" --inputs "$TMP/trunc.npy"
printf '1e-6,1e-6\n1e-6,1e-6\n' >"$TMP/g.csv"
printf '0.1,0.1,0.1\n' >"$TMP/x3.csv"
expect_error "mvm shape mismatch" "columns" "$SOTSIM" mvm -c $C --conductance "$TMP/g.csv" --inputs "$TMP/x3.csv"
printf '0.1,nan\n' >"$TMP/xnan.csv"
expect_error "mvm NaN input" "xnan.csv" "$SOTSIM" mvm -c $C --conductance "$TMP/g.csv" --inputs "$TMP/xnan.csv"
finish
