"""The validate task: the night's staged tables checked by the data-quality suites before anything is published.

Reads the standardize stage's tables (contact, invoice, payment, field_issue), runs the Great Expectations
suites of ``transforms.quality`` and writes these datasets of the run catalog (``transforms.pipeline.catalog``):

- ``validate.failure``: one row per failing value (``dq.failure``), with the row's lineage;
- ``validate.metric``: checked / failed / completeness per source, field, rule and employee (``dq.metric``);
- ``validate.per_file``: per rule and file, the distinct rows checked and failing (what the gate judges);
- ``validate.data_docs``: the Great Expectations Data Docs (HTML) of the night's validations;
- ``validate.manifest``: paths, counts, the settings used and the gate's verdict.

Besides the suites, two rules are judged per file (``transforms.quality.file_rules``): the file's age
(freshness) and its row count against the last published night, read from the warehouse's
``ops.reconciliation`` (nothing to compare on a first night).

When a critical rule fails on more of a file's rows than its tolerance, everything is written first, then
``QualityGateError`` is raised naming the rule, the field, the file, the counts and the settings file (the task's
failure then puts the night's failing values into dq.* on their own: ``publish_stage.publish_stopped_night``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.quality.chatter import quiet_great_expectations
from transforms.quality.customer_rows import name_customers
from transforms.quality.file_rules import file_rule_results
from transforms.quality.frames import frames_for_run
from transforms.quality.gate import QualityGateError, gate_violations
from transforms.quality.history import previous_row_counts
from transforms.quality.settings import DEFAULT_FILE, check_source_names, settings_for_sources
from transforms.standardize.sentinels import load_sentinels
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

STAGED = ("contact", "invoice", "payment", "field_issue")


def read_staged(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The standardize stage's tables of a run (absent ones as empty frames)."""
    run = RunCatalog(run_dir)
    run.manifest("standardize")  # the stage has run
    return {table: run.read(f"standardize.{table}") for table in STAGED}


def settings_file_hint(origin: str, sources_file: str | Path) -> str:
    """Where an operator changes a tolerance: the company's quality.yml, or where to create one."""
    if origin != "bundled defaults":
        return origin
    beside = Path(sources_file).expanduser().resolve().parent / "quality.yml"
    return f"the bundled defaults ({DEFAULT_FILE}); to change them, write {beside}"


def _previous_counts(ctx: RunContext) -> dict[tuple[str, str], int]:
    engine = make_engine(ctx.warehouse_url)
    try:
        return previous_row_counts(engine, run_id=ctx.run_id, as_of=ctx.as_of_date)
    finally:
        engine.dispose()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [f for f in frames if len(f)]
    if not parts:
        return frames[0]
    return pd.concat(parts, ignore_index=True)[list(frames[0].columns)]


def run_validate(ctx: RunContext, *, data_docs: bool = True) -> StageResult:
    """Validate the run's staged tables; write failures, metrics and Data Docs; raise if the gate fails."""
    quiet_great_expectations()  # before the runner imports it: the import itself logs
    from transforms.quality.runner import run_quality

    sources = ctx.load_sources()
    settings, origin = settings_for_sources(ctx.settings_file)
    origin = ctx.shown(origin)
    check_source_names(settings, [s.name for s in sources.sources], origin)
    sentinels = load_sentinels(sources.defaults.sentinels or None)
    run = ctx.catalog
    staged = read_staged(ctx.run_dir)
    run.stage_folder("validate")
    docs_dir = run.path("validate.data_docs")
    shutil.rmtree(docs_dir, ignore_errors=True)
    frames = frames_for_run(staged, settings=settings, sentinels=sentinels, sources=sources, as_of=ctx.as_of_date)
    result = run_quality(
        frames,
        settings=settings,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        data_docs_dir=docs_dir if data_docs else None,
    )
    files = run.manifest("extract")["files"]
    by_file = file_rule_results(
        files,
        sources=sources,
        settings=settings,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        previous=_previous_counts(ctx),
    )
    result.failures = name_customers(
        _concat([result.failures, by_file.failures]),
        contacts=staged["contact"],
        invoices=staged["invoice"],
        payments=staged["payment"],
    )
    result.metrics = _concat([result.metrics, by_file.metrics])
    result.per_file = _concat([result.per_file, by_file.per_file])
    result.violations = gate_violations(result.per_file)
    paths: dict[str, str] = {}
    for name, frame in (("failure", result.failures), ("metric", result.metrics), ("per_file", result.per_file)):
        paths[name] = str(run.write(f"validate.{name}", frame))
    rows_in = sum(len(f) for f in frames.values())
    manifest: dict[str, Any] = {
        "settings": origin,
        "tables": {
            "failure": {"path": paths["failure"], "rows": len(result.failures)},
            "metric": {"path": paths["metric"], "rows": len(result.metrics)},
            "per_file": {"path": paths["per_file"], "rows": len(result.per_file)},
        },
        "data_docs": result.data_docs,
        "suites": result.suites,
        "failures_by_rule": result.failures.groupby("rule").size().astype(int).to_dict()
        if len(result.failures)
        else {},
        "gate": {
            "passed": not result.violations,
            "violations": [v.describe() for v in result.violations],
        },
    }
    manifest_path = run.write_manifest("validate", manifest)
    log.info("validate: %d rows checked, %d failing values (%s)", rows_in, len(result.failures), origin)
    if result.violations:
        raise QualityGateError(result.violations, settings_file_hint(origin, ctx.sources))
    return StageResult(manifest_path, rows_in=rows_in, rows_out=len(result.failures))
