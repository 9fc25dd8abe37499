#!/usr/bin/env bash
# Program image: `sotsim compile --image` writes the serialized program; `sotsim run
# --image` has the host write that image into program memory and LOAD it, and gives the
# same predictions and report byte for byte as `sotsim run` of the freshly compiled model
# (which goes through the same image path in memory). Malformed or misfit images: one
# error line naming the file, exit status 2, no output directory.
source "$(dirname "$0")/lib.bash"
cd "$SRC"
CFG=configs/myung_72macro.yaml
MODEL=workloads/models/mlp_bnn_mnist.onnx
# The input domain comes from the dataset (the model has no input quantizer): compile with it.
"$SOTSIM" compile -c $CFG -w $MODEL --dataset mnist --image "$TMP/mlp.img" > "$TMP/compile.txt" || fail "compile --image failed"
grep -q "^image: $TMP/mlp.img ([0-9]* bytes, format [0-9]*\.[0-9]*)" "$TMP/compile.txt" || fail "compile does not report the image"
[[ "$(head -c 4 "$TMP/mlp.img")" == "SIMI" ]] || fail "the image does not start with its magic"
"$SOTSIM" compile -c $CFG -w $MODEL --dataset mnist --image "$TMP/again.img" > /dev/null && cmp -s "$TMP/mlp.img" "$TMP/again.img" ||
  fail "compiling twice gives different images"

base=(-c $CFG -w $MODEL --dataset mnist --split test --samples 60 --batch 16)
common=("${base[@]}" -q)
"$SOTSIM" run "${common[@]}" -o "$TMP/compiled" || fail "run failed"
"$SOTSIM" run "${common[@]}" --image "$TMP/mlp.img" -o "$TMP/image" || fail "run --image failed"
for f in predictions.csv report.json layers.csv; do
  cmp -s "$TMP/compiled/$f" "$TMP/image/$f" || fail "$f differs between run and run --image"
done
# An image compiled for another input domain still runs (it is a program), but run says so.
"$SOTSIM" compile -c $CFG -w $MODEL --input-range 0:2 --image "$TMP/other.img" > /dev/null || fail "compile --input-range"
"$SOTSIM" run "${base[@]}" --image "$TMP/other.img" -o "$TMP/other" > "$TMP/other.txt" || fail "run of another image failed"
grep -q "^note: .*other.img is not the program compiled from" "$TMP/other.txt" || fail "no note that the image differs"

# A corrupted byte: the checksum names the offset.
cp "$TMP/mlp.img" "$TMP/bad.img"
printf '\x7f' | dd of="$TMP/bad.img" bs=1 seek=300 conv=notrunc status=none
expect_error "corrupted image" "bad.img: offset 0x10: checksum" "$SOTSIM" run "${common[@]}" --image "$TMP/bad.img" -o "$TMP/bad"
[[ ! -e "$TMP/bad" ]] || fail "a refused image left an output directory"
head -c 100 "$TMP/mlp.img" > "$TMP/short.img"
expect_error "truncated image" "short.img: offset 0xc: total_bytes" "$SOTSIM" run "${common[@]}" --image "$TMP/short.img" -o "$TMP/bad"
expect_error "image for another chip" "mlp.img: compiled for a chip of" \
  "$SOTSIM" run "${common[@]}" --set chip.tiles=16 --image "$TMP/mlp.img" -o "$TMP/bad"
expect_error "missing image" "no-such.img: " "$SOTSIM" run "${common[@]}" --image no-such.img -o "$TMP/bad"
[[ $FAILS -eq 0 ]] && pass "image compiled, loaded over the host socket, identical to sotsim run; bad images refused"
finish
