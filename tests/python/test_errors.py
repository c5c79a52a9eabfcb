# SPDX-License-Identifier: Apache-2.0
"""Wrong inputs raise TypeError or ValueError with a message naming the culprit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradpal import indicators, talib

X = np.linspace(1, 2, 100)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: indicators.rsi(X, period=1), ValueError, r"rsi: period must be an integer from 2 to 100000, got 1"),
        (lambda: indicators.rsi(X, period=2.5), ValueError, r"rsi: period must be an integer .* got 2\.5"),
        (lambda: indicators.rsi(X, period="14"), TypeError, r"rsi: period must be a number, not str"),
        (lambda: indicators.rsi(X, period=True), TypeError, r"rsi: period must be a number, not bool"),
        (lambda: indicators.rsi(X, period=float("nan")), ValueError, r"rsi: period must be an integer"),
        (lambda: indicators.macd(X, fast=30, slow=10), ValueError, r"macd: fast \(30\) must be less than slow \(10\)"),
        (lambda: indicators.bbands(X, matype="foo"), ValueError, r"bbands: matype must be a moving-average type"),
        (lambda: indicators.bbands(X, matype=7), ValueError, r"bbands: matype must be a moving-average type"),
        (lambda: indicators.rsi(np.array(["a", "b"])), TypeError, r"rsi: close must hold numbers, not dtype <U1"),
        (lambda: indicators.rsi([1.0, "x"]), TypeError, r"rsi: close must hold numbers"),
        (lambda: indicators.rsi(None), TypeError, r"rsi: close must hold numbers"),
        (lambda: indicators.rsi(X.reshape(10, 10)), ValueError, r"rsi: close must be one-dimensional, got shape \(10, 10\)"),
        (lambda: indicators.rsi(np.float64(3.0)), ValueError, r"rsi: close must be one-dimensional, got shape \(\)"),
        (lambda: indicators.atr(X, X[:50], X), ValueError, r"atr: input low has 50 values, the first input has 100"),
        (lambda: indicators.rsi(X, 14, None, 3), TypeError, r"takes from 1 to 3 positional arguments"),
        (lambda: indicators.rsi(X, length=14), TypeError, r"unexpected keyword argument 'length'"),
        (lambda: talib.RSI(X, period=14), TypeError, r"unexpected keyword argument 'period'"),
        (lambda: indicators.rsi(pd.Series(["a"] * 20)), TypeError, r"rsi: close must hold numbers"),
    ],
)
def test_wrong_inputs(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_errors_leave_the_interpreter_usable() -> None:
    for _ in range(1000):
        with pytest.raises(ValueError):
            indicators.rsi(X, period=0)
    assert np.isfinite(indicators.rsi(X)[-1])
