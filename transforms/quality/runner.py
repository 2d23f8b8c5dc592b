"""Run the suites on the night's validation frames and turn every failing row into a ``dq.failure`` row.

Great Expectations runs with ``result_format=COMPLETE`` and the frame's ``_row`` as index column, so every
unexpected value comes back with its row, not a sample. Counts per source, field, rule and employee
(``dq.metric``) and per file (for the gate) are computed from the same checks.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transforms.lineage import ROW_LOCATION
from transforms.quality.chatter import quiet_great_expectations
from transforms.quality.checks import CONTACT_KINDS, SUITE_FRAME, SUITES, checks_for
from transforms.quality.columns import FAILING_ROW, FAILURE_COLUMNS, METRIC_COLUMNS, METRIC_COUNTS, METRIC_KEY
from transforms.quality.evaluate import checked_mask
from transforms.quality.frames import ROW
from transforms.quality.gate import FILE_COLUMNS, GateViolation, gate_violations
from transforms.quality.settings import QualitySettings
from transforms.quality.suites import build_suite

log = logging.getLogger(__name__)

#: Every failing value with its row (the frame's ``_row``): each one becomes a dq.failure row.
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW],
    "return_unexpected_index_query": False,
}
#: Failing values a Data Docs page lists per expectation (Great Expectations' own partial count).
DOCS_SAMPLE = 20
LISTED = {"unexpected_list", "unexpected_index_list", "partial_unexpected_list", "partial_unexpected_index_list"}


@dataclass
class QualityResult:
    """Everything one validation produced."""

    failures: pd.DataFrame
    metrics: pd.DataFrame
    per_file: pd.DataFrame
    violations: list[GateViolation]
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)
    data_docs: str | None = None


def _frame_for(suite: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    frame = frames.get(SUITE_FRAME[suite])
    if frame is None or frame.empty:
        return None
    if suite in CONTACT_KINDS:
        frame = frame[frame["source_kind"] == suite]
    return frame if len(frame) else None


def _context(docs_dir: Path | None) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        site: Any = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        ctx.add_data_docs_site(site_name="run", site_config=site)
    return ctx


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


def keep_for_data_docs(ctx: Any, result: Any, *, suite_name: str, batch_id: str | None) -> None:
    """Store a suite's result for the Data Docs: its failing values cut to a sample and HTML-escaped.

    The failures have been read from the full result when this is called; the Data Docs page shows each
    expectation's counts and the first ``DOCS_SAMPLE`` failing values (all of them are in dq.failure). The
    page's "Count" beside a sampled value counts it within the sample only; its total line counts every row.

    Great Expectations writes a failing value into its pages as it is, so an e-mail cell holding
    ``<img src=x onerror=...>`` would run in the steward's browser: the sample is escaped (never the data, nor the
    result the failures were read from).
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    for res in result.results:
        res.result = _escaped({k: _sample(k, v) for k, v in (res.result or {}).items()})
        if res.exception_info:
            res.exception_info = _escaped(dict(res.exception_info))
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=run_id,
        batch_identifier=batch_id,
    )
    ctx.validation_results_store.store_validation_results(
        suite_validation_result=result, suite_validation_result_identifier=key
    )


def _sample(key: str, value: Any) -> Any:
    """A list of failing values or rows cut to ``DOCS_SAMPLE`` items; anything else as it is."""
    return value[:DOCS_SAMPLE] if key in LISTED and isinstance(value, list) else value


