#!/usr/bin/env bash
# Set up, build and run the whole default test suite through ctest.
#   scripts/test.sh [PRESET] [extra ctest args]   (PRESET: default | asan | debug)
#   scripts/test.sh default -L long                runs only the long tests (label `long`)
#   scripts/test.sh default -R docs                any ctest selection; one that matches no
#                                                  test is an error, not a silent success
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRESET="${1:-default}"; shift || true
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" "$PRESET"
cd "$ROOT"
if [[ $# -gt 0 ]]; then
  ctest --test-dir "build/$PRESET" --output-on-failure --no-tests=error -j "$(nproc)" "$@"
else
  ctest --preset "$PRESET" --no-tests=error -j "$(nproc)"
fi
