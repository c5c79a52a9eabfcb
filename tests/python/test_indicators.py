# SPDX-License-Identifier: Apache-2.0
"""tradpal.indicators and tradpal.talib against TA-Lib's golden files and the CLI."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pandas as pd
import pytest

import tradpal
from tradpal import indicators, talib

from conftest import ROOT, run_cli

TABLE = indicators.table()
MA_NAMES = ("sma", "ema", "wma", "dema", "tema", "trima", "kama", "mama", "t3")


def golden_params(entry: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword parameters of an entry's golden spec, e.g. "bbands(20,2,2,sma)"."""
    text = entry["golden"]
    args = text[text.index("(") + 1 : -1].split(",") if "(" in text else []
    params: Dict[str, Any] = {}
    for info, arg in zip(entry["params"], args):
        arg = arg.strip()
        params[info["name"]] = arg if info["kind"] == "ma" else int(arg) if info["kind"] == "int" else float(arg)
    for info in entry["params"][len(args) :]:
        params[info["name"]] = MA_NAMES[int(info["default"])] if info["kind"] == "ma" else info["default"]
    return params


def file_stem(entry: Dict[str, Any], params: Dict[str, Any]) -> str:
    parts = [entry["name"]]
    for info in entry["params"]:
        v = params[info["name"]]
        parts.append(v if isinstance(v, str) else str(int(v)) if info["kind"] == "int" else f"{v:g}")
    return "_".join(parts)


def read_table(path: Path) -> Tuple[List[str], np.ndarray]:
    df = pd.read_csv(path, float_precision="round_trip")
    return list(df.columns), df.to_numpy(dtype=np.float64)


def inputs_of(entry: Dict[str, Any], bars: pd.DataFrame) -> List[np.ndarray]:
    out = []
    for field in entry["inputs"]:
        if field == "time":
            out.append(np.ascontiguousarray(bars["timestamp"].to_numpy(np.int64) * 1_000_000_000))
        else:
            out.append(np.ascontiguousarray(bars[field].to_numpy(np.float64)))
    return out


def assert_close(ours: np.ndarray, ref: np.ndarray, tolerance: float, what: str) -> None:
    assert ours.shape == ref.shape, what
    both_nan = np.isnan(ours) & np.isnan(ref)
    close = np.abs(ours - ref) <= tolerance * np.maximum(1.0, np.abs(ref))
    bad = np.flatnonzero(~(both_nan | close))
    assert bad.size == 0, f"{what}: {bad.size} rows differ, first at {bad[0]}: ours {ours[bad[0]]!r}, reference {ref[bad[0]]!r}"


def as_tuple(result: Any) -> Tuple[np.ndarray, ...]:
    return result if isinstance(result, tuple) else (result,)


def test_every_registry_indicator_is_a_function() -> None:
    assert len(TABLE) >= 50
    for entry in TABLE:
        assert callable(getattr(indicators, entry["name"]))
        if entry["talib"]:
            assert callable(getattr(talib, entry["name"].upper()))


@pytest.mark.parametrize("entry", TABLE, ids=[e["name"] for e in TABLE])
def test_matches_the_golden_file(entry: Dict[str, Any], oracle_dir: Path) -> None:
    params = golden_params(entry)
    stem = file_stem(entry, params)
    path = oracle_dir / "visible_gbm_5000" / f"{stem}.csv" if entry["talib"] else ROOT / "testdata/golden/indicators" / f"{stem}.csv"
    assert path.exists(), path
    bars = pd.read_csv(oracle_dir / "visible_gbm_5000.csv", float_precision="round_trip")
    header, ref = read_table(path)
    assert header[1:] == entry["outputs"]
    ours = as_tuple(getattr(indicators, entry["name"])(*inputs_of(entry, bars), **params))
    for o, name in enumerate(entry["outputs"]):
        n = ref.shape[0]  # our own golden files may cover a prefix of the input
        assert_close(ours[o][:n], ref[:, o + 1], entry["tolerance"], f"{stem}.{name}")


