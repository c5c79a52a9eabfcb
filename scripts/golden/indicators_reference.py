# SPDX-License-Identifier: Apache-2.0
# Made by: /usr/bin/python3 scripts/golden/indicators_reference.py (textbook loops, math.fsum sums, exact Fraction variances) on the first 1000 bars of ../shared/oracle/talib/visible_gbm_5000.csv; checked: building blocks vs TA-Lib 0.6.4's files, indicators vs pandas rolling forms, properties and hand examples (see below), all before any file is written.
"""Independent reference implementation of TradPal's "extra" indicators (those TA-Lib lacks).

Writes testdata/golden/indicators/<stem>.csv, the golden files of
modules/indicators/tests/golden_test.cpp, for the first 1000 bars of the TA-Lib oracle input
(`timestamp,open,high,low,close,volume`, unix seconds 60 s apart from 2021-01-01 00:00 UTC):

    vwap_14.csv  vwap_session_1440.csv  supertrend_10_3.csv  keltner_20_2_10.csv
    donchian_20.csv  hma_9.csv  zscore_20.csv  ichimoku_9_26_52.csv
    vwap_session_60.csv   (extra: hourly sessions, so that the file crosses 16 session
                           boundaries; read by modules/indicators/tests/extra_test.cpp)

Format as TA-Lib's golden files: header `timestamp,<outputs>` (one output: the indicator's name),
one row per bar, an empty cell before the first value, values written with repr() (shortest
round-trip text, so std::from_chars reads back the exact doubles).

Written straight from the textbook definitions, not from the C++ code: every window value is
recomputed from its window (plain loops, math.fsum for sums, Fraction-exact population variance
through statistics.pvariance), recursive ones (EMA, Wilder ATR, Supertrend) are plain loops over
the bars. Definitions (the same as documented in extra.hpp):

- tp = (high + low + close) / 3.
- vwap(p): sum(tp*v)/sum(v) over bars t-p+1..t; if sum(v) == 0, mean(tp) over the window.
  First value at bar p-1.
- vwap_session(m): the same over the bars of the current session so far, a session being
  [k*m, (k+1)*m) minutes since the epoch (UTC); mean(tp) while the session has no volume. First
  value at bar 0.
- ATR(n) (TA-Lib): TR[t] = max(h-l, |h-c[t-1]|, |l-c[t-1]|) for t >= 1; ATR[n] = mean(TR[1..n]);
  ATR[t] = (ATR[t-1]*(n-1) + TR[t]) / n.
- supertrend(n, m) (TradingView's ta.supertrend, direction +1 long / -1 short): hl2 +/- m*ATR(n)
  basic bands; final upper = basic upper if basic upper < previous final upper or previous close >
  previous final upper, else previous final upper (lower band mirrored); the first bar (bar n) takes
  the basic bands and starts short; short -> long when close > final upper, long -> short when
  close < final lower; the line is the final lower band when long, the final upper when short.
- keltner(p, m, a): middle = EMA(close, p) seeded with the mean of the first p closes
  (prev + (x - prev) * 2/(p+1)), upper/lower = middle +/- m*ATR(a). First value at max(p-1, a).
- donchian(p): max(high), (max + min)/2, min(low) over bars t-p+1..t. First value at p-1.
- hma(n): WMA(2*WMA(close, n//2) - WMA(close, n), isqrt(n)), WMA weights 1..k (newest k).
  First value at (n-1) + (isqrt(n)-1).
- zscore(p): (close - mean)/pstdev over the last p closes; 0 when the window's variance is 0.
  First value at p-1.
- ichimoku(t, k, s): tenkan/kijun = (max(high) + min(low))/2 over t/k bars; senkou_a[i] =
  (tenkan + kijun)/2 at bar i-k; senkou_b[i] = the midpoint over s bars at bar i-k. No chikou
  (it is the close shifted back, not information at bar i). All four columns start at the one
  lookback max(t, k, s) - 1 + k = 77 (the registry gives a multi-output indicator one lookback,
  as TA-Lib does), so tenkan/kijun/senkou_a are blanked before it.

Checks run before writing (the script stops with an error if one fails):
1. Building blocks against TA-Lib 0.6.4's reference files on all 5000 bars (same folder as the
   input): ATR(14) vs atr_14.csv, EMA(20) vs ema_20.csv, WMA(20) vs wma_20.csv, typical price vs
   typprice.csv, the window midpoint vs midprice_14.csv, the rolling max vs max_20.csv (close),
   to 1e-9 relative; population stddev(20) vs stddev_20_1.csv to 1e-6 relative (TA-Lib uses
   running sums E[x^2]-E[x]^2, accurate to ~1e-8 here).
2. Each indicator against a second, vectorised form with pandas rolling windows / numpy
   (vwap, vwap_session via groupby-cumsum, donchian, ichimoku via shift, zscore via
   rolling std(ddof=0), hma via rolling apply with np.dot) to 1e-9 relative.
3. Properties on the 1000 bars: donchian upper >= high >= low >= lower and lower <= middle <=
   upper; vwap between the window's lowest low and highest high; vwap_session within the
   session's range; keltner upper >= middle >= lower; supertrend: direction in {-1, +1}, the
   line is the final lower band when long and the upper when short, long => close >= line,
   short => close <= line, the direction flips exactly when the close crosses the band of its
   side (short->long iff close > final upper, long->short iff close < final lower), the final
   upper band never rises unless the previous close was above it (lower band mirrored), and
   there are flips at all (>= 5); ichimoku senkou_a equals the tenkan/kijun midpoint kijun bars
   earlier.
4. Hand examples (the same as in modules/indicators/tests/extra_test.cpp): hma(9) of a linear
   ramp equals the ramp from its lookback on; zscore of a constant series is 0; zscore of
   [1, 2, 3] (p = 3) is sqrt(3/2); vwap(2) of two bars with tp 10 (v 1) and 13 (v 2) is 12;
   zero volume gives the mean tp; vwap_session restarts at a session boundary; donchian of a
   small series; the ATR seed of a small series.
"""

