"""A validation's results as the warehouse keeps them: failing rows, metrics and per-file counts, from the rows
each check failed.

``runner.run_quality`` gets those rows from Great Expectations; ``check_directly`` from the pandas evaluator
(``evaluate``), for the few rows a reused validation checks again. Both tally them here, so they count alike, and
this module does not import Great Expectations (a night that reuses its verdicts need not load it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from transforms.lineage import ROW_LOCATION
from transforms.quality.checks import CONTACT_KINDS, SUITE_FRAME, SUITES, Check, checks_for
from transforms.quality.columns import FAILING_ROW, FAILURE_COLUMNS, METRIC_COLUMNS, METRIC_COUNTS, METRIC_KEY
from transforms.quality.evaluate import checked_mask, failing_mask
from transforms.quality.frames import ROW
from transforms.quality.gate import FILE_COLUMNS, GateViolation, gate_violations
from transforms.quality.settings import QualitySettings


@dataclass
class QualityResult:
    """Everything one validation produced."""

    failures: pd.DataFrame
    metrics: pd.DataFrame
    per_file: pd.DataFrame
    violations: list[GateViolation]
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)
    data_docs: str | None = None


def frame_for(suite: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    frame = frames.get(SUITE_FRAME[suite])
    if frame is None or frame.empty:
        return None
    if suite in CONTACT_KINDS:
        frame = frame[frame["source_kind"] == suite]
    return frame if len(frame) else None


def _text(v: object) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def check_directly(
    frames: dict[str, pd.DataFrame],
    *,
    settings: QualitySettings,
    as_of: dt.date,
    run_id: str,
    rules: Collection[str],
) -> QualityResult:
    """The checks of these ``rules`` in every suite that has rows, evaluated with pandas (``evaluate``, which a
    test holds to Great Expectations' verdicts) and tallied as ``run_quality`` tallies them; no Data Docs.

    For a few rows checked again (``transforms.pipeline.validate_recheck``): setting Great Expectations up costs
    about a second a call, the checks themselves a few milliseconds."""
    found_so_far = Tallies()
    for name in SUITES:
        frame = frame_for(name, frames)
        if frame is None:
            continue
        checks = [c for c in checks_for(name, settings, as_of) if c.rule in rules]
        found = [(c, frame.loc[failing_mask(c, frame).to_numpy(), ROW].astype(int).tolist()) for c in checks]
        found_so_far.add(name, frame, found, settings)
    return found_so_far.result(as_of, run_id)


@dataclass
class Tallies:
    """What the suites found so far: dq.failure rows, dq.metric and per-file counts, and each suite's summary."""

    failures: list[pd.DataFrame] = field(default_factory=list)
    metrics: list[pd.DataFrame] = field(default_factory=list)
    per_file: list[pd.DataFrame] = field(default_factory=list)
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self, suite: str, frame: pd.DataFrame, found: list[tuple[Check, list[int]]], settings: QualitySettings
    ) -> int:
        """One suite's failing rows (each check's ``_row`` values) on ``frame``; how many failing values. No check
        allows failures ("mostly"), so the suite passed exactly when none failed."""
        n_failed = tally(frame, found, settings, failures=self.failures, metrics=self.metrics, per_file=self.per_file)
        self.suites[suite] = {
            "rows": len(frame),
            "expectations": len(found),
            "success": not n_failed,
            "failures": n_failed,
        }
        return n_failed

    def result(self, as_of: dt.date, run_id: str, data_docs: str | None = None) -> QualityResult:
        """Everything found, as one validation's result stamped with its night."""
        fail_df = failure_frame(self.failures, as_of, run_id)
        file_df = pd.concat(self.per_file, ignore_index=True) if self.per_file else pd.DataFrame(columns=FILE_COLUMNS)
        file_df = with_failing_fields(file_df, fail_df)
        metric_df = metric_frame(self.metrics, as_of, run_id)
        return QualityResult(fail_df, metric_df, file_df, gate_violations(file_df), self.suites, data_docs)


