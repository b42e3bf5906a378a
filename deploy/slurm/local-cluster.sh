#!/usr/bin/env bash
# End-to-end test of the Slurm scripts on a one-node Slurm brought up here, as root,
# from Debian's packages (installed when missing: slurm-wlm, munge).
#
#   deploy/slurm/local-cluster.sh
#
# It starts its own munged, slurmctld and slurmd (configuration, keys, sockets,
# state and logs in one temporary folder; free ports picked at random; no systemd
# and no cgroups needed: proctrack/linuxproc, task/none), submits a 4-task array of
# shards of the reference scenario and the dependent merge with submit.sh, waits
# for them, and compares the merged CSVs with an unsharded run of the same
# settings, byte for byte. On exit, also on failure or interrupt, it cancels its
# jobs, stops only the daemons it started (by their process ids) and removes its
# folder. Exit status 0 when the files are identical, 1 otherwise.
#
# Settings (environment): ENCLAVE (the binary; default target/release/enclave,
# under CARGO_TARGET_DIR when set, built when missing), PATHS (4000), HORIZON (10),
# TASKS (4), TIMEOUT (seconds to wait for the jobs, 300), KEEP=1 keeps the
# temporary folder for inspection.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
paths=${PATHS:-4000}
horizon=${HORIZON:-10}
tasks=${TASKS:-4}
timeout=${TIMEOUT:-300}
scenario=$repo/scenarios/jilin-zhejiang.toml
started_at=$SECONDS

say() { echo "slurm: $*"; }
fail() {
  echo "slurm: FAILED: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || fail "run as root (it starts munged, slurmctld and slurmd)"

# Nothing from a surrounding job may steer the runs or the clients.
for v in "${!SLURM_@}" "${!SBATCH_@}" "${!SQUEUE_@}" JOB_COMPLETION_INDEX ENCLAVE_SBATCH ENCLAVE_THREADS; do
  unset "$v"
done

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (Debian packages)"
  apt_log=$(mktemp /tmp/enclave-slurm-apt.XXXXXX)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge; } >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    fail "could not install slurm-wlm and munge"
  fi
  rm -f "$apt_log"
fi

enclave=${ENCLAVE:-${CARGO_TARGET_DIR:-$repo/target}/release/enclave}
if [[ ! -x $enclave ]]; then
  say "building $enclave"
  (cd "$repo" && cargo build --release --quiet)
fi
[[ -x $enclave ]] || fail "no enclave binary at $enclave"
enclave=$(cd "$(dirname "$enclave")" && pwd)/$(basename "$enclave")

work=$(mktemp -d /tmp/enclave-slurm.XXXXXX)
chmod 700 "$work"
daemons=() # "name:pid", in the order started
conf=$work/slurm.conf

