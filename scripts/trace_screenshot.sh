#!/usr/bin/env bash
# Regenerates the GTKWave screenshot of docs/outputs.md: runs the demo chip on a few
# samples with --vcd, opens the trace.gtkw view sotsim wrote in GTKWave on a virtual X
# display (Xvfb) and grabs the window (ImageMagick `import`). Packages: gtkwave, xvfb,
# imagemagick (scripts/setup.sh installs them).
#   scripts/trace_screenshot.sh [OUT.png]       default docs/figures/trace_gtkwave.png
# Environment: SOTSIM (binary, default build/default/platform/sotsim), SAMPLES (default 20).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/docs/figures/trace_gtkwave.png}")"
SOTSIM="${SOTSIM:-$ROOT/build/default/platform/sotsim}"
for tool in gtkwave xvfb-run import; do
  command -v "$tool" >/dev/null || { echo "trace_screenshot.sh: error: '$tool' not found (run scripts/setup.sh)" >&2; exit 2; }
done
[[ -x "$SOTSIM" ]] || { echo "trace_screenshot.sh: error: $SOTSIM not built (scripts/build.sh)" >&2; exit 2; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$SOTSIM" run -c myung_72macro -w mlp_bnn_mnist --dataset mnist --samples "${SAMPLES:-20}" \
  -o "$TMP/run" --vcd "$TMP/run/trace.vcd" -q
# GTKWave loads the save file (which names trace.vcd and the layer names file relative to
# it) on a virtual display; the screen is grabbed once it has drawn, then GTKWave (our
# child, by pid) is stopped. xvfb-run stops its X server itself.
cat >"$TMP/grab.sh" <<'SH'
cd "$1/run"
gtkwave trace.gtkw >"$1/gtkwave.log" 2>&1 &
pid=$!
sleep "${GRAB_DELAY:-5}"
import -window root "$1/shot.png"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
SH
xvfb-run -a -s "-screen 0 1600x1000x24" bash "$TMP/grab.sh" "$TMP" || true
[[ -s "$TMP/shot.png" ]] || { echo "trace_screenshot.sh: error: no screenshot (GTKWave log: $(tail -3 "$TMP/gtkwave.log"))" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
mv "$TMP/shot.png" "$OUT"
echo "trace_screenshot.sh: wrote $OUT" >&2
