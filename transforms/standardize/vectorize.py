"""Running a scalar standardizer over a column once per distinct value.

Customer columns repeat a lot (the same phone in every journal row of a customer, a few hundred distinct dates in a
million rows), and the scalar functions are Python, so the fast way is: factorize, standardize each distinct value
(or distinct pair with a per-row setting such as a phone region) once, then spread the results back by code with numpy.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
from collections.abc import Callable, Hashable, Mapping, Sequence
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


#: Fewer distinct values than this are not worth a second process (forking and sending the results back).
PARALLEL_VALUES = 50_000


def apply_each(func: Callable[[Any], R], values: Sequence[Any], *, processes: int = 1) -> list[R]:
    """``[func(v) for v in values]``, shared among ``processes`` processes when there are ``PARALLEL_VALUES`` or
    more.

    The scalar standardizers are Python and hold the interpreter lock, so threads would take turns: the other
    processes are forked (they see ``func`` and the values as they are here, nothing is pickled on the way in), each
    works through its share and sends back only its results. Where a process cannot be forked (Windows, macOS's
    default), everything runs here. An exception in a forked process is raised here, as it would have been."""
    if processes <= 1 or len(values) < PARALLEL_VALUES or "fork" not in multiprocessing.get_all_start_methods():
        return [func(v) for v in values]
    bounds = np.linspace(0, len(values), processes + 1).astype(int)
    children: list[tuple[int, int]] = []
    for start, stop in itertools.pairwise(bounds[1:]):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the forked process: its share, sent back whole, then gone without running any clean-up
            status = 1
            try:
                os.close(read)
                status = _send_share(func, values[start:stop], write)
            finally:
                os._exit(status)
        os.close(write)
        children.append((pid, read))
    try:
        results = [func(v) for v in values[: bounds[1]]]
    finally:
        shares = [_collect(pid, read) for pid, read in children]
    for ok, share in shares:
        if not ok:
            raise share
        results.extend(share)
    return results


def _send_share(func: Callable[[Any], Any], values: Sequence[Any], write: int) -> int:
    """In a forked process: compute the share and write (ok, results) or (False, the exception) to the pipe;
    returns the process's exit status."""
    try:
        outcome: tuple[bool, Any] = (True, [func(v) for v in values])
    except Exception as exc:  # sent to the parent, which raises it
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # what cannot be pickled is sent as text: the exception raised, else why
        cause = exc if outcome[0] else outcome[1]
        data = pickle.dumps((False, RuntimeError(f"{type(cause).__name__}: {cause}")))
    with os.fdopen(write, "wb") as pipe:
        pipe.write(data)
    return 0 if outcome[0] else 1


def _collect(pid: int, read: int) -> tuple[bool, Any]:
    """What a forked process of ``apply_each`` sent, once it has ended."""
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"a process computing values ended without a result ({os.waitstatus_to_exitcode(status)})")
    outcome: tuple[bool, Any] = pickle.loads(data)  # written by this process's own fork
    return outcome


def map_unique(values: pd.Series, func: Callable[[Any], R], *, processes: int = 1) -> pd.Series:
    """``values.map(func)`` computed once per distinct value (missing values are passed as None, once), in
    ``processes`` processes when there are many distinct values (``apply_each``)."""
    codes, distinct = _distinct_codes(values)
    table = np.empty(len(distinct), dtype=object)
    table[:] = apply_each(func, distinct, processes=processes)
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
