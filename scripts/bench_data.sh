#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the data-module figures of docs/BENCHMARKS.md, measured side by side in one run:
# CSV import (one core and all cores) against pandas.read_csv on the same 10M-row file, peak RSS
# of import / validate / resample, and opening a 10M-bar series to sum its closes.
#
#   scripts/bench_data.sh [ROWS] [REPETITIONS]      (defaults: 10000000 3; medians are reported)
#
# Needs a Release build (scripts/setup.sh) and Debian's python3-pandas (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
reps=${2:-3}
tradpal=build/tradpal
bench=build/modules/data/tradpal_data_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store="$work/store"
csv="$work/bars.csv"

calc() { awk "BEGIN { print $* }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Runs a command under GNU time; appends "seconds rss_kib" to the file named by $1.
timed() {
  local out=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null
  cat "$work/time.txt" >>"$out"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "making $rows synthetic 1m bars and exporting them as CSV..."
"$tradpal" -q --store "$store" data generate --symbol SYN/USD --timeframe 1m --bars "$rows" --seed 42 >/dev/null
"$tradpal" -q --store "$store" data export SYN/USD -t 1m --out "$csv" >/dev/null
bytes=$(stat -c %s "$csv")
echo "CSV: $bytes bytes ($(head -2 "$csv" | tail -1))"

for i in $(seq "$reps"); do
  cat "$csv" >/dev/null  # warm page cache for every contestant alike
  timed "$work/one.txt" "$tradpal" -q --store "$store" --workers 1 data import "$csv" -s ONE -t 1m --replace
  timed "$work/all.txt" "$tradpal" -q --store "$store" data import "$csv" -s ALL -t 1m --replace
  timed "$work/pandas.txt" /usr/bin/python3 -c "import pandas, sys; pandas.read_csv(sys.argv[1])" "$csv"
  timed "$work/validate.txt" "$tradpal" -q --store "$store" data validate ALL -t 1m
  timed "$work/resample.txt" "$tradpal" -q --store "$store" data resample ALL --from 1m --to 1h --force
  echo "  repetition $i done"
done

report() {  # name file
  local s r
  s=$(cut -d' ' -f1 "$2" | median)
  r=$(cut -d' ' -f2 "$2" | median)
  printf "| %-34s | %8.2f s | %9.0f MB/s | %7.0f MiB |\n" "$1" "$s" "$(calc "$bytes / $s / 1000000")" "$(calc "$r / 1024")"
}
echo
echo "| step ($rows rows, $((bytes / 1000000)) MB CSV, median of $reps) | time | throughput | peak RSS |"
echo "|---|---|---|---|"
report "tradpal data import, 1 thread" "$work/one.txt"
report "tradpal data import, $(nproc) threads" "$work/all.txt"
report "pandas.read_csv (C engine)" "$work/pandas.txt"
report "tradpal data validate" "$work/validate.txt"
report "tradpal data resample 1m -> 1h" "$work/resample.txt"
# Ratios are taken within each repetition (the machine's speed drifts between them).
ratio() { paste -d' ' "$work/pandas.txt" "$1" | awk '{print $1 / $3}' | median; }
printf "\nimport vs pandas.read_csv, median of per-repetition ratios: %.1fx (1 thread), %.1fx (%s threads)\n" \
  "$(ratio "$work/one.txt")" "$(ratio "$work/all.txt")" "$(nproc)"
echo "per repetition (pandas s / import s, 1 thread / all threads):"
paste -d' ' "$work/pandas.txt" "$work/one.txt" "$work/all.txt" |
  awk '{printf "  %.2f / %.2f = %.1fx, %.2f / %.2f = %.1fx\n", $1, $3, $1 / $3, $1, $5, $1 / $5}'
if [[ -x $bench ]]; then
  echo
  "$bench" --benchmark_filter='BM_StoreOpenSumClose/10000000' --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true 2>/dev/null | grep -E 'median'
fi
