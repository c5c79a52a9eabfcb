# SPDX-License-Identifier: Apache-2.0
"""Plain pandas implementations of RSI(14), MACD(12,26,9), BBANDS(20,2) and ATR(14), timed on a
series from a TradPal store, for comparison with TradPal's indicators on the same bars.

    /usr/bin/python3 scripts/bench/pandas_indicators.py STORE/SOURCE/SYMBOL/TF [REPETITIONS]

Reads the raw column files named by meta.json (no CSV parsing is timed) and prints one line per
indicator: the median of the repetitions in ns per bar.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd


def load(series_dir):
    with open(os.path.join(series_dir, "meta.json")) as f:
        meta = json.load(f)
    rows = meta["rows"]
    cols = {}
    for c in meta["columns"]:
        dtype = np.int64 if c["dtype"] == "int64" else np.float64
        cols[c["name"]] = np.fromfile(os.path.join(series_dir, c["file"]), dtype=dtype, count=rows)
    return pd.DataFrame({k: v for k, v in cols.items() if k != "ts"})


def rsi(close, n=14):
    delta = close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / n, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / n, adjust=False).mean()
    return 100 * gain / (gain + loss)


def macd(close, fast=12, slow=26, signal=9):
    line = close.ewm(span=fast, adjust=False).mean() - close.ewm(span=slow, adjust=False).mean()
    sig = line.ewm(span=signal, adjust=False).mean()
    return line, sig, line - sig


def bbands(close, n=20, k=2.0):
    mid = close.rolling(n).mean()
    sd = close.rolling(n).std(ddof=0)
    return mid + k * sd, mid, mid - k * sd


def atr(df, n=14):
    prev = df["close"].shift(1)
    tr = pd.concat([df["high"] - df["low"], (df["high"] - prev).abs(), (df["low"] - prev).abs()],
                   axis=1).max(axis=1)
    return tr.ewm(alpha=1 / n, adjust=False).mean()


def main():
    series_dir = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = load(series_dir)
    n = len(df)
    cases = {
        "RSI(14)": lambda: rsi(df["close"]),
        "MACD(12,26,9)": lambda: macd(df["close"]),
        "BBANDS(20,2)": lambda: bbands(df["close"]),
        "ATR(14)": lambda: atr(df),
    }
    for name, fn in cases.items():
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        print(f"pandas {name}: {statistics.median(times) / n * 1e9:.2f} ns/bar ({n} bars, median of {reps})")


if __name__ == "__main__":
    main()
