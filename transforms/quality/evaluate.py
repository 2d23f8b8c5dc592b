"""The checks evaluated directly with pandas, without a Great Expectations context.

The nightly run goes through Great Expectations (for its Data Docs); a single record typed into a form
(``check_record``) and the golden records of the linkage stage need the same verdicts in milliseconds.
Both read the same ``Check`` records, and a test runs this evaluator and Great Expectations on the same
night and requires identical failing rows, so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.quality.checks import Check


def failing_mask(check: Check, frame: pd.DataFrame) -> pd.Series:
    """The rows of ``frame`` that fail ``check``, with the semantics of its Great Expectations expectation.

    Row conditions limit the rows looked at; every test but not_null / null ignores empty cells.
    """
    scope = pd.Series(True, index=frame.index)
    if check.when is not None:
        scope &= frame[check.when[0]].eq(check.when[1]).fillna(False).astype(bool)
    values = frame[check.column]
    present = values.notna()
    if check.test == "not_null":
        return scope & ~present
    if check.test == "null":
        return scope & present
    if check.test == "regex":
        matches = values.astype("object").where(present, "").astype(str).str.contains(check.params["regex"], regex=True)
        return scope & present & ~matches.astype(bool)
    if check.test == "in_set":
        return scope & present & ~values.isin(check.params["value_set"])
    if check.test == "between":
        low, high = check.params.get("min_value"), check.params.get("max_value")
        bad = pd.Series(False, index=frame.index)
        if low is not None:
            bad |= (values < low).fillna(False).astype(bool)
        if high is not None:
            bad |= (values > high).fillna(False).astype(bool)
        return scope & present & bad
    if check.test == "unique":
        return scope & present & values.where(scope & present).duplicated(keep=False) & (scope & present)
    raise ValueError(f"unknown test {check.test!r}")


def checked_mask(check: Check, frame: pd.DataFrame) -> pd.Series:
    """The rows an expectation looked at: its row condition, and a value where the test ignores empty cells."""
    mask = pd.Series(True, index=frame.index)
    if check.when is not None:
        mask &= frame[check.when[0]].eq(check.when[1]).fillna(False).astype(bool)
    if check.checked_column is not None:
        mask &= frame[check.checked_column].notna()
    elif check.test not in ("not_null", "null"):
        mask &= frame[check.column].notna()
    return mask


def evaluate_checks(frame: pd.DataFrame, checks: list[Check]) -> dict[str, np.ndarray]:
    """For each check (by key), the positions of the rows of ``frame`` that fail it."""
    return {c.key: np.flatnonzero(failing_mask(c, frame).to_numpy()) for c in checks}
