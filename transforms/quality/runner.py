"""Run the suites on the night's validation frames and turn every failing row into a ``dq.failure`` row.

Great Expectations runs with ``result_format=COMPLETE`` and the frame's ``_row`` as index column, so every
unexpected value comes back with its row, not a sample. Counts per source, field, rule and employee
(``dq.metric``) and per file (for the gate) are computed from the same checks.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.quality.chatter import quiet_great_expectations
from transforms.quality.checks import SUITES, Check, checks_for
from transforms.quality.frames import ROW
from transforms.quality.settings import QualitySettings
from transforms.quality.suites import build_suite
from transforms.quality.tally import QualityResult, Tallies, frame_for

__all__ = ["QualityResult", "keep_for_data_docs", "run_quality"]

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
    found_so_far = Tallies()
    for name in SUITES:
        frame = frame_for(name, frames)
        if frame is None:
            continue
        checks = {c.key: c for c in checks_for(name, settings, as_of)}
        suite = ctx.suites.add(build_suite(name, settings, as_of))
        definition = source.add_dataframe_asset(f"staged_{name}").add_batch_definition_whole_dataframe("night")
        validator = Validator(
            batch_definition=definition, batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
        )
        result = validator.validate_expectation_suite(suite)
        found: list[tuple[Check, list[int]]] = []
        for res in result.results:
            meta = getattr(res.expectation_config, "meta", None) or {}
            check = checks[meta["check"]]
            if res.exception_info and res.exception_info.get("raised_exception"):
                raise RuntimeError(f"suite {name}: {check.key}: {res.exception_info.get('exception_message')}")
            rows = [int(item[ROW]) for item in (res.result.get("unexpected_index_list") or [])]
            expected = int(res.result.get("unexpected_count") or 0)
            if len(rows) != expected:
                raise RuntimeError(f"suite {name}: {check.key}: {expected} failures but {len(rows)} rows listed")
            found.append((check, rows))
        n_failed = found_so_far.add(name, frame, found, settings)
        if data_docs_dir is not None:
            keep_for_data_docs(ctx, result, suite_name=suite.name, batch_id=validator.active_batch_id)
        log.info("suite crm_%s: %d rows, %d expectations, %d failing values", name, len(frame), len(checks), n_failed)
    docs = None
    if data_docs_dir is not None:
        docs = ctx.build_data_docs(site_names=["run"]).get("run")
    return found_so_far.result(as_of, run_id, docs)
