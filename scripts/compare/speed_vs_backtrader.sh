#!/usr/bin/env bash
# Times TradPal's two engines and backtrader on the same bars and strategy, one after the other
# on this machine, and prints the ratios (docs/BENCHMARKS.md, "Backtests").
#
#   scripts/compare/speed_vs_backtrader.sh BACKTRADER_SRC BARS.csv [RUNS] [strategy param=value ...]
#
# TradPal is timed inside the process (the backtest only, as backtrader's cerebro.run is) over
# RUNS runs (default 5), median; backtrader runs once. Both read the same CSV file first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bt_src="$1"
bars="$2"
runs="${3:-5}"
shift $(($# < 3 ? $# : 3))
strategy="${1:-sma_cross}"
[ $# -gt 0 ] && shift
args=()
for p in "$@"; do args+=(--param "$p"); done
tradpal="${TRADPAL:-$root/build/tradpal}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for engine in event vectorized; do
    for _ in $(seq "$runs"); do
        "$tradpal" --json backtest --input "$bars" --strategy "$strategy" "${args[@]}" \
            --engine "$engine" --timing > "$work/run.json"
        /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timing"]["backtest_s"])' \
            "$work/run.json"
    done | median > "$work/$engine.s"
done
PYTHONPATH="$bt_src" /usr/bin/python3 "$here/backtrader_reference.py" --input "$bars" \
    --strategy "$strategy" "${args[@]}" --trades-out "$work/t.csv" --equity-out "$work/e.csv" \
    --json-out "$work/s.json" 2> "$work/bt.txt"
bt_run=$(sed -n 's/.*cerebro.run \([0-9.]*\) s.*/\1/p' "$work/bt.txt")
cat "$work/bt.txt"
event=$(cat "$work/event.s")
vectorized=$(cat "$work/vectorized.s")
awk -v e="$event" -v v="$vectorized" -v b="$bt_run" 'BEGIN {
    printf "%-28s %12s %10s\n", "engine", "seconds", "vs bt";
    printf "%-28s %12.4f %9.0fx\n", "TradPal event-driven", e, b / e;
    printf "%-28s %12.4f %9.0fx\n", "TradPal vectorized", v, b / v;
    printf "%-28s %12.2f %9s\n", "backtrader cerebro.run", b, "1x";
}'
