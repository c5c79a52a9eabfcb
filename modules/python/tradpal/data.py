# SPDX-License-Identifier: Apache-2.0
"""The bar store as pandas DataFrames.

    store = tradpal.data.Store("tradpal-data")
    store.list()
    df = store.read("BTC/USD", "1h", start="2024-01-01")

``fetch`` downloads through the tradpal binary (``tradpal fetch``).
``read`` gives open/high/low/close/volume columns and a UTC DatetimeIndex that are read-only
numpy views of the store's mapped column files (no copy, the stored nanoseconds exactly; the
mapping stays open while any of them is referenced).
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional

import numpy as np
import pandas as pd

from . import _tradpal
from ._columns import to_ns

_FIELDS = ("open", "high", "low", "close", "volume")


def _utc_index(ts: np.ndarray) -> pd.DatetimeIndex:
    """A UTC DatetimeIndex over the int64 ns array itself (no copy)."""
    times = pd.arrays.DatetimeArray(ts.view("datetime64[ns]"), dtype=pd.DatetimeTZDtype("ns", "UTC"), copy=False)
    return pd.DatetimeIndex(times, name="time", copy=False)


def _meta(entry: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(entry)
    for key in ("first", "last"):
        ns = out.pop(key + "_ns")
        out[key] = None if ns is None else pd.Timestamp(ns, tz="UTC")
    return out


def frame(columns: Dict[str, Any]) -> pd.DataFrame:
    """A DataFrame over the columns ts (int64 ns) and open..volume, without copying them."""
    return pd.DataFrame({f: columns[f] for f in _FIELDS}, index=_utc_index(columns["ts"]), copy=False)


class Store:
    """A TradPal bar store directory (``tradpal data`` commands use the same layout)."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self._store = _tradpal.Store(os.fspath(path))

    @property
    def root(self) -> str:
        return str(self._store.root)

    def list(self) -> List[Dict[str, Any]]:
        """Every stored series: source, symbol, timeframe, rows, first, last, origin."""
        return [_meta(e) for e in self._store.list()]

    def read(
        self,
        symbol: str,
        timeframe: Optional[str] = None,
        source: Optional[str] = None,
        start: Any = None,
        end: Any = None,
    ) -> pd.DataFrame:
        """The bars of one series with start <= time <= end (both optional; dates, strings,
        Timestamps or int ns, naive ones in UTC). Raises LookupError when no series matches,
        ValueError when several do (give timeframe or source)."""
        columns = self._store.read(symbol, timeframe, source, to_ns(start), to_ns(end))
        df = frame(columns)
        df.attrs.update(_meta({k: columns[k] for k in ("source", "symbol", "timeframe", "rows", "first_ns", "last_ns", "origin")}))
        return df

    def import_csv(
        self,
        path: "str | os.PathLike[str]",
        symbol: str,
        timeframe: str,
        source: str = "csv",
        format: str = "auto",
        replace: bool = False,
        fix: bool = False,
    ) -> Dict[str, Any]:
        """``tradpal data import``: all rows or none. Returns rows_written, already_stored,
        format and the series' metadata after the import."""
        return _meta(self._store.import_csv(os.fspath(path), symbol, timeframe, source, format, replace, fix))


def import_csv(store: "str | os.PathLike[str] | Store", path: "str | os.PathLike[str]", symbol: str, timeframe: str, **options: Any) -> Dict[str, Any]:
    """Imports a CSV file into a store (a Store or its directory)."""
    target = store if isinstance(store, Store) else Store(store)
    return target.import_csv(path, symbol, timeframe, **options)


def fetch(
    store: "str | os.PathLike[str] | Store",
    symbols: "str | Iterable[str]",
    timeframe: str = "1d",
    start: Any = None,
    end: Any = None,
    data_source: str = "auto",
    **options: Any,
) -> Dict[str, Any]:
    """``tradpal fetch --json``: downloads bars into the store (a stored series continues after
    its last bar), by the tradpal binary (TRADPAL_BIN or PATH: the extension does not link the
    HTTP sources). Settings such as [data] kaggle_path come from the environment
    (TRADPAL_DATA_KAGGLE_PATH) or the config file as for the CLI. Read the bars with
    ``Store.read(symbol, timeframe, source=...)``."""
    from . import _cli

    root = store.root if isinstance(store, Store) else os.fspath(store)
    names = symbols if isinstance(symbols, str) else ",".join(symbols)
    args = ["--json", "fetch", "--symbols", names, "--timeframe", timeframe, "--data-source", data_source]
    for flag, value in (("--start-date", start), ("--end-date", end)):
        if value is not None:
            args += [flag, str(value)]
    return json.loads(_cli.run(root, *args, *_cli.options(options)))