import argparse
import csv
import math
import os
import statistics
import sys

import numpy as np
import pandas as pd

BARS = 1000
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_INPUT = "../shared/oracle/talib/visible_gbm_5000.csv"
DEFAULT_OUT = "testdata/golden/indicators"


# ---------------------------------------------------------------- input

def read_bars(path):
    ts, o, h, l, c, v = [], [], [], [], [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["timestamp", "open", "high", "low", "close", "volume"]:
            raise SystemExit(f"{path}: unexpected header {header}")
        for row in reader:
            ts.append(int(row[0]))
            o.append(float(row[1]))
            h.append(float(row[2]))
            l.append(float(row[3]))
            c.append(float(row[4]))
            v.append(float(row[5]))
    return {"ts": ts, "open": o, "high": h, "low": l, "close": c, "volume": v}


def head(bars, n):
    return {k: col[:n] for k, col in bars.items()}


# ---------------------------------------------------------------- textbook definitions

def typical(h, l, c):
    return [(h[i] + l[i] + c[i]) / 3.0 for i in range(len(c))]


def vwap(h, l, c, v, p):
    tp = typical(h, l, c)
    out = [None] * len(c)
    for t in range(p - 1, len(c)):
        w = range(t - p + 1, t + 1)
        vol = math.fsum(v[i] for i in w)
        if vol > 0:
            out[t] = math.fsum(tp[i] * v[i] for i in w) / vol
        else:
            out[t] = math.fsum(tp[i] for i in w) / p
    return out


def vwap_session(ts, h, l, c, v, minutes):
    """ts in unix seconds."""
    tp = typical(h, l, c)
    out = [None] * len(c)
    start = 0
    for t in range(len(c)):
        if t > 0 and ts[t] // (minutes * 60) != ts[t - 1] // (minutes * 60):
            start = t
        w = range(start, t + 1)
        vol = math.fsum(v[i] for i in w)
        if vol > 0:
            out[t] = math.fsum(tp[i] * v[i] for i in w) / vol
        else:
            out[t] = math.fsum(tp[i] for i in w) / len(w)
    return out


def true_range(h, l, c):
    tr = [None] * len(c)
    for t in range(1, len(c)):
        tr[t] = max(h[t] - l[t], abs(h[t] - c[t - 1]), abs(l[t] - c[t - 1]))
    return tr


def atr(h, l, c, n):
    tr = true_range(h, l, c)
    out = [None] * len(c)
    if len(c) <= n:
        return out
    out[n] = math.fsum(tr[1:n + 1]) / n
    for t in range(n + 1, len(c)):
        out[t] = (out[t - 1] * (n - 1) + tr[t]) / n
    return out


def ema(x, p):
    out = [None] * len(x)
    if len(x) < p:
        return out
    k = 2.0 / (p + 1)
    out[p - 1] = math.fsum(x[:p]) / p
    for t in range(p, len(x)):
        out[t] = out[t - 1] + (x[t] - out[t - 1]) * k
    return out


def supertrend(h, l, c, n, m):
    return supertrend_bands(h, l, c, n, m)[:2]


def supertrend_bands(h, l, c, n, m):
    """Line, direction, final upper band, final lower band."""
    a = atr(h, l, c, n)
    line = [None] * len(c)
    direction = [None] * len(c)
    bands_up, bands_lo = [None] * len(c), [None] * len(c)
    upper = lower = None
    d = None
    for t in range(n, len(c)):
        hl2 = (h[t] + l[t]) / 2.0
        bu = hl2 + m * a[t]
        bl = hl2 - m * a[t]
        if t == n:
            upper, lower, d = bu, bl, -1.0
        else:
            upper = bu if (bu < upper or c[t - 1] > upper) else upper
            lower = bl if (bl > lower or c[t - 1] < lower) else lower
            if d < 0:
                d = 1.0 if c[t] > upper else -1.0
            else:
                d = -1.0 if c[t] < lower else 1.0
        line[t] = lower if d > 0 else upper
        direction[t] = d
        bands_up[t], bands_lo[t] = upper, lower
    return line, direction, bands_up, bands_lo


def keltner(h, l, c, p, m, a_period):
    mid = ema(c, p)
    a = atr(h, l, c, a_period)
    first = max(p - 1, a_period)
    up, md, lo = [None] * len(c), [None] * len(c), [None] * len(c)
    for t in range(first, len(c)):
        md[t] = mid[t]
        up[t] = mid[t] + m * a[t]
        lo[t] = mid[t] - m * a[t]
    return up, md, lo


def rolling_max(x, p):
    return [None if t < p - 1 else max(x[t - p + 1:t + 1]) for t in range(len(x))]


def rolling_min(x, p):
    return [None if t < p - 1 else min(x[t - p + 1:t + 1]) for t in range(len(x))]


def midpoint(h, l, p):
    hi, lo = rolling_max(h, p), rolling_min(l, p)
    return [None if hi[t] is None else (hi[t] + lo[t]) / 2.0 for t in range(len(h))]


def donchian(h, l, p):
    hi, lo = rolling_max(h, p), rolling_min(l, p)
    mid = [None if hi[t] is None else (hi[t] + lo[t]) / 2.0 for t in range(len(h))]
    return hi, mid, lo


def wma(x, k):
    """Weights 1..k, the newest value weighing k; None where the window is incomplete."""
    out = [None] * len(x)
    denom = k * (k + 1) / 2.0
    for t in range(k - 1, len(x)):
        w = x[t - k + 1:t + 1]
        if any(v is None for v in w):
            continue
        out[t] = math.fsum((j + 1) * w[j] for j in range(k)) / denom
    return out


def hma(x, n):
    half, full = wma(x, n // 2), wma(x, n)
    raw = [None if (half[t] is None or full[t] is None) else 2.0 * half[t] - full[t]
           for t in range(len(x))]
    return wma(raw, math.isqrt(n))


def zscore(x, p):
    out = [None] * len(x)
    for t in range(p - 1, len(x)):
        w = x[t - p + 1:t + 1]
        var = statistics.pvariance(w)  # exact (Fractions), then rounded
        if var == 0:
            out[t] = 0.0
        else:
            mean = statistics.fmean(w)
            out[t] = (x[t] - mean) / math.sqrt(var)
    return out


def ichimoku_raw(h, l, tk, kj, sk):
    """Textbook values, each from its first computable bar."""
    tenkan, kijun, spanb_now = midpoint(h, l, tk), midpoint(h, l, kj), midpoint(h, l, sk)
    n = len(h)
    spana_now = [None if (tenkan[t] is None or kijun[t] is None)
                 else (tenkan[t] + kijun[t]) / 2.0 for t in range(n)]
    senkou_a = [spana_now[t - kj] if t >= kj else None for t in range(n)]
    senkou_b = [spanb_now[t - kj] if t >= kj else None for t in range(n)]
    return tenkan, kijun, senkou_a, senkou_b


def ichimoku(h, l, tk, kj, sk):
    lookback = max(tk, kj, sk) - 1 + kj
    return [[None if t < lookback else col[t] for t in range(len(h))]
            for col in ichimoku_raw(h, l, tk, kj, sk)]


def compute_all(b):
    h, l, c, v, ts = b["high"], b["low"], b["close"], b["volume"], b["ts"]
    return {
        "vwap_14": {"vwap": vwap(h, l, c, v, 14)},
        "vwap_session_1440": {"vwap_session": vwap_session(ts, h, l, c, v, 1440)},
        "vwap_session_60": {"vwap_session": vwap_session(ts, h, l, c, v, 60)},
        "supertrend_10_3": dict(zip(["supertrend", "direction"], supertrend(h, l, c, 10, 3.0))),
        "keltner_20_2_10": dict(zip(["upper", "middle", "lower"], keltner(h, l, c, 20, 2.0, 10))),
        "donchian_20": dict(zip(["upper", "middle", "lower"], donchian(h, l, 20))),
        "hma_9": {"hma": hma(c, 9)},
        "zscore_20": {"zscore": zscore(c, 20)},
        "ichimoku_9_26_52": dict(zip(["tenkan", "kijun", "senkou_a", "senkou_b"],
                                     ichimoku(h, l, 9, 26, 52))),
    }


# ---------------------------------------------------------------- checks

FAILURES = []


def check(ok, what):
    if not ok:
        FAILURES.append(what)


def close_enough(a, b, tol):
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) and \
               (b is None or (isinstance(b, float) and math.isnan(b)))
    return abs(a - b) <= tol * max(1.0, abs(b))


def compare(name, ours, ref, tol):
    bad = [i for i in range(len(ref)) if not close_enough(ours[i], ref[i], tol)]
    check(not bad, f"{name}: {len(bad)} rows differ, first {bad[:3]}"
                   f" ({[ours[i] for i in bad[:1]]} vs {[ref[i] for i in bad[:1]]})")


def read_talib(folder, stem):
    df = pd.read_csv(os.path.join(folder, stem + ".csv"), float_precision="round_trip")
    return [None if math.isnan(x) else float(x) for x in df.iloc[:, 1]]


def check_building_blocks(bars, folder):
    h, l, c = bars["high"], bars["low"], bars["close"]
    compare("ATR(14) vs TA-Lib", atr(h, l, c, 14), read_talib(folder, "atr_14"), 1e-9)
    compare("EMA(20) vs TA-Lib", ema(c, 20), read_talib(folder, "ema_20"), 1e-9)
    compare("WMA(20) vs TA-Lib", wma(c, 20), read_talib(folder, "wma_20"), 1e-9)
    compare("typical price vs TA-Lib", typical(h, l, c), read_talib(folder, "typprice"), 1e-12)
    compare("midpoint(14) vs TA-Lib MIDPRICE", midpoint(h, l, 14),
            read_talib(folder, "midprice_14"), 1e-12)
    compare("rolling max(20) vs TA-Lib MAX", rolling_max(c, 20), read_talib(folder, "max_20"), 0)
    sd = [None] * len(c)
    for t in range(19, len(c)):
        sd[t] = statistics.pstdev(c[t - 19:t + 1])
    compare("pstdev(20) vs TA-Lib STDDEV", sd, read_talib(folder, "stddev_20_1"), 1e-6)


def as_list(series):
    return [None if (x is None or (isinstance(x, float) and math.isnan(x))) else float(x)
            for x in series]


def check_against_pandas(b, res):
    df = pd.DataFrame({k: b[k] for k in ("ts", "high", "low", "close", "volume")})
    tp = (df.high + df.low + df.close) / 3.0
    pv = tp * df.volume
    vol = df.volume.rolling(14).sum()
    vw = (pv.rolling(14).sum() / vol).where(vol > 0, tp.rolling(14).mean())
    compare("vwap(14) vs pandas", res["vwap_14"]["vwap"], as_list(vw), 1e-9)
    for minutes in (1440, 60):
        session = df.ts // (minutes * 60)
        cv = df.volume.groupby(session).cumsum()
        sv = (pv.groupby(session).cumsum() / cv).where(
            cv > 0, tp.groupby(session).cumsum() / (tp.groupby(session).cumcount() + 1))
        compare(f"vwap_session({minutes}) vs pandas",
                res[f"vwap_session_{minutes}"]["vwap_session"], as_list(sv), 1e-9)
    hi, lo = df.high.rolling(20).max(), df.low.rolling(20).min()
    dc = res["donchian_20"]
    compare("donchian upper vs pandas", dc["upper"], as_list(hi), 0)
    compare("donchian lower vs pandas", dc["lower"], as_list(lo), 0)
    compare("donchian middle vs pandas", dc["middle"], as_list((hi + lo) / 2), 0)
    mean, sd = df.close.rolling(20).mean(), df.close.rolling(20).std(ddof=0)
    z = ((df.close - mean) / sd).where(sd > 0, 0.0).where(sd.notna())
    compare("zscore(20) vs pandas", res["zscore_20"]["zscore"], as_list(z), 1e-6)

    def np_wma(s, k):
        w = np.arange(1, k + 1, dtype=float)
        return s.rolling(k).apply(lambda a: float(np.dot(a, w) / w.sum()), raw=True)

    hm = np_wma(2 * np_wma(df.close, 4) - np_wma(df.close, 9), 3)
    compare("hma(9) vs pandas", res["hma_9"]["hma"], as_list(hm), 1e-9)
    mid = lambda p: (df.high.rolling(p).max() + df.low.rolling(p).min()) / 2  # noqa: E731
    tenkan, kijun = mid(9), mid(26)
    expected = {"tenkan": tenkan, "kijun": kijun, "senkou_a": ((tenkan + kijun) / 2).shift(26),
                "senkou_b": mid(52).shift(26)}
    for col, s in expected.items():
        s = s.where(df.index >= 77)
        compare(f"ichimoku {col} vs pandas", res["ichimoku_9_26_52"][col], as_list(s), 0)


def check_properties(b, res):
    h, l, c, ts = b["high"], b["low"], b["close"], b["ts"]
    n = len(c)
    dc = res["donchian_20"]
    for t in range(19, n):
        check(dc["upper"][t] >= h[t] >= l[t] >= dc["lower"][t], f"donchian order at {t}")
        check(dc["lower"][t] <= dc["middle"][t] <= dc["upper"][t], f"donchian middle at {t}")
    vw = res["vwap_14"]["vwap"]
    for t in range(13, n):
        check(min(l[t - 13:t + 1]) <= vw[t] <= max(h[t - 13:t + 1]), f"vwap range at {t}")
    for minutes in (1440, 60):
        sv = res[f"vwap_session_{minutes}"]["vwap_session"]
        start = 0
        for t in range(n):
            if t > 0 and ts[t] // (minutes * 60) != ts[t - 1] // (minutes * 60):
                start = t
            check(min(l[start:t + 1]) <= sv[t] <= max(h[start:t + 1]),
                  f"vwap_session({minutes}) range at {t}")
    kc = res["keltner_20_2_10"]
    for t in range(19, n):
        check(kc["upper"][t] >= kc["middle"][t] >= kc["lower"][t], f"keltner order at {t}")
    st = res["supertrend_10_3"]
    line, d = st["supertrend"], st["direction"]
    _, _, upper, lower = supertrend_bands(h, l, c, 10, 3.0)
    flips = 0
    for t in range(10, n):
        check(d[t] in (-1.0, 1.0), f"supertrend direction value at {t}")
        check(line[t] == (lower[t] if d[t] > 0 else upper[t]), f"supertrend line at {t}")
        if d[t] > 0:
            check(c[t] >= line[t], f"supertrend long with close below the line at {t}")
        else:
            check(c[t] <= line[t], f"supertrend short with close above the line at {t}")
        if t > 10:
            check(upper[t] <= upper[t - 1] or c[t - 1] > upper[t - 1],
                  f"supertrend upper band rose without a close above it at {t}")
            check(lower[t] >= lower[t - 1] or c[t - 1] < lower[t - 1],
                  f"supertrend lower band fell without a close below it at {t}")
            if d[t] != d[t - 1]:
                flips += 1
                check(c[t] > upper[t] if d[t] > 0 else c[t] < lower[t],
                      f"supertrend flip without the close crossing the band at {t}")
            else:
                check(c[t] <= upper[t] if d[t] < 0 else c[t] >= lower[t],
                      f"supertrend kept its side although the close crossed the band at {t}")
    check(flips >= 5, f"supertrend: only {flips} flips in {n} bars")
    ich = res["ichimoku_9_26_52"]
    raw = ichimoku_raw(b["high"], b["low"], 9, 26, 52)
    for t in range(77, n):
        check(ich["senkou_a"][t] == (raw[0][t - 26] + raw[1][t - 26]) / 2.0,
              f"ichimoku senkou_a displacement at {t}")


def check_hand_examples():
    ramp = [100.0 + 0.5 * i for i in range(40)]
    out = hma(ramp, 9)
    check(all(out[t] is None for t in range(10)), "hma(9) lookback on a ramp")
    check(all(abs(out[t] - ramp[t]) < 1e-12 for t in range(10, 40)), "hma(9) of a ramp")
    check(all(z == 0.0 for z in zscore([7.25] * 30, 20)[19:]), "zscore of a constant")
    check(abs(zscore([1.0, 2.0, 3.0], 3)[2] - math.sqrt(1.5)) < 1e-15, "zscore of 1,2,3")
    h, l, c, v = [11.0, 14.0], [9.0, 12.0], [10.0, 13.0], [1.0, 2.0]
    check(vwap(h, l, c, v, 2)[1] == 12.0, "vwap of two bars")
    check(vwap(h, l, c, [0.0, 0.0], 2)[1] == 11.5, "vwap with zero volume")
    # Two 60-minute sessions: bars at 00:00, 00:30 | 01:00, 01:30.
    ts = [0, 1800, 3600, 5400]
    sv = vwap_session(ts, [11.0, 14.0, 21.0, 24.0], [9.0, 12.0, 19.0, 22.0],
                      [10.0, 13.0, 20.0, 23.0], [1.0, 2.0, 3.0, 0.0], 60)
    check(sv == [10.0, 12.0, 20.0, 20.0], f"vwap_session across a boundary: {sv}")
    up, mid, lo = donchian([3.0, 5.0, 4.0, 2.0], [1.0, 2.0, 0.5, 1.5], 3)
    check(up[2:] == [5.0, 5.0] and lo[2:] == [0.5, 0.5] and mid[2:] == [2.75, 2.75],
          "donchian small example")
    a = atr([10.0, 12.0, 11.0, 13.0], [9.0, 10.0, 8.0, 12.0], [9.5, 11.0, 10.0, 12.5], 2)
    # TR: bar1 max(2, 2.5, 0.5) = 2.5; bar2 max(3, 0, 3) = 3; bar3 max(1, 3, 2) = 3.
    check(a[2] == 2.75 and a[3] == (2.75 + 3.0) / 2, f"atr small example: {a}")


# ---------------------------------------------------------------- output

def write_csv(path, ts, columns):
    with open(path, "w", newline="") as f:
        f.write("timestamp," + ",".join(columns.keys()) + "\n")
        cols = list(columns.values())
        for i, t in enumerate(ts):
            cells = ["" if col[i] is None else repr(float(col[i])) for col in cols]
            f.write(f"{t}," + ",".join(cells) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", nargs="?", default=DEFAULT_INPUT,
                    help="bars CSV, relative to the repository root (default: %(default)s)")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output folder, relative to the repository root (default: %(default)s)")
    args = ap.parse_args()
    path = os.path.join(REPO, args.input)
    out_dir = os.path.join(REPO, args.out)

    bars = read_bars(path)
    check_building_blocks(bars, os.path.join(os.path.dirname(path), "visible_gbm_5000"))
    b = head(bars, BARS)
    res = compute_all(b)
    check_against_pandas(b, res)
    check_properties(b, res)
    check_hand_examples()
    if FAILURES:
        for f in FAILURES[:30]:
            print("FAILED:", f, file=sys.stderr)
        raise SystemExit(f"{len(FAILURES)} checks failed; nothing written")

    os.makedirs(out_dir, exist_ok=True)
    for stem, columns in res.items():
        write_csv(os.path.join(out_dir, stem + ".csv"), b["ts"], columns)
    print(f"all checks passed; wrote {len(res)} files for {BARS} bars to {out_dir}")


if __name__ == "__main__":
    main()
