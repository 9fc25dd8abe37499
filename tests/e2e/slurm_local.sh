#!/bin/bash
# The Slurm backend against a real single-node cluster (scripts/slurm-local.sh): a 6-point
# sweep as one job array (one point per task, one task at a time), one task cancelled while
# it runs and one before it starts, `--status`, a `--resume --wait` that resubmits only the
# missing points, and results.csv identical to the local backend's with every point run
# exactly once. The cluster's daemons are stopped by pid on every exit path (and by its
# watchdog if this script is killed). $1 = sotsim binary, $2 = source dir.
set -euo pipefail
sotsim=$1
src=$2
tmp=$(mktemp -d)
cluster=$tmp/cluster
cleanup() {
  "$src/scripts/slurm-local.sh" stop "$cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Polls `cond` (a command) every 0.5 s for up to $1 seconds.
wait_for() {
  local limit=$1 t0=$SECONDS; shift
  until "$@"; do
    ((SECONDS - t0 < limit)) || return 1
    sleep 0.5
  done
}

for tool in sbatch squeue scancel sinfo slurmctld slurmd munged; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    fail "Slurm is not installed ($tool missing): run scripts/setup.sh (Debian packages slurmctld slurmd slurm-client munge)"
done

cat > "$tmp/sweep.yaml" <<YAML
base: $src/configs/myung_72macro.yaml
workload: {model: $src/workloads/models/mlp_bnn_mnist.onnx, dataset: mnist, split: test, samples: 20}
parameters:
  device.sigma_p: [0.0, 0.1, 0.2]
seeds: 2
metrics: [accuracy.hardware, energy_J.total, latency_s]
slurm: {chunk: 1, throttle: 1, time: "10:00"}
YAML

# The reference: the same sweep on the local backend.
"$sotsim" sweep "$tmp/sweep.yaml" -o "$tmp/local" -j 2 -q || fail "local sweep exited $?"
[[ $(grep -c ',ok,' "$tmp/local/results.csv") -eq 6 ]] || fail "local sweep: $(cat "$tmp/local/results.csv")"

# Without sbatch: one clear error line, exit 2, nothing written.
set +e
err=$(PATH=/nonexistent "$sotsim" sweep "$tmp/sweep.yaml" --backend slurm -o "$tmp/nosbatch" 2>&1); rc=$?
set -e
[[ $rc -eq 2 && $err == *"sbatch not found on PATH"* && $(wc -l <<<"$err") -eq 1 ]] || fail "no sbatch: rc=$rc: $err"
[[ ! -e $tmp/nosbatch ]] || fail "output written without sbatch"

line=$("$src/scripts/slurm-local.sh" start "$cluster" $$) || fail "the local Slurm cluster did not start (messages above)"
eval "$line"
[[ -n ${SLURM_CONF:-} ]] || fail "slurm-local.sh printed no SLURM_CONF: $line"
echo "cluster up: $SLURM_CONF"

out=$tmp/slurm
job=$("$sotsim" sweep "$tmp/sweep.yaml" --backend slurm -o "$out" -q) || fail "submission exited $?"
[[ $job =~ ^[0-9]+$ ]] || fail "submission printed '$job', not a job id"
[[ $(wc -l <"$out/slurm/submit-1.tasks") -eq 6 ]] || fail "expected 6 tasks: $(cat "$out/slurm/submit-1.tasks")"

# Task 5 is still pending (throttle 1): cancel it. Then cancel task 0 as soon as it runs
# its point (its attempt directory appears).
scancel "${job}_5" || fail "scancel ${job}_5"
running() { compgen -G "$out/points/0000-*.tmp.*" >/dev/null || compgen -G "$out/points/0000-*[0-9a-f]" >/dev/null; }
wait_for 180 running || fail "task 0 did not start within 180 s: $(squeue -j "$job" 2>&1)"
# (If the point finished just before, the cancel finds a completed task: 5 points are done.)
scancel "${job}_0" 2>/dev/null || true
gone() { [[ -z $(squeue -h -j "$job" 2>/dev/null) ]]; }
wait_for 300 gone || fail "job array $job still queued after 300 s: $(squeue -j "$job")"
collected() { [[ -f $out/results.csv ]] && [[ -z $(squeue -h -n sotsim-sweep-collect 2>/dev/null) ]]; }
wait_for 120 collected || fail "the collect job did not write results.csv"

done_points=$(find "$out/points" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp*' | wc -l)
echo "after the cancels: $done_points of 6 points done"
[[ $done_points -eq 4 || $done_points -eq 5 ]] || fail "expected 4 or 5 finished points, found $done_points"
[[ -z $(compgen -G "$out/points/*.tmp*") ]] || fail "attempt directories left: $(ls "$out/points")"
[[ $(tail -n +2 "$out/results.csv" | wc -l) -eq $done_points ]] || fail "collect: $(cat "$out/results.csv")"

status=$("$sotsim" sweep --status "$out") || fail "--status exited $?"
echo "$status"
missing=$((6 - done_points))
[[ $status == *"6 points: $done_points done, 0 running, 0 pending, 0 failed, $missing missing"* ]] || fail "status: $status"
[[ $status == *"slurm submission 1: job array $job (no longer queued)"* ]] || fail "status: $status"
[[ $status == *"sacct: "* ]] || fail "status has no sacct line: $status"

# Resume: only the missing points are submitted; --wait returns when results.csv is final.
"$sotsim" sweep "$tmp/sweep.yaml" --backend slurm -o "$out" --resume --wait -q >"$tmp/resume.out" ||
  fail "resume --wait exited $?: $(cat "$tmp/resume.out")"
[[ $(wc -l <"$out/slurm/submit-2.tasks") -eq $missing ]] || fail "resubmitted: $(cat "$out/slurm/submit-2.tasks")"
grep -qx '5' "$out/slurm/submit-2.tasks" || fail "the cancelled pending point 5 was not resubmitted"

cmp "$tmp/local/results.csv" "$out/results.csv" || {
  diff "$tmp/local/results.csv" "$out/results.csv" >&2 || true
  fail "Slurm results.csv differs from the local backend's"
}
# Every point ran to completion exactly once over both submissions.
for d in "$tmp"/local/points/*/; do
  id=$(basename "$d")
  n=$(cat "$out"/slurm/task-*.log | grep -c "^sweep: point $id ok$" || true)
  [[ $n -eq 1 ]] || fail "point $id completed $n times"
done
# A second resume has nothing to submit.
"$sotsim" sweep "$tmp/sweep.yaml" --backend slurm -o "$out" --resume -q || fail "idle resume exited $?"
[[ ! -e $out/slurm/submit-3.tasks ]] || fail "an idle resume submitted a job"

daemons=$(cat "$cluster"/pids/*)
"$src/scripts/slurm-local.sh" stop "$cluster"
for pid in $daemons; do
  # One read of /proc/PID/stat: a zombie can be reaped between an existence test and a
  # second read (CI saw exactly that), and a vanished or zombie process has stopped.
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
  [[ ${stat##*) } == Z* ]] || fail "process $pid of the cluster still runs"
done
echo "slurm_local: ok"