@pytest.mark.parametrize("entry", [e for e in TABLE if e["talib"]], ids=[e["name"] for e in TABLE if e["talib"]])
def test_talib_alias_gives_the_same_values(entry: Dict[str, Any], bars_csv: Path) -> None:
    bars = pd.read_csv(bars_csv, float_precision="round_trip")
    columns = inputs_of(entry, bars)
    renamed = {"period": "timeperiod", "fast": "fastperiod", "slow": "slowperiod", "signal": "signalperiod", "period1": "timeperiod1", "period2": "timeperiod2", "period3": "timeperiod3"}
    params = golden_params(entry)
    ours = as_tuple(getattr(indicators, entry["name"])(*columns, **params))
    theirs = as_tuple(getattr(talib, entry["name"].upper())(*columns, **{renamed.get(k, k): v for k, v in params.items()}))
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_talib_call_styles() -> None:
    close = np.cumsum(np.random.default_rng(1).normal(0, 1, 500)) + 100
    assert np.array_equal(talib.RSI(close, timeperiod=14), indicators.rsi(close, period=14), equal_nan=True)
    macd, signal, hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    np.testing.assert_allclose(hist[50:], (macd - signal)[50:], rtol=1e-12, atol=1e-12)
    upper, middle, lower = talib.BBANDS(close, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
    assert np.all(upper[19:] >= middle[19:]) and np.all(middle[19:] >= lower[19:])
    assert np.array_equal(talib.SMA(close, 30), talib.SMA(close, timeperiod=30), equal_nan=True)


def test_matches_the_cli(tradpal_bin: Path, bars_csv: Path, tmp_path: Path) -> None:
    specs = [e for e in TABLE if "time" not in e["inputs"]]
    texts = [e["golden"] for e in specs]
    text = run_cli(tradpal_bin, "indicators", "--input", str(bars_csv), "--ind", ",".join(texts), "-o", "-", "--time-format", "unix", cwd=tmp_path)
    # Output names such as "macd(12,26,9).signal" are quoted in the header.
    cli = pd.read_csv(io.StringIO(text), float_precision="round_trip")
    bars = pd.read_csv(bars_csv, float_precision="round_trip")
    assert len(cli) == len(bars)
    column = 1
    for entry in specs:
        ours = as_tuple(getattr(indicators, entry["name"])(*inputs_of(entry, bars), **golden_params(entry)))
        for o, name in enumerate(entry["outputs"]):
            spec = entry["golden"]
            expected = spec if len(entry["outputs"]) == 1 else f"{spec}.{name}"
            assert cli.columns[column] == expected
            ref = cli.iloc[:, column].to_numpy(np.float64)
            # The CLI streams bar by bar; the batch form agrees within the golden tolerance.
            assert_close(ours[o], ref, max(entry["tolerance"], 1e-9), f"column {column} ({entry['name']}.{name})")
            column += 1
    assert column == len(cli.columns)


def test_pandas_series_in_series_out() -> None:
    index = pd.date_range("2024-01-01", periods=100, freq="h", tz="UTC")
    close = pd.Series(np.linspace(100, 120, 100) + np.sin(np.arange(100)), index=index, name="close")
    rsi = indicators.rsi(close, period=14)
    assert isinstance(rsi, pd.Series) and rsi.index.equals(index) and rsi.name == "rsi"
    np.testing.assert_array_equal(rsi.to_numpy(), indicators.rsi(close.to_numpy(), period=14))
    upper, middle, lower = indicators.bbands(close, period=20)
    assert upper.name == "upper" and lower.index.equals(index)
    frame = pd.DataFrame({"high": close + 1, "low": close - 1, "close": close})
    atr = indicators.atr(frame["high"], frame["low"], frame["close"])
    assert isinstance(atr, pd.Series) and atr.index.equals(index)


def test_input_conversions() -> None:
    values = np.arange(1, 61, dtype=np.float64)
    expected = indicators.sma(values, period=5)
    for other in (values.astype(np.float32), values.astype(np.int64), list(values), values[::-1].copy()[::-1], np.repeat(values, 2)[::2]):
        np.testing.assert_array_equal(indicators.sma(other, period=5), expected)
    assert indicators.sma(np.array([], dtype=np.float64), period=5).shape == (0,)


def test_contiguous_float64_input_is_read_in_place() -> None:
    # A read-only view can only be used as it is: no copy is made, and the result is right.
    base = np.arange(1, 101, dtype=np.float64)
    view = base[10:]
    view.flags.writeable = False
    out = indicators.sma(view, period=3)
    assert out[2] == pytest.approx((11 + 12 + 13) / 3)
    assert out.dtype == np.float64 and out.flags.c_contiguous and not np.shares_memory(out, base)


def test_moving_average_types_by_name_or_number() -> None:
    close = np.linspace(1, 50, 200) + np.cos(np.arange(200))
    for number, name in enumerate(("sma", "ema", "wma", "dema", "tema", "trima", "kama")):
        np.testing.assert_array_equal(indicators.bbands(close, matype=number)[0], indicators.bbands(close, matype=name)[0])


def test_compute_by_name() -> None:
    close = np.linspace(1, 2, 50)
    np.testing.assert_array_equal(indicators.compute("RSI", close, period=10), indicators.rsi(close, period=10))
    with pytest.raises(ValueError, match="unknown indicator 'nope'"):
        indicators.compute("nope", close)


def test_version() -> None:
    assert tradpal.__version__.count(".") == 2


def test_out_arrays_are_filled_and_returned() -> None:
    close = np.linspace(1, 3, 300) + np.sin(np.arange(300))
    out = np.empty(300)
    assert indicators.rsi(close, period=14, out=out) is out
    np.testing.assert_array_equal(out, indicators.rsi(close, period=14))
    triple = (np.empty(300), np.empty(300), np.empty(300))
    result = indicators.macd(close, out=triple)
    assert all(a is b for a, b in zip(result, triple))
    for a, b in zip(result, indicators.macd(close)):
        np.testing.assert_array_equal(a, b)
    series = pd.Series(close, index=pd.RangeIndex(300))
    assert indicators.sma(series, out=np.empty(300)).index.equals(series.index)


@pytest.mark.parametrize("out", [np.empty(10), np.empty(300, dtype=np.float32), np.empty(600)[::2], (np.empty(300), np.empty(300))])
def test_wrong_out_arrays(out: Any) -> None:
    with pytest.raises(ValueError, match="rsi: out must"):
        indicators.rsi(np.linspace(1, 3, 300), out=out)


def test_time_input_from_a_datetime_index() -> None:
    index = pd.date_range("2024-01-01", periods=3 * 1440, freq="min", tz="UTC")
    close = pd.Series(np.linspace(100, 110, len(index)), index=index)
    frame = pd.DataFrame({"high": close + 1, "low": close - 1, "close": close, "volume": 2.0})
    by_index = indicators.vwap_session(frame["high"], frame["low"], frame["close"], frame["volume"], frame.index)
    by_ns = indicators.vwap_session(*(frame[c].to_numpy() for c in ("high", "low", "close", "volume")), index.asi8)
    np.testing.assert_array_equal(by_index.to_numpy(), by_ns)
    by_datetime64 = indicators.vwap_session(*(frame[c].to_numpy() for c in ("high", "low", "close", "volume")), index.tz_localize(None).to_numpy())
    np.testing.assert_array_equal(by_datetime64, by_ns)
