#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Python bindings, measured side by side in one run (docs/BENCHMARKS.md, "Python"):

  1. call overhead: tradpal.indicators.rsi on 1,000 bars (and 20 bars), per call;
  2. 10M-bar indicators from Python (fresh outputs, and out= reusing them as the C++ benchmark
     does) against build/modules/indicators/tradpal_indicators_bench (BM_Batch), interleaved;
  3. the same indicators written in pandas (scripts/bench/pandas_indicators.py) on the same bars.

    PYTHONPATH=build/python /usr/bin/python3 scripts/bench_python.py [--repetitions 5]

Medians of the repetitions; one core for the 10M-bar figures (the C++ benchmark is single-
threaded too).
"""
import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import pandas as pd

import tradpal
from tradpal import indicators as ti

ROOT = Path(__file__).resolve().parents[1]
BARS = 10_000_000

spec = importlib.util.spec_from_file_location("pandas_indicators", ROOT / "scripts/bench/pandas_indicators.py")
pdi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pdi)

# name in BM_Batch, tradpal call, pandas call
CASES = [
    ("rsi(14)", lambda b, o: ti.rsi(b["close"], period=14, out=o), lambda df: pdi.rsi(df["close"])),
    ("macd(12,26,9)", lambda b, o: ti.macd(b["close"], fast=12, slow=26, signal=9, out=o), lambda df: pdi.macd(df["close"])),
    ("bbands(20,2,2,sma)", lambda b, o: ti.bbands(b["close"], period=20, nbdevup=2, nbdevdn=2, out=o), lambda df: pdi.bbands(df["close"])),
    ("atr(14)", lambda b, o: ti.atr(b["high"], b["low"], b["close"], period=14, out=o), lambda df: pdi.atr(df)),
    ("sma(20)", lambda b, o: ti.sma(b["close"], period=20, out=o), lambda df: df["close"].rolling(20).mean()),
    ("ema(20)", lambda b, o: ti.ema(b["close"], period=20, out=o), lambda df: df["close"].ewm(span=20, adjust=False).mean()),
]
OUTPUTS = {"macd(12,26,9)": 3, "bbands(20,2,2,sma)": 3}


def bars(n: int) -> dict:
    rng = np.random.default_rng(42)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, n)))
    spread = close * rng.uniform(0, 2e-3, n)
    return {"close": close, "high": close + spread, "low": close - spread, "volume": rng.uniform(1, 100, n)}


def median_seconds(fn, repetitions: int) -> float:
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cpp_ns_per_bar(bench: Path, name: str, repetitions: int) -> float:
    """Median real time per bar of BM_Batch/<name> (the same 10M-bar size)."""
    pattern = "BM_Batch/" + name.replace("(", r"\(").replace(")", r"\)") + "$"
    done = subprocess.run(
        [str(bench), f"--benchmark_filter={pattern}", f"--benchmark_repetitions={repetitions}",
         "--benchmark_format=json", "--benchmark_report_aggregates_only=true"],
        capture_output=True, text=True, check=True)
    for b in json.loads(done.stdout)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
            return b["real_time"] * scale / BARS
    raise RuntimeError(f"no median for {name} in the benchmark's output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--bench", default=str(ROOT / "build/modules/indicators/tradpal_indicators_bench"))
    args = parser.parse_args()
    reps = args.repetitions
    print(f"tradpal {tradpal.__version__}, numpy {np.__version__}, pandas {pd.__version__}, python {sys.version.split()[0]}")

    # 1. Call overhead.
    rng = np.random.default_rng(1)
    for n in (1_000, 20):
        x = 100 + np.cumsum(rng.normal(0, 1, n))
        calls = 20_000
        per_call = [t / calls for t in timeit.repeat(lambda: ti.rsi(x, period=14), number=calls, repeat=reps)]
        print(f"rsi(14) on {n:,} bars from Python: {statistics.median(per_call) * 1e6:.2f} us per call (median of {reps} x {calls:,} calls)")

    # 2 and 3. 10M bars: C++ benchmark, Python (fresh outputs, out=), pandas.
    b = bars(BARS)
    df = pd.DataFrame(b)
    print(f"\n{'indicator (10M bars)':<22}{'C++ ns/bar':>12}{'Python ns/bar':>15}{'out= ns/bar':>13}{'out= / C++':>12}{'pandas ns/bar':>15}{'pandas / Python':>17}")
    for name, call, pandas_call in CASES:
        count = OUTPUTS.get(name, 1)
        out = tuple(np.empty(BARS) for _ in range(count)) if count > 1 else np.empty(BARS)
        call(b, out)  # warm
        cpp = cpp_ns_per_bar(Path(args.bench), name, reps)
        fresh = median_seconds(lambda: call(b, None), reps) / BARS * 1e9
        reused = median_seconds(lambda: call(b, out), reps) / BARS * 1e9
        cpp_again = cpp_ns_per_bar(Path(args.bench), name, reps)  # before and after: drift shows
        in_pandas = median_seconds(lambda: pandas_call(df), reps) / BARS * 1e9
        cpp_mid = (cpp + cpp_again) / 2
        print(f"{name:<22}{cpp_mid:>12.2f}{fresh:>15.2f}{reused:>13.2f}{reused / cpp_mid:>12.2f}{in_pandas:>15.1f}{in_pandas / fresh:>16.1f}x"
              f"   (C++ before/after {cpp:.2f}/{cpp_again:.2f})")


if __name__ == "__main__":
    main()
