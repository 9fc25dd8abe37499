#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan + UBSan) and runs each for a
# fixed time on its seed corpus (the project's own files and every reproducer). A crash,
# sanitizer report, uncaught exception, multi-line error message, hang (> 10 s on one
# input) or memory blow-up (> 2 GB) fails with the input saved under build/fuzz/artifacts/.
#   scripts/fuzz.sh                 every target 20 s (what CI runs)
#   scripts/fuzz.sh 600 onnx idx    10 minutes each for the named targets
# New inputs libFuzzer finds interesting accumulate in build/fuzz/corpus/<target> (kept
# between runs, not committed). A finding is fixed at its source and its input committed
# under tests/data/regress/ (docs/testing.md, "Fuzzing").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH="${1:-20}"; shift || true
cd "$ROOT"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
B=build/fuzz
mapfile -t TARGETS < <(if [[ $# -gt 0 ]]; then printf '%s\n' "$@"; else cut -d' ' -f1 "$B/fuzz_seeds.txt"; fi)
mkdir -p "$B/artifacts"
failed=()
for t in "${TARGETS[@]}"; do
  seeds=$(awk -v t="$t" '$1 == t { $1 = ""; print }' "$B/fuzz_seeds.txt")
  [[ -n "$seeds" ]] || { echo "fuzz.sh: unknown target '$t' (targets: $(cut -d' ' -f1 "$B/fuzz_seeds.txt" | tr '\n' ' '))" >&2; exit 2; }
  mkdir -p "$B/corpus/$t"
  echo "== fuzz_$t: ${SECONDS_EACH} s"
  # shellcheck disable=SC2086  # $seeds is a list of directories
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$B/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
      "$B/corpus/$t" $seeds 2>"$B/fuzz_$t.log"; then
    failed+=("$t")
    tail -n 40 "$B/fuzz_$t.log" >&2
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" "$B/fuzz_$t.log" || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs: $B/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} targets, ${SECONDS_EACH} s each, no finding"
