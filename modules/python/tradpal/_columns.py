# SPDX-License-Identifier: Apache-2.0
"""Input checks shared by the modules: pandas objects to numpy without copying."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np


def split_series(value: Any) -> Tuple[Any, Optional[Any], Optional[str]]:
    """(values, index, name): a pandas Series' numpy values (a view for float64) and its index;
    a DatetimeIndex as int64 ns (UTC); anything else unchanged, with no index."""
    if hasattr(value, "asi8") and hasattr(value, "tz"):
        return value.asi8, None, None
    if hasattr(value, "index") and hasattr(value, "to_numpy") and getattr(value, "ndim", 1) == 1:
        return value.to_numpy(), value.index, getattr(value, "name", None)
    return value, None, None


def to_ns(value: Any) -> Optional[int]:
    """A time bound as int64 ns since the epoch (UTC): None, an int (ns), a str, datetime,
    numpy datetime64 or pandas Timestamp (naive ones are UTC)."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    import pandas as pd

    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value)
