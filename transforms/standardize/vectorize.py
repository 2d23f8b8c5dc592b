"""Running a scalar standardizer over a column once per distinct value.

Customer columns repeat a lot (the same phone in every journal row of a customer, a few hundred distinct dates in a
million rows), and the scalar functions are Python, so the fast way is: factorize, standardize each distinct value
(or distinct pair with a per-row setting such as a phone region) once, then spread the results back by code with numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

R = TypeVar("R")


def _distinct_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Per-row code into the list of distinct values; missing values (if any) get the code of a trailing None."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        # Unhashable cells (a list parsed from JSON): standardize their text, "[730044435]".
        codes, uniques = pd.factorize(values.map(lambda v: v if isinstance(v, Hashable) else str(v)))
    distinct = list(uniques)
    missing = codes < 0
    if missing.any():
        distinct.append(None)
        codes = np.where(missing, len(distinct) - 1, codes)
    return codes, distinct


def map_unique(values: pd.Series, func: Callable[[Any], R]) -> pd.Series:
    """``values.map(func)`` computed once per distinct value (missing values are passed as None, once)."""
    codes, distinct = _distinct_codes(values)
    table = np.empty(len(distinct), dtype=object)
    table[:] = [func(v) for v in distinct]
    return pd.Series(table[codes], index=values.index, dtype=object)


def _spread(codes: np.ndarray, results: list[Any], columns: Mapping[str, str], index: pd.Index) -> pd.DataFrame:
    data: dict[str, np.ndarray] = {}
    for column, attribute in columns.items():
        table = np.empty(len(results), dtype=object)
        table[:] = [getattr(r, attribute) for r in results]
        data[column] = table[codes]
    return pd.DataFrame(data, index=index)


def results_frame(values: pd.Series, func: Callable[[Any], object], columns: Mapping[str, str]) -> pd.DataFrame:
    """One row per value; ``columns`` maps each output column to an attribute of ``func``'s result."""
    codes, distinct = _distinct_codes(values)
    return _spread(codes, [func(v) for v in distinct], columns, values.index)


def _aligned(setting: pd.Series, index: pd.Index) -> pd.Series:
    return setting if setting.index.equals(index) else setting.reindex(index)


def results_frame_with(
    values: pd.Series,
    setting: pd.Series | Hashable | None,
    func: Callable[[Any, Any], object],
    columns: Mapping[str, str],
) -> pd.DataFrame:
    """Like ``results_frame`` for a function of (value, setting), the setting one for all rows or one per row.

    A per-row setting is aligned on the values' index; each distinct (value, setting) pair is computed once.
    """
    if not isinstance(setting, pd.Series):
        return results_frame(values, lambda v: func(v, setting), columns)
    value_codes, value_distinct = _distinct_codes(values)
    setting_codes, setting_distinct = _distinct_codes(_aligned(setting, values.index))
    pair = value_codes.astype(np.int64) * len(setting_distinct) + setting_codes
    pair_codes, pairs = pd.factorize(pair)
    results = [
        func(value_distinct[p // len(setting_distinct)], setting_distinct[p % len(setting_distinct)]) for p in pairs
    ]
    return _spread(pair_codes, results, columns, values.index)
