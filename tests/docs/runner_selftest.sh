#!/bin/bash
# tests/docs/run_doc_commands.py on fixture Markdown: what it runs, in which directory, what
# it reports and what it refuses. $1 = runner, $2 = sotsim binary, $3 = source dir.
set -euo pipefail
runner=$1; build=$(dirname "$(dirname "$2")"); src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { /usr/bin/python3 "$runner" --source "$src" --build "$build" "$@"; }

# A passing document: a file= block feeds the next block; sotsim is on PATH; outputs land
# in the scratch checkout's out/, which starts empty; unmarked blocks are not run.
cat >"$tmp/good.md" <<'MD'
Text.

```yaml runnable file=out/example.txt
hello from a file block
```

```sh runnable
grep -q "hello from a file block" out/example.txt
test -z "$(ls out | grep -v example.txt)"
sotsim info | grep -q '^sotsim '
test -L configs && test -d workloads/models
echo done > out/marker
```

```sh
exit 7   # not runnable: never executed
```

```python runnable
import os
assert open("out/marker").read() == "done\n"
assert "sotsim-doc-" in os.environ["HOME"], os.environ["HOME"]
```
MD
out=$(run "$tmp/good.md") || fail "good.md: exit $?: $out"
[[ "$out" == *"all 3 blocks ok"* ]] || fail "good.md: $out"
[[ ! -e "$src/out/example.txt" && ! -e "$src/out/marker" ]] || fail "a block wrote into the source tree"
list=$(run --list "$tmp/good.md")
[[ $(grep -c . <<<"$list") -eq 3 ]] || fail "--list: $list"

# A failing block is named by FILE:LINE with its output; the blocks after it still run.
cat >"$tmp/bad.md" <<'MD'
```sh runnable
echo "before the failure"
false
echo "not reached"
```

```bash runnable
echo second
```
MD
set +e; out=$(run "$tmp/bad.md"); rc=$?; set -e
[[ $rc -eq 1 ]] || fail "bad.md: exit $rc, wanted 1: $out"
[[ "$out" == *"bad.md:1: FAILED (exit 1)"* && "$out" == *"before the failure"* ]] || fail "bad.md report: $out"
! grep -qx "not reached" <<<"$out" || fail "bad.md: the block went on after a failing command: $out"
[[ "$out" == *"bad.md:7: ok"* ]] || fail "bad.md: the block after the failure did not run: $out"
[[ "$out" == *"1 of 2 blocks failed"* ]] || fail "bad.md summary: $out"

# Refused before anything runs (exit 2): a write through a symlink into the sources, a
# runnable block in a language the runner cannot run, and a document without any.
expect2() {
    local want=$1 file=$2
    set +e; out=$(run "$file" 2>&1); rc=$?; set -e
    [[ $rc -eq 2 && "$out" == *"$want"* ]] || fail "$file: exit $rc, wanted 2 and '$want': $out"
}
printf '```yaml runnable file=configs/x.yaml\na: 1\n```\n' >"$tmp/into_src.md"
expect2 "would write into the source tree" "$tmp/into_src.md"
[[ ! -e "$src/configs/x.yaml" ]] || fail "wrote configs/x.yaml into the source tree"
printf '```yaml runnable file=../x.yaml\na: 1\n```\n' >"$tmp/up.md"
expect2 "must be a relative path inside the checkout" "$tmp/up.md"
printf '```c runnable\nint main;\n```\n' >"$tmp/lang.md"
expect2 "lang.md:1: runnable block in 'c'" "$tmp/lang.md"
printf 'no blocks\n' >"$tmp/none.md"
expect2 "no runnable block" "$tmp/none.md"

# The documentation itself has runnable blocks in the README and in docs/.
list=$(cd "$src" && run --list)
grep -q '^README.md:' <<<"$list" || fail "no runnable block in README.md: $list"
grep -q '^docs/sweeps.md:' <<<"$list" || fail "no runnable block in docs/sweeps.md: $list"
echo "runner_selftest: ok"
