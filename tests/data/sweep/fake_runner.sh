#!/bin/sh
# Stand-in for `sotsim run` in the sweep engine tests: same command line, and a report.json
# whose metrics are simple known functions of the --set values, so the tests can check
# that every value reached the right point and the right CSV cell.
#   accuracy.hardware     = 1 - device.sigma_p          (sigma_p default 0.05)
#   energy_J.total        = {value: array.rows * 1e-9}  (rows default 256)
#   tops_per_w            = seed mod 1000
#   concurrency           = number of fake runs alive while this one ran
# Special values: array.rows=999 fails (exit 3, message on stderr); array.rows=998 exits 0
# without a report; device.sigma_p=0.3 sleeps $SWEEP_FAKE_SLOW seconds (default 1).
# Every run sleeps $SWEEP_FAKE_DELAY seconds (default 0). With $SWEEP_FAKE_SHARED set, each
# completed run appends its output dir name to $SWEEP_FAKE_SHARED/runs.log, and a running
# one keeps its pid in $SWEEP_FAKE_SHARED/running.<pid>.
# Like a real report, report.json embeds the resolved config and the model hash: the test
# writes the config the point must run with to $SWEEP_FAKE_CONFIGS/<point id>.json (the id
# is the output dir name up to ".tmp") and the model's hash to $SWEEP_FAKE_MODEL_SHA.
set -eu
rows=256; sigma=0.05; seed=0; out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --set) case "$2" in
                   array.rows=*) rows=${2#array.rows=} ;;
                   device.sigma_p=*) sigma=${2#device.sigma_p=} ;;
               esac; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        -q|--ideal) shift ;;
        *) shift ;;
    esac
done
[ -n "$out" ] || { echo "fake_runner: no -o" >&2; exit 2; }
shared=${SWEEP_FAKE_SHARED:-}
marker=""
if [ -n "$shared" ]; then marker="$shared/running.$$"; echo $$ > "$marker"; fi
echo "fake run: rows=$rows sigma=$sigma seed=$seed"
sleep "${SWEEP_FAKE_DELAY:-0}"
if [ "$sigma" = "0.3" ]; then sleep "${SWEEP_FAKE_SLOW:-1}"; fi
concurrency=1
if [ -n "$shared" ]; then concurrency=$(ls "$shared" | grep -c '^running\.'); fi
if [ "$rows" = "999" ]; then
    [ -z "$marker" ] || rm -f "$marker"
    echo "error: array.rows = 999 is rejected by the fake runner" >&2
    exit 3
fi
if [ "$rows" = "998" ]; then [ -z "$marker" ] || rm -f "$marker"; exit 0; fi
id=$(basename "$out"); id=${id%%.tmp*}
config="${SWEEP_FAKE_CONFIGS:-/nonexistent}/$id.json"
{
    awk -v s="$sigma" -v r="$rows" -v seed="$seed" -v c="$concurrency" -v m="${SWEEP_FAKE_MODEL_SHA:-}" 'BEGIN {
        printf "{\n  \"accuracy\": {\"hardware\": %.6f, \"software\": 0.99},\n", 1 - s
        printf "  \"energy_J\": {\"total\": {\"value\": %.6g, \"unit\": \"J\"}},\n", r * 1e-9
        printf "  \"model\": {\"path\": \"model.onnx\", \"hash\": \"%s\"},\n", m
        printf "  \"tops_per_w\": %d,\n  \"concurrency\": %d", seed % 1000, c
    }'
    if [ -f "$config" ]; then printf ',\n  "config": '; cat "$config"; fi
    printf '\n}\n'
} > "$out/report.json"
[ -z "$marker" ] || rm -f "$marker"
if [ -n "$shared" ]; then echo "$(basename "$out")" >> "$shared/runs.log"; fi
exit 0
