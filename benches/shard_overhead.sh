#!/usr/bin/env bash
# The cost of running a scenario as a pilot, 4 shards and a merge (six processes)
# against the single run, with the same seed and paths (issue 10: at most 10% more).
#
#   benches/shard_overhead.sh [--paths N] [--rounds R] [--threads T] [--instructions] [SCENARIO]
#
# Each round runs the single run, then `run --pilot`, `run --shard K/4` for K = 1..4
# and `merge`, every process on T threads (default 1) without report or charts, and
# checks that the merged CSV files are the single run's byte for byte. The single
# run goes first in odd rounds, the sharded one in even rounds. It prints
# each round's CPU seconds (user + sys, from /usr/bin/time) and the ratio, then the
# median ratio. CPU time on a shared machine moves by tens of percent between
# rounds; --instructions counts instructions instead (valgrind's cachegrind, one
# round, about 50 times slower), which the machine's load does not change.
# Defaults: the bundled scenario, 10,000 paths, 5 rounds.
set -euo pipefail

paths=10000 rounds=5 threads=1 instructions=0
scenario="$(cd "$(dirname "$0")/.." && pwd)/scenarios/jilin-zhejiang.toml"
while (($#)); do
  case $1 in
    --paths) paths=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --instructions) instructions=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) scenario=$(realpath "$1"); shift ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$root" && cargo build --release --quiet)
bin="$root/target/release/enclave"
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }
if ((instructions)); then
  command -v valgrind >/dev/null || { echo "--instructions needs valgrind" >&2; exit 2; }
  rounds=1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Cost of one process: CPU seconds, or instructions under --instructions.
cost() {
  if ((instructions)); then
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      awk '/I *refs/ { gsub(",", "", $4); print $4 }'
  else
    /usr/bin/time -f "%U %S" -o cpu.txt "$@" >/dev/null
    awk '{ print $1 + $2 }' cpu.txt
  fi
}

common=(--paths "$paths" --threads "$threads" --quiet)
single_run() {
  single=$(cost "$bin" run "$scenario" "${common[@]}" --out single --report none --charts none)
}
sharded_run() {
  sharded=$(cost "$bin" run "$scenario" "${common[@]}" --out parts --pilot)
  for k in 1 2 3 4; do
    x=$(cost "$bin" run "$scenario" "${common[@]}" --out parts --shard "$k/4")
    sharded=$(echo "$sharded + $x" | bc -l)
  done
  x=$(cost "$bin" merge parts --out merged --report none --charts none --quiet)
  sharded=$(echo "$sharded + $x" | bc -l)
}
ratios=()
for round in $(seq "$rounds"); do
  rm -rf single parts merged
  # The two take turns to go first: on this host the first of two runs is often
  # the faster.
  if ((round % 2)); then single_run; sharded_run; else sharded_run; single_run; fi
  for f in single/*/*.csv; do
    cmp -s "$f" "merged/${f#single/}" || { echo "round $round: $f differs from the merged file" >&2; exit 1; }
  done
  ratio=$(echo "scale=4; $sharded / $single" | bc -l)
  ratios+=("$ratio")
  unit=$( ((instructions)) && echo "instructions" || echo "CPU s")
  echo "round $round: single $single, pilot + 4 shards + merge $sharded ($unit): ratio $ratio, merged CSVs identical"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median ratio over $rounds round(s): $median ($paths paths, $threads thread(s) a process)"
