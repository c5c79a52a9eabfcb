#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the monitor figures of docs/BENCHMARKS.md: what --profile costs a whole command,
# `tradpal backtest` on 1M generated bars run without and with --profile, interleaved, and the
# backtest's own time as the command reports it (--json --timing); then the micro-benchmarks
# (a stage timer, one process sample).
#
#   scripts/bench_monitor.sh [RUNS] [BARS]      (defaults: 5 1000000; medians are reported)
#
# Needs a Release build with benchmarks (cmake --preset release).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bars=${2:-1000000}
tradpal=build/tradpal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store="$work/store"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Runs one backtest; appends "wall_ms backtest_ms" to the file named by $1.
run() {
  local out=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  "$tradpal" --store "$store" "$@" --json backtest --symbol SYN/USD --timing >"$work/run.json" \
    2>/dev/null
  t1=$(date +%s%N)
  local backtest_ms
  backtest_ms=$(/usr/bin/python3 -c \
    'import json,sys; print(json.load(open(sys.argv[1]))["timing"]["backtest_s"] * 1e3)' \
    "$work/run.json")
  echo "$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e6 }') $backtest_ms" >>"$out"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$tradpal" -q --store "$store" data generate --symbol SYN/USD --timeframe 1m --bars "$bars" \
  --seed 42 >/dev/null
run "$work/warmup.txt"  # page cache and the binary's libraries, for both sides alike
for _ in $(seq "$runs"); do
  run "$work/plain.txt"
  run "$work/profile.txt" --profile
done
for side in plain profile; do
  echo "$side: wall ms $(cut -d' ' -f1 "$work/$side.txt" | awk '{printf "%.1f ", $1}')"
  echo "$side: backtest ms $(cut -d' ' -f2 "$work/$side.txt" | awk '{printf "%.2f ", $1}')"
done
wall_plain=$(cut -d' ' -f1 "$work/plain.txt" | median)
wall_profile=$(cut -d' ' -f1 "$work/profile.txt" | median)
bt_plain=$(cut -d' ' -f2 "$work/plain.txt" | median)
bt_profile=$(cut -d' ' -f2 "$work/profile.txt" | median)
awk -v a="$wall_plain" -v b="$wall_profile" -v c="$bt_plain" -v d="$bt_profile" 'BEGIN {
  printf "median wall: %.1f ms without, %.1f ms with --profile (%+.2f%%)\n", a, b, 100 * (b - a) / a
  printf "median backtest stage: %.2f ms without, %.2f ms with --profile (%+.2f%%)\n", c, d,
    100 * (d - c) / c
}'

build/modules/monitor/tradpal_monitor_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_filter='ScopedTimer|ProcessSample|NvmlOpen|ProfiledCommand'
