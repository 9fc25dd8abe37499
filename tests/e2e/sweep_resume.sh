#!/bin/bash
# Safe resume with the real simulator: `kill -9` of a running sweep leaves no `sotsim run`
# behind and nothing reappears, the resume runs each remaining point once; a resume after
# an edit of an *included* file is refused naming the key; -o at a file is its own error.
# $1 = sotsim binary, $2 = source dir.
set -euo pipefail
sotsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# `sotsim run` processes of this test (their -o lies under $tmp/out/points/); zombies
# waiting for a reaper do not count.
runs() {
  local p
  for p in $(pgrep -f -- "-o $tmp/out/points/" || true); do
    [[ $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) == [RSD]* ]] && echo "$p"
  done
  return 0
}

# The base config includes a file of its own, edited below.
cat > "$tmp/tech.yaml" <<YAML
include: $src/configs/myung_72macro.yaml
array:
  r_wire_row: 2.5 Ohm
YAML
cat > "$tmp/sweep.yaml" <<YAML
base: tech.yaml
workload: {model: $src/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, split: test, samples: 200}
parameters:
  device.sigma_p: [0.0, 0.05, 0.1, 0.15]
metrics: [accuracy.hardware, energy_J.total]
YAML

"$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" -j 2 -q &
sweep=$!
t0=$SECONDS
until [[ -n $(runs) ]]; do
  ((SECONDS - t0 < 120)) || fail "no point started within 120 s"
  sleep 0.05
done
children=$(runs)
kill -9 "$sweep"
wait "$sweep" 2>/dev/null || true
sleep 1
[[ -z $(runs) ]] || fail "sotsim run processes survived kill -9 of the sweep: $(runs)"
for p in $children; do
  [[ $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) == [RSD]* ]] && fail "point process $p survived kill -9 of the sweep"
done
# Had one survived, it would write a report into its attempt directory.
sleep 3
for d in "$tmp"/out/points/*.tmp.*; do
  [[ -e $d/report.json ]] && fail "a report appeared in $d after the sweep was killed"
done
"$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" -j 2 --resume -q || fail "resume exited $?"
[[ $(grep -c ',ok,$' "$tmp/out/results.csv") -eq 4 ]] || fail "after resume: $(cat "$tmp/out/results.csv")"
[[ -z $(compgen -G "$tmp/out/points/*.tmp*") ]] || fail "attempt directories left: $(ls "$tmp/out/points")"
cp "$tmp/out/results.csv" "$tmp/before.csv"

# Edit the included file: the resume is refused, naming the key; nothing changes.
sed -i 's/r_wire_row: 2.5 Ohm/r_wire_row: 5 Ohm/' "$tmp/tech.yaml"
set +e
err=$("$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/out" --resume -q 2>&1); rc=$?
set -e
[[ $rc -eq 2 ]] || fail "resume after an include edit exited $rc: $err"
[[ $(wc -l <<<"$err") -eq 1 ]] || fail "more than one line: $err"
[[ $err == *"inputs changed since this sweep started"*"array.r_wire_row: 2.5 -> 5"* ]] || fail "message: $err"
cmp -s "$tmp/out/results.csv" "$tmp/before.csv" || fail "the refused resume touched results.csv"

# -o at a regular file.
: > "$tmp/afile"
set +e
err=$("$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/afile" -q 2>&1); rc=$?
set -e
[[ $rc -eq 2 && $err == *"afile: is a file, not a directory"* ]] || fail "-o at a file: rc=$rc: $err"
echo "sweep_resume: ok"