# Cancels our jobs (only this cluster's: SLURM_CONF points at it), stops the
# daemons we started, newest first, and removes the folder.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -f $conf ]] && ((${#daemons[@]} > 0)); then
    SLURM_CONF=$conf timeout 10 scancel --quiet --user=root >/dev/null 2>&1 || true
    # Give the job steps a moment to end before their slurmd goes.
    for _ in $(seq 20); do
      [[ -z $(SLURM_CONF=$conf timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  local i entry pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    entry=${daemons[i]}
    pid=${entry#*:}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm: ${entry%%:*} (pid $pid) did not stop on SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "slurm: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints what explains a failure (the jobs' output, the daemons' last log lines,
# without the noise of MPI plugins this test does not use), then fails.
fail_with_logs() {
  echo "slurm: FAILED: $*" >&2
  local f
  for f in "$work"/logs/* "$work"/log/*.log; do
    [[ -s $f ]] || continue
    echo "---- ${f#"$work"/} (last lines)" >&2
    grep -v -e pmix -e 'MPI:' "$f" | tail -n 12 >&2
  done
  exit 1
}

# A TCP port no socket here uses (in any state), from /proc/net/tcp{,6}.
used_ports() {
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR > 1 { split($2, a, ":"); print a[2] }' | sort -u
}
free_port() {
  local used port hex
  used=$(used_ports)
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    printf -v hex '%04X' "$port"
    if ! grep -qx "$hex" <<<"$used" && [[ $port != "${1:-}" ]]; then
      echo "$port"
      return
    fi
  done
  fail "no free TCP port found"
}

node=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
ctld_port=$(free_port)
slurmd_port=$(free_port "$ctld_port")
mkdir -p "$work"/{munge,state,spool,log,logs,run}
chmod 700 "$work/munge"

# munge: a key of our own and a socket of our own, so that a munged already
# running here (or its key) is neither used nor disturbed.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --foreground --force --socket="$socket" --key-file="$work/munge/munge.key" \
  --log-file="$work/log/munged.log" --pid-file="$work/munge/munged.pid" \
  --seed-file="$work/munge/munged.seed" >"$work/log/munged.out" 2>&1 &
daemons+=("munged:$!")
for _ in $(seq 50); do
  [[ -S $socket ]] && break
  sleep 0.1
done
munge -n -S "$socket" | unmunge -S "$socket" >/dev/null 2>&1 ||
  fail_with_logs "munged did not start (socket $socket)"

cat >"$conf" <<EOF
# One-node Slurm for deploy/slurm/local-cluster.sh (temporary).
ClusterName=enclave-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd or cgroups needed (containers often have neither).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# The node as configured here, whatever slurmd detects (no drain on a mismatch).
SlurmdParameters=config_overrides
ReturnToService=2
# Finished jobs stay visible to scontrol for the checks below.
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf

slurmctld -D -c -f "$conf" >"$work/log/slurmctld.out" 2>&1 &
daemons+=("slurmctld:$!")
slurmd -D -f "$conf" -N "$node" >"$work/log/slurmd.out" 2>&1 &
daemons+=("slurmd:$!")

# Wait for the node to be idle (resume it once if it comes up down or drained).
state=
resumed=0
for _ in $(seq 120); do
  for entry in "${daemons[@]}"; do
    kill -0 "${entry#*:}" 2>/dev/null || fail_with_logs "${entry%%:*} exited"
  done
  state=$(timeout 5 sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
  case $state in
    idle) break ;;
    down* | drain* | fail*)
      if ((resumed == 0)); then
        scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
        resumed=1
      fi
      ;;
  esac
  sleep 0.5
done
[[ $state == idle ]] || fail_with_logs "node $node is not idle after 60 s (state: ${state:-unknown})"
say "one node $node ($cpus CPUs), up in $((SECONDS - started_at)) s"

# The pilot, the array of shards and the dependent merge, as a user would submit them.
cd "$work"
ids=$(ENCLAVE=$enclave "$here/submit.sh" --tasks "$tasks" --charts none --logs "$work/logs" \
  "$work/parts" "$work/merged" "$scenario" --paths "$paths" --horizon "$horizon") ||
  fail_with_logs "submit.sh failed"
read -r pilot array merge <<<"$ids"
say "submitted pilot $pilot, array $array ($tasks shards of $paths paths, horizon $horizon, afterok:$pilot) and merge $merge (afterok:$array)"

submitted=$SECONDS
while [[ -n $(timeout 5 squeue -h -o %i 2>/dev/null || echo busy) ]]; do
  ((SECONDS - submitted < timeout)) || fail_with_logs "jobs not finished after $timeout s: $(squeue -h -o '%i %T %r' | tr '\n' ';')"
  for entry in "${daemons[@]}"; do
    kill -0 "${entry#*:}" 2>/dev/null || fail_with_logs "${entry%%:*} exited while the jobs ran"
  done
  sleep 1
done

# Every task and the merge must have completed with exit code 0.
states=$(scontrol -o show job "$pilot" 2>/dev/null; scontrol -o show job "$array" 2>/dev/null; scontrol -o show job "$merge" 2>/dev/null) || true
completed=$(grep -c 'JobState=COMPLETED .*ExitCode=0:0' <<<"$states" || true)
if ((completed != tasks + 2)); then
  fail_with_logs "expected $((tasks + 2)) jobs completed with exit code 0, got $completed:
$(awk '{ printf " "; for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayTaskId|JobState|ExitCode)=/) printf " %s", $i; print "" }' <<<"$states")"
fi
say "the pilot, $tasks shards and the merge completed in $((SECONDS - submitted)) s"

# The same run, unsharded, on this machine.
"$enclave" run "$scenario" --shard none --out "$work/single" --paths "$paths" \
  --horizon "$horizon" --charts none --quiet || fail "the unsharded run failed"
id=$(basename "$scenario" .toml)
[[ -d $work/merged/$id ]] || fail_with_logs "the merge wrote no $work/merged/$id"
[[ -s $work/parts/$id.partial/pilot.json ]] || fail_with_logs "the pilot wrote no $work/parts/$id.partial/pilot.json"
for f in summary.csv timeseries.csv distribution.csv fairness.csv; do
  [[ -s $work/single/$id/$f ]] || fail "the unsharded run wrote no $f"
  cmp "$work/single/$id/$f" "$work/merged/$id/$f" >&2 || fail "merged $f differs from the unsharded run's"
done
say "merged summary.csv, timeseries.csv, distribution.csv, fairness.csv identical to the unsharded run"
say "ok in $((SECONDS - started_at)) s"
