#!/bin/bash
# scripts/plot_sweep.py on a synthetic results.csv: line plot with seed error bars, heatmap,
# the aggregation it draws, and its errors for missing/ambiguous columns.
# $1 = sotsim binary (unused), $2 = source dir.
set -euo pipefail
src=$2
plot="/usr/bin/python3 $src/scripts/plot_sweep.py"
csv=$src/tests/data/sweep/synthetic_results.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

$plot "$csv" -o "$tmp/line.png" --x device.r_p --y accuracy.hardware --hue device.sigma_p --logx >/dev/null
is_png "$tmp/line.png" || fail "line plot is not a PNG"
$plot "$csv" -o "$tmp/heat.png" --heatmap device.r_p device.sigma_p accuracy.hardware >/dev/null
is_png "$tmp/heat.png" || fail "heatmap is not a PNG"
$plot "$csv" -o "$tmp/where.png" --x device.r_p --y energy_J.total --where device.sigma_p=0 --logy >/dev/null
is_png "$tmp/where.png" || fail "filtered plot is not a PNG"

# What is drawn: mean and sample std over seeds; failed rows and empty metrics are skipped.
/usr/bin/python3 - "$src" "$csv" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/scripts")
import plot_sweep as p
m, s = p.mean_std([0.40, 0.44])
assert abs(m - 0.42) < 1e-12 and abs(s - 0.0282842712) < 1e-9, (m, s)
params, metrics, recs = p.load(sys.argv[2])
assert params == ["device.r_p", "device.sigma_p"] and metrics == ["accuracy.hardware", "energy_J.total"]
rows = p.select(recs, params, "accuracy.hardware", {"device.r_p", "device.sigma_p"}, {}, "x")
assert len(rows) == 10, len(rows)
assert p.ordered_values(["1e6", "1e4", "1e7"]) == (["1e4", "1e6", "1e7"], True)
import sotsim_results as sr
df = sr.results(sys.argv[2])
assert list(df.columns[:2]) == ["device.r_p", "device.sigma_p"], list(df.columns)
assert df.attrs["units"] == {"device.r_p": "Ohm", "energy_J.total": "J"}, df.attrs["units"]
assert sr.unit("energy_J.total") == "J" and sr.label("device.r_p") == "device.r_p [Ohm]"
assert sr.split_header("tops_per_w [TOPS/W]") == ("tops_per_w", "TOPS/W")
assert sr.split_header("accuracy.hardware") == ("accuracy.hardware", "")
PY

expect_error() {   # expected message fragment, then arguments
    local want=$1; shift
    set +e
    out=$($plot "$csv" -o "$tmp/err.png" "$@" 2>&1)
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "exit $rc, wanted 2, for: $*"
    [[ "$out" == *"$want"* ]] || fail "message '$out' lacks '$want'"
    [ ! -e "$tmp/err.png" ] || fail "output written despite error"
}
expect_error "no metric column 'accuracy.sw'" --y accuracy.sw
expect_error "no parameter column 'array.rows'" --x array.rows
expect_error "parameter 'device.sigma_p' takes 2 values" --x device.r_p
expect_error "no parameter column 'device.foo'" --heatmap device.foo device.sigma_p accuracy.hardware
expect_error "--where needs KEY=VALUE" --where device.sigma_p
echo "x" > "$tmp/notsweep.csv"
set +e; out=$($plot "$tmp/notsweep.csv" 2>&1); rc=$?; set -e
[ $rc -eq 2 ] && [[ "$out" == *"not a sweep results.csv"* ]] || fail "non-sweep CSV: $rc $out"
echo "sweep_plot: ok"
