# SPDX-License-Identifier: Apache-2.0
"""Backtests with the settings of ``tradpal backtest``.

    result = tradpal.backtest.run(df, strategy="sma_cross", params={"fast": 10, "slow": 30},
                                  cash=100_000, commission=0.001)
    result.metrics["sharpe"], result.trades, result.equity

``df`` is a DataFrame of open/high/low/close/volume with a DatetimeIndex (``Store.read`` gives
one; naive times are UTC), or a Series of closes (used as every price, volume 0). Rule
strategies take their rules as text: ``run(df, "rules", entry="cross_up(ema(close,12),
ema(close,26))", exit="cross_down(ema(close,12), ema(close,26))")``.

Settings (the CLI's options without dashes): cash, commission, commission_fixed, slippage_bps,
sizing (fraction|fixed|cash|risk_atr), size_fraction, lot_step, quantity, cash_amount, risk,
atr_period, atr_multiple, fill (next_open|close), stop_same_bar, annualization, risk_free.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

import numpy as np
import pandas as pd

from . import _tradpal
from ._columns import to_ns

_FIELDS = ("open", "high", "low", "close", "volume")


def _time_ns(index: Any) -> np.ndarray:
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(f"the bars need a DatetimeIndex (the bar times), not {type(index).__name__}")
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.ascontiguousarray(index.asi8, dtype=np.int64)


def bar_columns(data: Any, start: Any = None, end: Any = None) -> Dict[str, np.ndarray]:
    """ts, open, high, low, close, volume of a DataFrame or a Series of closes, as contiguous
    arrays (views where they already are), cut to start <= time <= end."""
    if isinstance(data, pd.Series):
        close = np.ascontiguousarray(data.to_numpy(), dtype=np.float64)
        columns = {"ts": _time_ns(data.index), "open": close, "high": close, "low": close, "close": close, "volume": np.zeros(len(close))}
    elif isinstance(data, pd.DataFrame):
        missing = [f for f in _FIELDS if f not in data.columns]
        if missing:
            raise ValueError(f"the DataFrame has no {', '.join(missing)} column (it needs {', '.join(_FIELDS)})")
        columns = {"ts": _time_ns(data.index)}
        for f in _FIELDS:
            columns[f] = np.ascontiguousarray(data[f].to_numpy(), dtype=np.float64)
    else:
        raise TypeError(f"backtests take a pandas DataFrame of bars or a Series of closes, not {type(data).__name__}")
    lo, hi = to_ns(start), to_ns(end)
    if lo is not None or hi is not None:
        ts = columns["ts"]
        first = 0 if lo is None else int(np.searchsorted(ts, lo, side="left"))
        last = len(ts) if hi is None else int(np.searchsorted(ts, hi, side="right"))
        columns = {k: v[first:last] for k, v in columns.items()}
    return columns


def assignments(params: Optional[Mapping[str, Any]]) -> List[str]:
    """{"fast": 10, "exit_on": "signal", "allow_short": True} -> ["fast=10", ...]."""
    out = []
    for name, value in (params or {}).items():
        text = ("true" if value else "false") if isinstance(value, (bool, np.bool_)) else str(value)
        out.append(f"{name}={text}")
    return out


def rules(entry: Optional[str], exit: Optional[str], short_entry: Optional[str], short_exit: Optional[str]) -> Dict[str, str]:
    given = {"entry": entry, "exit": exit, "short_entry": short_entry, "short_exit": short_exit}
    return {k: v for k, v in given.items() if v is not None}


@dataclass
class BacktestResult:
    """metrics: the CLI's ``backtest --json`` document (same keys); trades: one row per closed
    trade; equity: account value per bar; strategy: its canonical text; warmup: bars before its
    first signal."""

    metrics: Dict[str, Any]
    trades: pd.DataFrame
    equity: pd.Series
    strategy: str = ""
    warmup: int = 0

    def __repr__(self) -> str:
        m = self.metrics
        return f"BacktestResult({self.strategy}: final_value={m.get('final_value')}, sharpe={m.get('sharpe')}, trades={len(self.trades)})"


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def run(
    data: Any,
    strategy: str = "sma_cross",
    params: Optional[Mapping[str, Any]] = None,
    *,
    entry: Optional[str] = None,
    exit: Optional[str] = None,
    short_entry: Optional[str] = None,
    short_exit: Optional[str] = None,
    engine: str = "event",
    name: Optional[str] = None,
    start: Any = None,
    end: Any = None,
    **settings: Any,
) -> BacktestResult:
    """One backtest (see the module's help for the settings). Raises ValueError for an unknown
    strategy, parameter or setting, or bars the engine refuses."""
    columns = bar_columns(data, start, end)
    label = name or data.attrs.get("symbol") or (data.name if isinstance(data, pd.Series) else None) or "series"
    out = _tradpal.backtest(columns, label, strategy, assignments(params), rules(entry, exit, short_entry, short_exit), settings, engine)
    trades = out["trades"]
    frame = pd.DataFrame(trades)
    for column in ("entry_time", "exit_time"):
        frame[column] = _utc(trades[column])
    equity = pd.Series(out["equity"], index=_utc(out["equity_time"]), name="equity")
    return BacktestResult(json.loads(out["summary"]), frame, equity, out["strategy"], out["warmup"])


def strategies() -> Dict[str, Dict[str, Any]]:
    """Built-in strategies and their parameters with defaults."""
    return {s["name"]: dict(s["params"]) for s in _tradpal.strategies}


def sweep(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """tradpal.sweep.run."""
    from . import sweep as _sweep

    return _sweep.run(*args, **kwargs)
