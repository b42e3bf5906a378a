#!/usr/bin/env bash
# Submits an enclave run to Slurm as a pilot job (pilot.sbatch: each scenario's
# first 1,024 paths, which fix the quantile grids, computed once), a job array of
# shards (shards.sbatch) that starts once the pilot has succeeded and takes its
# grids, and a merge job (merge.sbatch) that starts once every task has succeeded
# (--dependency=afterok). Prints "PILOT_JOB_ID ARRAY_JOB_ID MERGE_JOB_ID" on stdout.
#
#   submit.sh [--tasks N] [--charts none|png|svg|both] [--logs DIR] [--sweep] PARTS OUT [SCENARIO...] [enclave run flags...]
#
#   --sweep     the input is a sweep file: the jobs run `enclave sweep` (ENCLAVE_COMMAND=sweep)
#   --tasks N   shards, one array task each (default 4)
#   --charts F  chart files the merge draws (default: as the run would, both for a set of
#               at most 5 scenarios, none for a larger one)
#   --logs DIR  where the jobs' output files go (default: the current folder)
#
# Relative paths are taken from the current folder (the jobs start there). Any
# other sbatch option for both jobs goes in ENCLAVE_SBATCH, e.g.
# ENCLAVE_SBATCH="--partition=long --cpus-per-task=4 --time=1:00:00" (each shard then
# runs 4 threads), or in sbatch's own variables (SBATCH_PARTITION, SBATCH_ACCOUNT, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  echo "usage: $0 [--tasks N] [--charts none|png|svg|both] [--logs DIR] [--sweep] PARTS OUT [SCENARIO...] [enclave run flags...]" >&2
  exit 2
}

tasks=4
charts=()
logs=.
while [[ $# -gt 0 ]]; do
  case $1 in
    --tasks) [[ $# -ge 2 ]] || usage; tasks=$2; shift 2 ;;
    --charts) [[ $# -ge 2 ]] || usage; charts=(--charts "$2"); shift 2 ;;
    --logs) [[ $# -ge 2 ]] || usage; logs=$2; shift 2 ;;
    # sbatch passes the environment on (--export=ALL): every job runs `enclave sweep`.
    --sweep) export ENCLAVE_COMMAND=sweep; shift ;;
    -h | --help) usage ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage
[[ $tasks =~ ^[1-9][0-9]*$ ]] || { echo "error: --tasks must be a positive whole number, not '$tasks'" >&2; exit 2; }
parts=$1
out=$2
shift 2
mkdir -p "$logs" "$parts"

# Extra sbatch options for both jobs (word-split on purpose), e.g. --time or --cpus-per-task.
read -r -a extra <<<"${ENCLAVE_SBATCH:-}"

pilot=$(sbatch --parsable "${extra[@]}" \
  --output="$logs/enclave-pilot-%j.out" \
  "$here/pilot.sbatch" "$parts" "$@")
pilot=${pilot%%;*} # --parsable prints "id;cluster" on multi-cluster setups
array=$(sbatch --parsable "${extra[@]}" --array="1-$tasks" \
  --dependency="afterok:$pilot" --kill-on-invalid-dep=yes \
  --output="$logs/enclave-shards-%A_%a.out" \
  "$here/shards.sbatch" "$parts" "$@")
array=${array%%;*} # --parsable prints "id;cluster" on multi-cluster setups
# A merge whose shards did not all succeed can never start: cancel it rather than
# leave it pending (clusters do not all set DependencyParameters=kill_invalid_depend).
merge=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$logs/enclave-merge-%j.out" \
  "$here/merge.sbatch" "$parts" "$out" "${charts[@]}")
merge=${merge%%;*}
echo "$pilot $array $merge"
