# SPDX-License-Identifier: Apache-2.0
"""Every indicator of TradPal's registry as a function.

Inputs are numpy arrays (or pandas Series, or anything numpy can turn into a 1-d array of
numbers) named like the bar fields the indicator reads: ``close``, or ``high, low, close``...
Parameters are keywords with the registry's names (``period``, ``fast``, ``matype``...); moving
average types are names ("ema") or TA-Lib's numbers. The result is a float64 array, or a tuple
of them for several outputs (``macd`` -> (macd, signal, hist)); pandas Series in gives Series
out with the same index. Contiguous float64 input is read in place, other numeric input is
converted; ``out=`` takes preallocated output arrays (a tuple for several outputs) to reuse; the computation runs without the GIL, so threads compute in parallel.

Errors: TypeError for non-numeric input, ValueError for a wrong shape, inputs of different
lengths or a parameter out of range (with the range in the message).
"""
from __future__ import annotations

import keyword
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import _tradpal
from ._columns import split_series

_TABLE: List[Dict[str, Any]] = _tradpal.indicator_table()
_MA_NAMES = ("sma", "ema", "wma", "dema", "tema", "trima", "kama", "mama", "t3")


def table() -> List[Dict[str, Any]]:
    """The registry: name, title, group, inputs, params (name, kind, default, min, max,
    description), outputs, and whether TA-Lib has the indicator."""
    return [dict(entry) for entry in _TABLE]


def names() -> List[str]:
    """Every indicator's function name."""
    return [entry["name"] for entry in _TABLE]


def _wrap(handle: Any, outputs: List[str], columns: Tuple[Any, ...], params: Tuple[Any, ...], out: Any) -> Any:
    """The slow path: pandas Series in, Series out with the first Series' index."""
    index = None
    values = []
    for column in columns:
        array, column_index, _ = split_series(column)
        if index is None:
            index = column_index
        values.append(array)
    result = handle.compute(tuple(values), params, out)
    if index is None:
        return result
    import pandas as pd

    if isinstance(result, tuple):
        return tuple(pd.Series(r, index=index, name=o, copy=False) for r, o in zip(result, outputs))
    return pd.Series(result, index=index, name=outputs[0], copy=False)


def _default(param: Dict[str, Any]) -> Any:
    if param["kind"] == "int":
        return int(param["default"])
    if param["kind"] == "ma":
        return _MA_NAMES[int(param["default"])]
    return float(param["default"])


def _identifier(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


def make_function(
    entry: Dict[str, Any], param_names: Dict[str, str], function_name: str, input_names: Optional[Dict[str, str]] = None
) -> Callable[..., Any]:
    """A Python function for one registry entry; `param_names` and `input_names` rename
    parameters and inputs (TA-Lib's names in tradpal.talib)."""
    renamed = input_names or {"time": "ts"}
    inputs = [_identifier(renamed.get(field, field)) for field in entry["inputs"]]
    params = [param_names.get(p["name"], p["name"]) for p in entry["params"]]
    signature = ", ".join(inputs + [f"{_identifier(p)}={_default(info)!r}" for p, info in zip(params, entry["params"])] + ["out=None"])
    columns = "(" + "".join(f"{i}, " for i in inputs) + ")"
    values = "(" + "".join(f"{_identifier(p)}, " for p in params) + ")"
    fast = " and ".join(f"type({i}) is _ndarray" for i in inputs) or "True"
    source = (
        f"def {function_name}({signature}):\n"
        f"    if {fast}:\n"
        f"        return _handle.compute({columns}, {values}, out)\n"
        f"    return _wrap(_handle, _outputs, {columns}, {values}, out)\n"
    )
    scope: Dict[str, Any] = {
        "_handle": _tradpal.indicator(entry["name"]),
        "_outputs": list(entry["outputs"]),
        "_wrap": _wrap,
        "_ndarray": np.ndarray,
    }
    exec(compile(source, f"<tradpal.indicators.{entry['name']}>", "exec"), scope)
    function = scope[function_name]
    lines = [entry["title"] + ".", ""]
    lines.append("Inputs: " + ", ".join(inputs) + ".")
    for p, info in zip(params, entry["params"]):
        lines.append(f"{p}: {info['description']} ({info['kind']}, default {_default(info)!r})")
    outputs = entry["outputs"]
    lines.append("out: arrays to write the results into (float64, the inputs' length), reused between calls")
    lines.append("Returns: " + (outputs[0] if len(outputs) == 1 else "(" + ", ".join(outputs) + ")"))
    function.__doc__ = "\n".join(lines)
    function.__module__ = __name__
    return function


def compute(name: str, *columns: Any, **params: Any) -> Any:
    """Any indicator by name: ``compute("rsi", close, period=14)``."""
    function = globals().get(_identifier(name.lower()))
    if function is None or name.lower() not in names():
        raise ValueError(f"unknown indicator '{name}' (see tradpal.indicators.names())")
    return function(*columns, **params)


for _entry in _TABLE:
    globals()[_identifier(_entry["name"])] = make_function(_entry, {}, _identifier(_entry["name"]))
del _entry

__all__ = ["compute", "names", "table", *(_identifier(e["name"]) for e in _TABLE)]
