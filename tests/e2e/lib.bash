# Helpers for the end-to-end tests (sourced). $1 = sotsim binary, $2 = source dir.
set -uo pipefail
SOTSIM="$1"
SRC="$2"
PY=/usr/bin/python3
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
finish() { if ((FAILS)); then echo "$FAILS check(s) failed" >&2; exit 1; fi; exit 0; }

# expect_error DESCRIPTION PATTERN CMD...: exit status 2, exactly one stderr line matching
# PATTERN (extended regex), nothing on stdout.
expect_error() {
  local what="$1" pattern="$2"; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [[ $rc -ne 2 ]]; then fail "$what: exit status $rc, expected 2 (stderr: $(head -c 300 "$TMP/err"))"; return; fi
  if [[ $lines -ne 1 ]]; then fail "$what: $lines stderr lines, expected 1: $(head -c 500 "$TMP/err")"; return; fi
  if ! grep -Eq -- "$pattern" "$TMP/err"; then fail "$what: stderr '$(cat "$TMP/err")' does not match /$pattern/"; return; fi
  if [[ -s "$TMP/out" ]]; then fail "$what: unexpected stdout: $(head -c 200 "$TMP/out")"; return; fi
  pass "$what"
}
