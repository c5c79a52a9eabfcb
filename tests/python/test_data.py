# SPDX-License-Identifier: Apache-2.0
"""tradpal.data: CSV import, listing and reading the store as DataFrames."""
from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradpal import data

from conftest import run_cli_json


def write_csv(path: Path, times_ns: np.ndarray, close: np.ndarray) -> None:
    # Fractional unix seconds keep the nanoseconds the test checks (exact in the decimal text).
    lines = ["timestamp,open,high,low,close,volume"]
    for t, c in zip(times_ns, close):
        seconds, nanos = divmod(int(t), 1_000_000_000)
        lines.append(f"{seconds}.{nanos:09d},{c!r},{c + 1!r},{c - 1!r},{c!r},5")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture()
def store_with_bars(tmp_path: Path, bars_csv: Path) -> data.Store:
    store = data.Store(tmp_path / "store")
    report = store.import_csv(bars_csv, "GBM/USD", "1h")
    assert report["rows_written"] == 3000
    return store


def test_import_list_read(store_with_bars: data.Store, bars_csv: Path) -> None:
    (entry,) = store_with_bars.list()
    assert (entry["source"], entry["symbol"], entry["timeframe"], entry["rows"]) == ("csv", "GBM/USD", "1h", 3000)
    assert entry["first"] == pd.Timestamp(1_600_000_000, unit="s", tz="UTC")
    df = store_with_bars.read("GBM/USD")
    expected = pd.read_csv(bars_csv, float_precision="round_trip")
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert str(df.index.dtype) == "datetime64[ns, UTC]"
    np.testing.assert_array_equal(df.index.asi8, expected["timestamp"].to_numpy(np.int64) * 1_000_000_000)
    for column in df.columns:
        np.testing.assert_array_equal(df[column].to_numpy(), expected[column].to_numpy())
    assert df.attrs["symbol"] == "GBM/USD"


def test_columns_are_read_only_views_of_the_mapping(store_with_bars: data.Store) -> None:
    df = store_with_bars.read("GBM/USD", "1h", source="csv")
    close = df["close"].to_numpy()
    assert not close.flags.writeable
    assert not close.flags.owndata  # a view: the mapped file is its memory
    times = df.index.asi8
    assert not times.flags.writeable and not times.flags.owndata
    with pytest.raises(ValueError):
        close[0] = 1.0
    del df
    gc.collect()
    # The mapping lives as long as an array over it.
    assert np.isfinite(close.sum())


def test_read_between_inclusive(store_with_bars: data.Store) -> None:
    start = pd.Timestamp(1_600_000_000 + 10 * 3600, unit="s", tz="UTC")
    end = start + pd.Timedelta(hours=5)
    df = store_with_bars.read("GBM/USD", start=start, end=end)
    assert len(df) == 6 and df.index[0] == start and df.index[-1] == end
    naive = store_with_bars.read("GBM/USD", start=start.tz_localize(None), end=str(end.tz_localize(None)))
    assert naive.index.equals(df.index)


def test_round_trip_keeps_nanoseconds_exact(tmp_path: Path) -> None:
    times = np.array([1_700_000_000_123_456_789 + i * 1_000_000_007 for i in range(100)], dtype=np.int64)
    close = np.linspace(10, 20, 100)
    csv = tmp_path / "ns.csv"
    write_csv(csv, times, close)
    store = data.Store(tmp_path / "store")
    data.import_csv(tmp_path / "store", csv, "NS", "1s")
    df = store.read("NS")
    np.testing.assert_array_equal(df.index.asi8, times)
    assert df.index[0] == pd.Timestamp(1_700_000_000_123_456_789, unit="ns", tz="UTC")
    np.testing.assert_array_equal(df["close"].to_numpy(), close)


def test_same_bars_as_the_cli_sees(store_with_bars: data.Store, tradpal_bin: Path, tmp_path: Path) -> None:
    listed = run_cli_json(tradpal_bin, "--store", store_with_bars.root, "data", "list", cwd=tmp_path)
    assert "GBM/USD" in str(listed)


def test_errors(tmp_path: Path, store_with_bars: data.Store) -> None:
    with pytest.raises(LookupError):
        store_with_bars.read("NOPE")
    with pytest.raises(ValueError):
        store_with_bars.read("GBM/USD", "1x")
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n1,2,3,1,2,1\nnot-a-time,1,1,1,1,1\n")
    with pytest.raises(ValueError):
        store_with_bars.import_csv(bad, "BAD", "1d")
    assert [e["symbol"] for e in store_with_bars.list()] == ["GBM/USD"]


def test_fetch_from_a_kaggle_file(tradpal_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Kaggle source reads a local Bitstamp 1-minute file: a fetch without network.
    kaggle = tmp_path / "bitstamp.csv"
    start = 1_600_000_000 - 1_600_000_000 % 86400
    lines = ["Timestamp,Open,High,Low,Close,Volume_(BTC),Volume_(Currency),Weighted_Price"]
    for i in range(3 * 1440):
        p = 10_000 + i
        lines.append(f"{start + 60 * i},{p},{p + 5},{p - 5},{p + 1},1.5,{1.5 * p},{p}")
    kaggle.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("TRADPAL_BIN", str(tradpal_bin))
    monkeypatch.setenv("TRADPAL_DATA_KAGGLE_PATH", str(kaggle))
    store = data.Store(tmp_path / "store")
    first = pd.Timestamp(start, unit="s", tz="UTC")
    report = data.fetch(store, ["BTC/USD"], "1h", start=first.strftime("%Y-%m-%d"), end=(first + pd.Timedelta(days=2)).strftime("%Y-%m-%d"), data_source="kaggle")
    assert "BTC/USD" in json.dumps(report)
    df = store.read("BTC/USD", "1h", source="kaggle")
    assert len(df) >= 24 and df.index[0] == first
    assert df["open"].iloc[0] == 10_000 and df["close"].iloc[0] == 10_000 + 59 + 1
    with pytest.raises(ValueError):
        data.fetch(store, "BTC/USD", "1h", data_source="nope")
