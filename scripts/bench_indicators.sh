#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the indicator figures of docs/BENCHMARKS.md in one run:
#   1. TradPal's batch indicators on 10M synthetic bars (one core), the 14 back to back,
#      streaming updates, and many symbols on every core (Google Benchmark);
#   2. TA-Lib on the same bars in the same binary, when a TA-Lib source tree is given;
#   3. plain pandas RSI, MACD, BBANDS and ATR on the same bars;
#   4. peak RSS of the 14 indicators over a 20M-bar stored series through `tradpal indicators`.
#
#   scripts/bench_indicators.sh [--talib-src DIR] [--repetitions N]
set -euo pipefail
cd "$(dirname "$0")/.."
talib=""
reps=5
while (($#)); do
  case "$1" in
    --talib-src) talib=$(realpath "$2"); shift ;;
    --repetitions) reps=$2; shift ;;
    *) echo "usage: $0 [--talib-src DIR] [--repetitions N]" >&2; exit 2 ;;
  esac
  shift
done

cmake --preset release -DTRADPAL_TALIB_SRC="$talib" >/dev/null
cmake --build --preset release --target tradpal tradpal_indicators_bench >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo "== TradPal${talib:+ and TA-Lib} (median of $reps)"
build/modules/indicators/tradpal_indicators_bench --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E '_median'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== pandas on the same 10M bars"
build/tradpal -q --store "$work/store" data generate --bars 10000000 --seed 42 >/dev/null
/usr/bin/python3 scripts/bench/pandas_indicators.py "$work/store/synthetic/SYN-USD/1m" 3

echo "== memory: the 14 indicators over a 20M-bar stored series"
build/tradpal -q --store "$work/store" data generate --symbol BIG --bars 20000000 --seed 7 >/dev/null
fourteen="sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2,2,sma),atr(14),adx(14),stoch(5,3,sma,3,sma),obv,cci(14),sar(0.02,0.2),kama(30),stddev(20,1),linearreg(14)"
/usr/bin/time -f "  %e s wall, peak RSS %M KiB" build/tradpal -q --store "$work/store" \
  indicators --symbol BIG --ind "$fourteen" --out /dev/null
