# SPDX-License-Identifier: Apache-2.0
"""TradPal from Python: indicators on numpy arrays and pandas Series, the bar store as pandas
DataFrames, backtests and parameter sweeps, all computed by TradPal's C++ core.

    import tradpal
    rsi = tradpal.indicators.rsi(close, period=14)
    upper, middle, lower = tradpal.talib.BBANDS(close, timeperiod=20)
"""
from __future__ import annotations

import importlib
from typing import Any

from . import _tradpal
from . import indicators, talib

__version__: str = _tradpal.__version__
Error = _tradpal.Error

# pandas is imported on first use of the modules that return DataFrames.
_LAZY = ("data", "backtest", "sweep", "ml")

__all__ = ["Error", "__version__", "indicators", "talib", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tradpal' has no attribute '{name}'")
