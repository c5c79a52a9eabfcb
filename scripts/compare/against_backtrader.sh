#!/usr/bin/env bash
# Runs TradPal and backtrader (scripts/compare/backtrader_reference.py) on the same bars with the
# same strategy and compares the trades and the equity, case by case.
#
#   scripts/compare/against_backtrader.sh BACKTRADER_SRC BARS.csv [CASES_FILE]
#
# BACKTRADER_SRC is a backtrader source tree (the project never ships or downloads it). Each line
# of CASES_FILE is "strategy param=value ..."; without it a built-in list runs: every built-in
# strategy, long-only and long-short, with stops, take-profits and trailing stops.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bt_src="$1"
bars="$2"
cases="${3:-}"
tradpal="${TRADPAL:-$root/build/tradpal}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

default_cases() {
    for s in "sma_cross" "sma_cross ma=ema fast=12 slow=26" "rsi_reversion" "macd_cross" \
             "bollinger_reversion" "donchian_breakout"; do
        echo "$s"
        echo "$s allow_short=true"
        echo "$s stop_loss=0.01"
        echo "$s allow_short=true stop_loss=0.02 take_profit=0.03"
        echo "$s trailing_stop=0.015"
    done
}

failed=0
total=0
while read -r strategy params; do
    [ -z "$strategy" ] && continue
    total=$((total + 1))
    args=()
    for p in $params; do args+=(--param "$p"); done
    "$tradpal" backtest --input "$bars" --strategy "$strategy" "${args[@]}" \
        --trades-out "$work/tp_trades.csv" --equity-out "$work/tp_equity.csv" --json > "$work/tp.json"
    PYTHONPATH="$bt_src" /usr/bin/python3 "$here/backtrader_reference.py" --input "$bars" \
        --strategy "$strategy" "${args[@]}" --quiet \
        --trades-out "$work/bt_trades.csv" --equity-out "$work/bt_equity.csv" --json-out "$work/bt.json"
    if out=$(/usr/bin/python3 "$here/compare_backtests.py" "$work/tp_trades.csv" "$work/bt_trades.csv" \
                 --equity "$work/tp_equity.csv" "$work/bt_equity.csv" 2>&1); then
        echo "same    $strategy $params: $(echo "$out" | tail -1)"
    else
        failed=$((failed + 1))
        echo "DIFFER  $strategy $params"
        echo "$out" | sed 's/^/        /'
    fi
done < <(if [ -n "$cases" ]; then cat "$cases"; else default_cases; fi)
echo "$((total - failed)) of $total cases identical"
[ "$failed" -eq 0 ]
