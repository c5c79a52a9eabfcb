#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scaling of `tradpal sweep` with the number of threads (docs/BENCHMARKS.md, "Sweeps"): the
# 890-set and 10,000-set sma_cross grids over 1M synthetic one-minute bars.
#   scripts/bench_sweep.sh [tradpal binary] [threads...]     (default: build/tradpal 1 2)
# Prints one line per run: grid, threads, wall time in ms. Uses a throwaway store in /tmp.
set -euo pipefail
tradpal=${1:-build/tradpal}
shift || true
threads=("$@")
((${#threads[@]} > 0)) || threads=(1 2)
store=$(mktemp -d /tmp/tradpal-scaling.XXXXXX)
trap 'rm -rf "$store"' EXIT
grep -m1 "model name" /proc/cpuinfo || true
echo "cores: $(nproc)"
"$tradpal" --store "$store" -q data generate --bars 1000000 --seed 42 >/dev/null
run() {  # label threads grid...
  local label=$1 workers=$2
  shift 2
  local t0 t1
  t0=$(date +%s%N)
  "$tradpal" --store "$store" --workers "$workers" -q sweep --symbol SYN/USD "$@" --top 3 >/dev/null
  t1=$(date +%s%N)
  echo "$label threads=$workers $(((t1 - t0) / 1000000)) ms"
}
for workers in "${threads[@]}"; do
  run sets=890 "$workers" --grid fast=5:54:1 --grid slow=20:300:15
done
for workers in "${threads[@]}"; do
  run sets=10000 "$workers" --grid fast=5:104:1 --grid slow=105:600:5
done
