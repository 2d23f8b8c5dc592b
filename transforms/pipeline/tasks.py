"""The nightly run's tasks. Each takes and returns paths; the DAG and `crm-etl run` call exactly these.

Order: prepare_run -> extract -> standardize -> validate -> publish -> summarize. Every task overwrites only its
own stage folder under data/runs/<run_id>/, so any of them can be retried.
"""

from __future__ import annotations

import logging

from transforms.pipeline.context import RunContext, make_context
from transforms.pipeline.summary import format_summary, read_summary
from transforms.pipeline.tracking import StageResult, tracked
from transforms.settings import load_sources
from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine, safe_url

log = logging.getLogger(__name__)

STAGES = ("extract", "standardize", "validate", "publish")


def prepare_run(*, sources: str, warehouse_url: str, as_of: str, run_id: str, data_dir: str) -> str:
    """Validate the sources file, create the run folder and open the run in ops.run; returns the run folder."""
    ctx = make_context(sources=sources, warehouse_url=warehouse_url, as_of=as_of, run_id=run_id, data_dir=data_dir)
    load_sources(ctx.sources)
    ctx.save()
    engine = make_engine(ctx.warehouse_url)
    try:
        ops.start_run(
            engine,
            run_id=run_id,
            as_of=ctx.as_of_date,
            sources_file=ctx.sources,
            warehouse=safe_url(ctx.warehouse_url),
        )
    finally:
        engine.dispose()
    log.info("run %s as of %s: staging in %s", run_id, as_of, ctx.run_dir)
    return ctx.run_dir


# Each stage imports its heavy modules (pandas, readers) only when it runs, so that preparing a run
# or parsing the DAG stays quick.


@tracked("extract")
def extract(ctx: RunContext) -> StageResult:
    """Read every declared file into the run's extract/ folder."""
    from transforms.pipeline.extract_stage import run_extract

    return run_extract(ctx)


@tracked("standardize")
def standardize(ctx: RunContext) -> StageResult:
    """Standardize the extracts into the run's staged tables."""
    from transforms.pipeline.standardize_stage import run_standardize

    return run_standardize(ctx)


@tracked("validate")
def validate(ctx: RunContext) -> StageResult:
    """Check the staged tables with the data-quality suites; refuse to go on when a critical rule breaks."""
    from transforms.pipeline.validate_stage import run_validate

    return run_validate(ctx)


@tracked("publish")
def publish(ctx: RunContext) -> StageResult:
    """Reconcile and publish the night's tables in one transaction."""
    from transforms.pipeline.publish_stage import run_publish

    return run_publish(ctx)


def summarize(run_dir: str) -> str:
    """The run's summary as text (also what `make demo` prints)."""
    text = format_summary(read_summary(run_dir))
    log.info("\n%s", text)
    return text


def run_all(*, sources: str, warehouse_url: str, as_of: str, run_id: str, data_dir: str) -> str:
    """All tasks in DAG order, without a scheduler; returns the summary text."""
    run_dir = prepare_run(sources=sources, warehouse_url=warehouse_url, as_of=as_of, run_id=run_id, data_dir=data_dir)
    extract(run_dir)
    standardize(run_dir)
    validate(run_dir)
    publish(run_dir)
    return summarize(run_dir)


__all__ = [
    "STAGES",
    "RunContext",
    "extract",
    "prepare_run",
    "publish",
    "run_all",
    "standardize",
    "summarize",
    "validate",
]
