"""Empty cells as None (not NaN) in text and date columns, so Parquet and the warehouse see nulls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def keep_where(values: Any, keep: Any) -> pd.Series:
    """``values`` as an object column, None where ``keep`` is false."""
    out = pd.Series(values).astype("object").copy()
    out[~np.asarray(keep, dtype=bool)] = None
    return out
