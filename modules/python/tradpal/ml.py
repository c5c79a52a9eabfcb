# SPDX-License-Identifier: Apache-2.0
"""Machine learning with the options of ``tradpal train`` / ``tradpal predict`` /
``tradpal ml evaluate``, run by the ``tradpal`` binary (the models live in libtorch, which the
extension does not link): the binary named by TRADPAL_BIN, else ``tradpal`` on PATH. It must be
built with libtorch (``tradpal version`` says so); otherwise these functions raise ImportError.

    info = tradpal.ml.train("tradpal-data", "BTC/USD", timeframe="1h", model="lstm", epochs=20,
                            out="models/btc-lstm")
    forecasts = tradpal.ml.predict("tradpal-data", "models/btc-lstm")   # DataFrame

Keyword options are the command's options without dashes (``seq_len=64``, ``early_stopping=5``,
``gpu=True``); True adds a flag.
"""
from __future__ import annotations

import io
import json
import os
from typing import Any, Dict

import pandas as pd

from ._cli import options as _options
from ._cli import run as _cli_run


def _run(store: "str | os.PathLike[str]", *args: str) -> str:
    return _cli_run(store, *args, needs="libtorch")



def train(store: "str | os.PathLike[str]", symbol: str, **options: Any) -> Dict[str, Any]:
    """``tradpal train --json``: model_dir, device, best_epoch, history, test scores."""
    return json.loads(_run(store, "--json", "train", "--symbol", symbol, *_options(options)))


def predict(store: "str | os.PathLike[str]", model: "str | os.PathLike[str]", **options: Any) -> pd.DataFrame:
    """``tradpal predict``: prediction and in_sample per bar, indexed by UTC time."""
    text = _run(store, "predict", "--model", os.fspath(model), "--out", "-", *_options(options))
    df = pd.read_csv(io.StringIO(text), float_precision="round_trip")
    df.index = pd.DatetimeIndex(pd.to_datetime(df.pop("time"), utc=True), name="time")
    df["in_sample"] = df["in_sample"].astype(bool)
    return df


def evaluate(store: "str | os.PathLike[str]", model: "str | os.PathLike[str]") -> Dict[str, Any]:
    """``tradpal ml evaluate --json``: the model's and the baselines' test scores."""
    return json.loads(_run(store, "--json", "ml", "evaluate", "--model", os.fspath(model)))
