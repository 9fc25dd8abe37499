#!/usr/bin/env bash
# Paired one-thread CPU time of the exact IR-drop reduction: this worktree's kernel against
# another revision's (default: main), compiled with the build's flags into one binary.
#   bench/irdrop_ab.sh [revision=main] [N=256] [reps=7]
set -euo pipefail
rev=${1:-main}; n=${2:-256}; reps=${3:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-O3 -DNDEBUG -fno-math-errno -march=native -std=c++17 -I"$root" -isystem /usr/include/eigen3)
# The other revision's kernel files, and its headers of them (found before this tree's).
old=()
mkdir -p "$out/old/models/physics"
for f in IrDropSchur SchurKernels BlockedDense; do
    for x in h cpp; do
        if git -C "$root" cat-file -e "$rev:models/physics/$f.$x" 2>/dev/null; then
            git -C "$root" show "$rev:models/physics/$f.$x" > "$out/old/models/physics/$f.$x"
            [ "$x" = cpp ] && old+=("$out/old/models/physics/$f.cpp")
        fi
    done
done
objs=()
for f in "${old[@]}"; do c++ -I"$out/old" "${flags[@]}" -Dphys=phys_old -c "$f" -o "$f.o"; objs+=("$f.o"); done
for f in IrDropSchur SchurKernels BlockedDense IsaGuard; do c++ "${flags[@]}" -c "$root/models/physics/$f.cpp" -o "$out/$f.o"; objs+=("$out/$f.o"); done
c++ "${flags[@]}" "$root/bench/irdrop_ab.cpp" "${objs[@]}" -o "$out/irdrop_ab" -lpthread
"$out/irdrop_ab" "$n" "$reps" ${4:-}
