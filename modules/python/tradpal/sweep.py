# SPDX-License-Identifier: Apache-2.0
"""Parameter sweeps with the settings of ``tradpal sweep``.

    top = tradpal.sweep.run(df, "sma_cross", grid={"fast": range(5, 50, 5), "slow": [50, 100]},
                            metric="sharpe", top=20)

``grid`` maps each swept parameter to its values (any iterable) or to the CLI's text
("5:50:5", stop included). Every combination runs on the vectorized simulator (metrics only,
all cores); the result is a DataFrame of the best ``top`` sets, best first, with one column per
swept parameter and the metric columns of ``tradpal sweep --json``. ``df.attrs`` holds the
sweep's summary (sets, evaluated, skipped, skip_reasons, best_deflated_sharpe).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Union

import pandas as pd

from . import _tradpal
from .backtest import assignments, bar_columns, rules


def _axis(name: str, values: Union[str, Iterable[Any]]) -> str:
    if isinstance(values, str):
        return f"{name}={values}"
    texts = [str(v) for v in values]
    if not texts:
        raise ValueError(f"grid axis '{name}' has no values")
    return f"{name}={','.join(texts)}"


def run(
    data: Any,
    strategy: str = "sma_cross",
    grid: Optional[Mapping[str, Union[str, Iterable[Any]]]] = None,
    *,
    metric: str = "sharpe",
    top: int = 20,
    params: Optional[Mapping[str, Any]] = None,
    entry: Optional[str] = None,
    exit: Optional[str] = None,
    short_entry: Optional[str] = None,
    short_exit: Optional[str] = None,
    random: int = 0,
    seed: int = 1,
    threads: int = 0,
    start: Any = None,
    end: Any = None,
    name: str = "series",
    **settings: Any,
) -> pd.DataFrame:
    """The best `top` parameter sets by `metric` (see the module's help)."""
    if not grid:
        raise ValueError("a sweep needs a grid, e.g. grid={'fast': range(5, 50, 5)}")
    axes = [_axis(k, v) for k, v in grid.items()]
    columns = bar_columns(data, start, end)
    out = _tradpal.sweep(columns, name, strategy, assignments(params), rules(entry, exit, short_entry, short_exit), axes, settings, metric, top, random, seed, threads)
    rows = []
    for row in out["top"]:
        record = {"set": row["set"]}
        for key, text in row["params"].items():
            record[key] = pd.to_numeric(text, errors="ignore")
        record.update(row["metrics"])
        rows.append(record)
    df = pd.DataFrame(rows)
    if len(df):
        df["trades"] = df["trades"].astype("int64")
    df.attrs.update({k: v for k, v in out.items() if k != "top"})
    return df


sweep = run
