# SPDX-License-Identifier: Apache-2.0
"""The type stubs list every indicator function with its real signature."""
from __future__ import annotations

import inspect
from pathlib import Path

from tradpal import indicators, talib

STUBS = Path(indicators.__file__).with_suffix(".pyi")


def test_stubs_are_up_to_date() -> None:
    for module, names in ((indicators, indicators.names()), (talib, talib.names())):
        text = Path(module.__file__).with_suffix(".pyi").read_text()
        for name in names:
            params = ", ".join(inspect.signature(getattr(module, name)).parameters)
            line = next((l for l in text.splitlines() if l.startswith(f"def {name}(")), None)
            assert line is not None, f"{name} is missing from {module.__name__}'s stub: run modules/python/make_stubs.py"
            stub_params = ", ".join(p.split(":")[0].strip() for p in line[line.index("(") + 1 : line.rindex(") ->")].split(","))
            assert stub_params == params, f"{name}: stub ({stub_params}) != ({params}): run modules/python/make_stubs.py"