def tally(
    frame: pd.DataFrame,
    found: list[tuple[Check, list[int]]],
    settings: QualitySettings,
    *,
    failures: list[pd.DataFrame],
    metrics: list[pd.DataFrame],
    per_file: list[pd.DataFrame],
) -> int:
    """One suite's failing rows (each check's ``_row`` values) as dq.failure rows, dq.metric counts and per-file
    counts, appended to those lists; how many failing values. Shared by the Great Expectations run and the
    direct evaluation, so both count alike."""
    by_row = frame.set_index(ROW, drop=False)
    rule_checked: dict[str, np.ndarray] = {}
    rule_failed: dict[str, np.ndarray] = {}
    n_failed = 0
    for check, rows in found:
        checked = checked_mask(check, frame).to_numpy()
        failed = frame[ROW].isin(rows).to_numpy()
        rule_checked[check.rule] = rule_checked.get(check.rule, np.zeros(len(frame), bool)) | checked
        rule_failed[check.rule] = rule_failed.get(check.rule, np.zeros(len(frame), bool)) | failed
        rs = settings.rule(check.rule)
        if rows:
            part = by_row.loc[rows]
            fail = part[FAILING_ROW].copy()
            fail["field"] = check.field
            fail["rule"] = check.rule
            fail["severity"] = rs.severity
            fail["value"] = [_text(v) for v in part[check.value_column]]
            fail["message"] = check.message
            failures.append(fail)
            n_failed += len(rows)
        counts = pd.DataFrame(
            {
                "source_name": frame["source_name"].to_numpy(),
                "responsible": frame["responsible"].to_numpy(),
                "checked": checked.astype("int64"),
                "failed": failed.astype("int64"),
            }
        )
        counts = counts[counts["checked"].gt(0) | counts["failed"].gt(0)]
        grouped = counts.groupby(["source_name", "responsible"], as_index=False)[["checked", "failed"]].sum()
        grouped["field"] = check.field
        grouped["rule"] = check.rule
        grouped["severity"] = rs.severity
        metrics.append(grouped)
    for rule, checked_rows in rule_checked.items():
        rs = settings.rule(rule)
        counts = pd.DataFrame(
            {
                "source_name": frame["source_name"].to_numpy(),
                "source_file": frame["source_file"].to_numpy(),
                "checked": checked_rows.astype("int64"),
                "failed": rule_failed[rule].astype("int64"),
            }
        )
        g = counts.groupby(["source_name", "source_file"], as_index=False)[["checked", "failed"]].sum()
        g["rule"], g["severity"], g["tolerance"] = rule, rs.severity, rs.tolerance
        g["min_rows"] = settings.min_rows(rule)
        g["fields"] = ""
        per_file.append(g[FILE_COLUMNS])
    return n_failed


def with_failing_fields(per_file: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    """Per-file counts with the fields that failed each rule (\"surname 12, date_of_birth 3\"), for the gate."""
    if per_file.empty or failures.empty:
        return per_file
    keys = ["rule", "source_name", "source_file"]
    counts = failures.groupby([*keys, "field"]).size().rename("n").reset_index()
    counts = counts.sort_values([*keys, "n"], ascending=[True, True, True, False])
    label = counts["field"].astype(str).replace("*", "the whole row")
    counts["text"] = label + " (" + counts["n"].astype(str) + ")"
    joined = counts.groupby(keys)["text"].agg(", ".join).rename("joined").reset_index()
    out = per_file.merge(joined, on=keys, how="left")
    out["fields"] = out["joined"].fillna(out["fields"]).fillna("")
    return out[FILE_COLUMNS]


def merge_metrics(parts: list[pd.DataFrame], *, as_of: dt.date, run_id: str) -> pd.DataFrame:
    """The metrics of several validations (one per file) summed as one validation of all their rows counts them."""
    return metric_frame([p for p in parts if len(p)], as_of, run_id)


def merge_per_file(parts: list[pd.DataFrame], failures: pd.DataFrame) -> pd.DataFrame:
    """The per-file counts of several validations, as one validation of all their rows gives them.

    A file checked in pieces has one row per rule in each piece: their distinct rows are summed (the pieces
    hold different rows), and the failing fields are named again from the failures of every piece.
    """
    rows = [p for p in parts if len(p)]
    if not rows:
        return parts[0] if parts else pd.DataFrame(columns=FILE_COLUMNS)
    keys = [c for c in FILE_COLUMNS if c not in ("fields", "checked", "failed")]
    summed = pd.concat(rows, ignore_index=True).groupby(keys, sort=False, as_index=False, dropna=False)
    out = summed[["checked", "failed"]].sum()
    out["fields"] = ""
    return with_failing_fields(out[FILE_COLUMNS], failures)


#: The order failures are written in: by file and row, so that a person reads their rows in order.
FAILURE_ORDER = [*ROW_LOCATION, "rule", "field"]


def sort_failures(failures: pd.DataFrame) -> pd.DataFrame:
    """Failures of several validations in the order one validation writes them."""
    return failures.sort_values(FAILURE_ORDER, kind="stable").reset_index(drop=True)


def failure_frame(parts: list[pd.DataFrame], as_of: dt.date, run_id: str) -> pd.DataFrame:
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in FAILURE_COLUMNS})
        empty["row_number"] = empty["row_number"].astype("int64")
        return empty
    out = pd.concat(parts, ignore_index=True)
    out["as_of"] = as_of
    out["run_id"] = run_id
    out["row_number"] = out["row_number"].astype("int64")
    return out[FAILURE_COLUMNS].sort_values(FAILURE_ORDER)


def metric_frame(parts: list[pd.DataFrame], as_of: dt.date, run_id: str) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in METRIC_COLUMNS})
    keys = METRIC_KEY
    out = pd.concat(parts, ignore_index=True).groupby(keys, as_index=False)[METRIC_COUNTS].sum()
    out["completeness"] = np.where(out["checked"] > 0, 1 - out["failed"] / out["checked"].clip(lower=1), 1.0)
    out["as_of"] = as_of
    out["run_id"] = run_id
    return out[METRIC_COLUMNS].sort_values(keys).reset_index(drop=True)
