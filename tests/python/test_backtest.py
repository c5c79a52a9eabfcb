# SPDX-License-Identifier: Apache-2.0
"""tradpal.backtest and tradpal.sweep against `tradpal backtest --json` and `tradpal sweep --json`."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List

import numpy as np
import pandas as pd
import pytest

import tradpal
from tradpal import backtest, sweep

from conftest import run_cli_json


def frame_of(csv: Path) -> pd.DataFrame:
    raw = pd.read_csv(csv, float_precision="round_trip")
    index = pd.to_datetime(raw["timestamp"], unit="s", utc=True)
    return raw.drop(columns="timestamp").set_index(index)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


CASES: List[Any] = [
    ({"strategy": "sma_cross", "params": {"fast": 10, "slow": 30}}, ["--param", "fast=10", "--param", "slow=30"]),
    ({"strategy": "sma_cross", "params": {"fast": 5, "slow": 20}, "commission": 0.002, "fill": "close", "engine": "vectorized"},
     ["--param", "fast=5", "--param", "slow=20", "--commission", "0.002", "--fill", "close", "--engine", "vectorized"]),
    ({"strategy": "rules", "entry": "cross_up(ema(close,12), ema(close,26))", "exit": "cross_down(ema(close,12), ema(close,26))", "cash": 5000, "sizing": "fixed", "quantity": 3},
     ["--strategy", "rules", "--entry", "cross_up(ema(close,12), ema(close,26))", "--exit", "cross_down(ema(close,12), ema(close,26))", "--cash", "5000", "--sizing", "fixed", "--quantity", "3"]),
]


@pytest.mark.parametrize("kwargs, cli_args", CASES)
def test_backtest_equals_the_cli(kwargs: Any, cli_args: List[str], bars_csv: Path, tradpal_bin: Path, tmp_path: Path) -> None:
    kwargs = dict(kwargs)
    strategy = kwargs.pop("strategy")
    cli = run_cli_json(tradpal_bin, "backtest", "--input", str(bars_csv), *([] if "--strategy" in cli_args else ["--strategy", strategy]), *cli_args, cwd=tmp_path)
    result = backtest.run(frame_of(bars_csv), strategy, name=bars_csv.stem, **kwargs)
    assert set(result.metrics) == set(cli)
    for key in cli:
        assert same(result.metrics[key], cli[key]), key
    assert len(result.trades) == cli["n_trades"]
    assert len(result.equity) == cli["bars"]
    assert result.equity.index[0] == pd.Timestamp(1_600_000_000, unit="s", tz="UTC")


def test_trades_and_equity(bars_csv: Path, tradpal_bin: Path, tmp_path: Path) -> None:
    trades_csv = tmp_path / "trades.csv"
    equity_csv = tmp_path / "equity.csv"
    run_cli_json(tradpal_bin, "backtest", "--input", str(bars_csv), "--trades-out", str(trades_csv), "--equity-out", str(equity_csv), cwd=tmp_path)
    result = backtest.run(frame_of(bars_csv))
    cli_trades = pd.read_csv(trades_csv)
    assert len(cli_trades) == len(result.trades)
    np.testing.assert_array_equal(result.trades["entry_time"].astype("int64") // 1_000_000_000, cli_trades["entry_time"])
    np.testing.assert_allclose(result.trades["net_pnl"], cli_trades["net_pnl"], rtol=1e-12)
    assert list(result.trades["exit_type"]) == list(cli_trades["exit_type"])
    cli_equity = pd.read_csv(equity_csv)
    np.testing.assert_allclose(result.equity.to_numpy(), cli_equity["value"], rtol=1e-12)


def test_from_a_stored_series_and_a_series_of_closes(tmp_path: Path, bars_csv: Path) -> None:
    store = tradpal.data.Store(tmp_path / "store")
    store.import_csv(bars_csv, "GBM", "1h")
    stored = backtest.run(store.read("GBM"), params={"fast": 10, "slow": 30})
    direct = backtest.run(frame_of(bars_csv), params={"fast": 10, "slow": 30}, name="GBM")
    assert stored.metrics == direct.metrics
    closes = backtest.run(frame_of(bars_csv)["close"], fill="close")
    assert closes.metrics["bars"] == 3000


def test_backtest_errors(bars_csv: Path) -> None:
    df = frame_of(bars_csv)
    with pytest.raises(ValueError, match="nope"):
        backtest.run(df, "nope")
    with pytest.raises(ValueError, match="unknown backtest setting 'cashh'"):
        backtest.run(df, cashh=5)
    with pytest.raises(ValueError):
        backtest.run(df, cash=-1)
    with pytest.raises(ValueError, match="no volume column"):
        backtest.run(df.drop(columns="volume"))
    with pytest.raises(TypeError, match="DatetimeIndex"):
        backtest.run(df.reset_index(drop=True))
    with pytest.raises(TypeError, match="DataFrame"):
        backtest.run([1, 2, 3])


def test_sweep_equals_the_cli(bars_csv: Path, tradpal_bin: Path, tmp_path: Path) -> None:
    cli = run_cli_json(tradpal_bin, "sweep", "--input", str(bars_csv), "--grid", "fast=5:25:5", "--grid", "slow=30,60", "--metric", "sharpe", "--top", "5", cwd=tmp_path)
    top = sweep.run(frame_of(bars_csv), "sma_cross", grid={"fast": range(5, 26, 5), "slow": [30, 60]}, metric="sharpe", top=5)
    assert len(top) == len(cli["top"]) == 5
    assert top.attrs["evaluated"] == cli["evaluated"]
    for (_, row), ref in zip(top.iterrows(), cli["top"]):
        assert row["fast"] == int(ref["params"]["fast"]) and row["slow"] == int(ref["params"]["slow"])
        for key in ("final_value", "sharpe", "max_drawdown_pct", "trades"):
            assert same(float(row[key]), float(ref[key] if ref[key] is not None else math.nan)), key
    assert backtest.sweep(frame_of(bars_csv), grid={"fast": "5:25:5"}, top=3).shape[0] == 3