def _text(v: object) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def run_quality(
    frames: dict[str, pd.DataFrame],
    *,
    settings: QualitySettings,
    as_of: dt.date,
    run_id: str,
    data_docs_dir: Path | None = None,
) -> QualityResult:
    """Run every suite that has rows; failures, metrics, per-file counts and gate violations.

    Each suite runs through the validator a validation definition's run uses, without that run's storing of
    the result: serializing every failing row of a large night cost more than the checks themselves, and
    ``Batch.validate`` would fingerprint (hash) the whole frame twice. Only a sample goes to the Data Docs.
    """
    from great_expectations.validator.v1_validator import Validator

    quiet_great_expectations()

    ctx = _context(data_docs_dir)
    source = ctx.data_sources.add_pandas("crm_staged")
    failures: list[pd.DataFrame] = []
    metrics: list[pd.DataFrame] = []
    per_file: list[pd.DataFrame] = []
    suites: dict[str, dict[str, Any]] = {}
    for name in SUITES:
        frame = _frame_for(name, frames)
        if frame is None:
            continue
        checks = {c.key: c for c in checks_for(name, settings, as_of)}
        suite = ctx.suites.add(build_suite(name, settings, as_of))
        definition = source.add_dataframe_asset(f"staged_{name}").add_batch_definition_whole_dataframe("night")
        validator = Validator(
            batch_definition=definition, batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
        )
        result = validator.validate_expectation_suite(suite)
        by_row = frame.set_index(ROW, drop=False)
        rule_checked: dict[str, np.ndarray] = {}
        rule_failed: dict[str, np.ndarray] = {}
        n_failed = 0
        for res in result.results:
            meta = getattr(res.expectation_config, "meta", None) or {}
            check = checks[meta["check"]]
            if res.exception_info and res.exception_info.get("raised_exception"):
                raise RuntimeError(f"suite {name}: {check.key}: {res.exception_info.get('exception_message')}")
            rows = [int(item[ROW]) for item in (res.result.get("unexpected_index_list") or [])]
            expected = int(res.result.get("unexpected_count") or 0)
            if len(rows) != expected:
                raise RuntimeError(f"suite {name}: {check.key}: {expected} failures but {len(rows)} rows listed")
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
        if data_docs_dir is not None:
            keep_for_data_docs(ctx, result, suite_name=suite.name, batch_id=validator.active_batch_id)
        suites[name] = {
            "rows": len(frame),
            "expectations": len(result.results),
            "success": bool(result.success),
            "failures": n_failed,
        }
        log.info("suite crm_%s: %d rows, %d expectations, %d failing values", name, len(frame), len(checks), n_failed)
    docs = None
    if data_docs_dir is not None:
        docs = ctx.build_data_docs(site_names=["run"]).get("run")
    fail_df = _failures(failures, as_of, run_id)
    metric_df = _metrics(metrics, as_of, run_id)
    file_df = pd.concat(per_file, ignore_index=True) if per_file else pd.DataFrame(columns=FILE_COLUMNS)
    file_df = with_failing_fields(file_df, fail_df)
    return QualityResult(fail_df, metric_df, file_df, gate_violations(file_df), suites, docs)


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
    return _metrics([p for p in parts if len(p)], as_of, run_id)


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


def _failures(parts: list[pd.DataFrame], as_of: dt.date, run_id: str) -> pd.DataFrame:
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in FAILURE_COLUMNS})
        empty["row_number"] = empty["row_number"].astype("int64")
        return empty
    out = pd.concat(parts, ignore_index=True)
    out["as_of"] = as_of
    out["run_id"] = run_id
    out["row_number"] = out["row_number"].astype("int64")
    return out[FAILURE_COLUMNS].sort_values(FAILURE_ORDER)


def _metrics(parts: list[pd.DataFrame], as_of: dt.date, run_id: str) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in METRIC_COLUMNS})
    keys = METRIC_KEY
    out = pd.concat(parts, ignore_index=True).groupby(keys, as_index=False)[METRIC_COUNTS].sum()
    out["completeness"] = np.where(out["checked"] > 0, 1 - out["failed"] / out["checked"].clip(lower=1), 1.0)
    out["as_of"] = as_of
    out["run_id"] = run_id
    return out[METRIC_COLUMNS].sort_values(keys).reset_index(drop=True)
