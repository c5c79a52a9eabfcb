# SPDX-License-Identifier: Apache-2.0
"""Machine learning (train / predict with the CLI's options) needs TradPal built with libtorch
and is not bound in this version: use ``tradpal ml train`` and ``tradpal ml predict``."""
from __future__ import annotations

from typing import Any


def _unavailable(*args: Any, **kwargs: Any) -> Any:
    raise ImportError("tradpal.ml is not available from Python in this build: use the tradpal ml train / ml predict commands")


train = _unavailable
predict = _unavailable
