# SPDX-License-Identifier: Apache-2.0
"""TA-Lib's function API for the indicators TA-Lib has: upper-case names, TA-Lib's parameter
names and output order, so that ``import tradpal.talib as talib`` replaces
``import talib`` for them::

    talib.RSI(close, timeperiod=14)
    macd, signal, hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, middle, lower = talib.BBANDS(close, timeperiod=20, nbdevup=2, nbdevdn=2)
    talib.ATR(high, low, close, timeperiod=14)

Moving-average types (``matype``) are TA-Lib's numbers (0 = SMA, 1 = EMA, ...) or names.
The values follow TA-Lib's definitions; the golden tests compare them with TA-Lib's output.
"""
from __future__ import annotations

from typing import Dict, List

from . import indicators as _indicators

# The registry uses short names where TA-Lib's carry a "period" suffix.
_TALIB_PARAM_NAMES: Dict[str, str] = {
    "period": "timeperiod",
    "fast": "fastperiod",
    "slow": "slowperiod",
    "signal": "signalperiod",
    "period1": "timeperiod1",
    "period2": "timeperiod2",
    "period3": "timeperiod3",
}


def names() -> List[str]:
    """The TA-Lib function names offered."""
    return [entry["name"].upper() for entry in _indicators.table() if entry["talib"]]


for _entry in _indicators.table():
    if _entry["talib"]:
        # TA-Lib calls a lone price input "real" (RSI(real, timeperiod=14)).
        _inputs = {"close": "real"} if _entry["inputs"] == ["close"] else {}
        globals()[_entry["name"].upper()] = _indicators.make_function(
            _entry, _TALIB_PARAM_NAMES, _entry["name"].upper(), _inputs
        )
del _entry, _inputs

__all__ = ["names", *names()]
