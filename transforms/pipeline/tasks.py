"""The nightly run's tasks. Each takes and returns paths; the DAG and `crm-etl run` call exactly these.

Order: prepare_run -> extract -> standardize -> validate -> link -> receivables -> segments -> publish -> report
-> summarize.
Every task overwrites only its own stage folder under data/runs/<run_id>/, so any of them can be retried.
The report runs even when an earlier task failed (a gated night still gets its control report and to-do lists).

Extract, standardize and validate also come file by file, for a scheduler that spreads the night's files over
workers: ``night_files`` lists them (as prepare_run resolved them), ``extract_file`` / ``standardize_file`` /
``validate_file`` do one file, and ``combine_extract`` / ``combine_standardize`` / ``combine_validate`` write the
stage's manifest from the files' results, as the whole stage does; the later stages cannot tell the difference.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from transforms.faults import FaultError, path_fault, warehouse_fault
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext, make_context
from transforms.pipeline.memory import release_memory
from transforms.pipeline.run_settings import snapshot_settings
from transforms.pipeline.summary import format_summary, read_summary
from transforms.pipeline.tracking import OWNED_RUNS, StageResult, tracked, tracked_file
from transforms.pipeline.unrecorded import record_in_run_folder, unrecorded_runs
from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.nights import OlderNightError, check_night_order

log = logging.getLogger(__name__)

#: The stages in order; each is a task taking and returning the run folder.
STAGES = ("extract", "standardize", "validate", "link", "receivables", "segments", "publish")

#: The stages that also come file by file: the task doing one file, and the one writing the stage's manifest.
FILE_STAGES = {
    "extract": ("extract_file", "combine_extract"),
    "standardize": ("standardize_file", "combine_standardize"),
    "validate": ("validate_file", "combine_validate"),
}


def _record_earlier_failures(engine: Engine, data_dir: str) -> None:
    """Runs that failed while the warehouse was held, kept in their folders: now into ops.run."""
    for row in unrecorded_runs(data_dir):
        ops.record_failed_run(
            engine,
            run_id=row["run_id"],
            as_of=dt.date.fromisoformat(row["as_of"]),
            started_at=dt.datetime.fromisoformat(row["started_at"]),
            message=row["message"],
        )
        Path(row["file"]).rename(Path(row["file"]).with_suffix(".recorded"))


def _check_night_order(engine: Engine, ctx: RunContext) -> None:
    """Refuse (and record as failed) a run of a night older than the newest published one, unless allowed."""
    refused: OlderNightError | None = None
    with engine.connect() as conn:
        try:
            check_night_order(conn, as_of=ctx.as_of_date, run_id=ctx.run_id, allow_older_night=ctx.allow_older_night)
        except OlderNightError as exc:
            refused = exc
    if refused is not None:
        ops.fail_run(engine, run_id=ctx.run_id, message=f"prepare_run: {refused}")
        raise refused


def prepare_run(
    *,
    sources: str,
    warehouse_url: str,
    as_of: str,
    run_id: str,
    data_dir: str,
    allow_older_night: bool = False,
    whole_run: bool = False,
    full_relink: bool = False,
) -> str:
    """Copy and validate the settings files, create the run folder and open the run in ops.run; returns the
    run folder.

    A night older than the newest published one is refused here, before any work (and again by publish):
    publishing it would move the customer ids and current tables back, unless ``allow_older_night``.
    ``full_relink``: the link task links every record again rather than only what changed since last night.
    ``whole_run``: this process runs every stage too (``crm-etl run``), so the run is recorded as its own from
    the start; under a scheduler each task records itself while it runs. Runs whose process died (kill -9)
    are marked failed here. A run folder or warehouse that cannot be written raises a ``FaultError`` in one line;
    the failure is recorded in ops.run, or in the run folder when the warehouse is what failed.
    """
    ctx = make_context(
        sources=sources,
        warehouse_url=warehouse_url,
        as_of=as_of,
        run_id=run_id,
        data_dir=data_dir,
        allow_older_night=allow_older_night,
        full_relink=full_relink,
    )
    try:
        # The settings of the whole run, copied and validated once: every task reads the copies.
        snapshot_settings(ctx.sources, ctx.run_dir)
        ctx.save()
        _list_night_files(ctx)
    except OSError as exc:
        unwritable = path_fault(
            exc,
            what=f"the run folder {ctx.run_dir}",
            fix="Choose a data folder this user can write (--data-dir, or CRM_DATA_DIR)",
        )
        _record_failure_in_warehouse(ctx.warehouse_url, run_id=run_id, as_of=as_of, message=str(unwritable))
        raise unwritable from None
    if whole_run:
        OWNED_RUNS.add(run_id)
    try:
        engine = make_engine(ctx.warehouse_url)
        try:
            ops.start_run(
                engine,
                run_id=run_id,
                as_of=ctx.as_of_date,
                sources_file=ctx.sources,
                warehouse=safe_url(ctx.warehouse_url),
                owner=ops.this_process() if whole_run else None,
            )
            for dead in ops.mark_dead_runs(engine):
                log.warning("run %s had stopped without finishing: marked failed in ops.run", dead)
            _record_earlier_failures(engine, ctx.data_dir)
            _check_night_order(engine, ctx)
        finally:
            engine.dispose()
    except OlderNightError:
        raise
    except Exception as exc:
        unavailable = warehouse_fault(exc, ctx.warehouse_url)
        if unavailable is None:
            raise
        where = _record_in_folder(ctx.run_dir, run_id=run_id, as_of=as_of, message=str(unavailable))
        raise type(unavailable)(f"{unavailable} (not in ops.run: {where})") from None
    log.info("run %s as of %s: staging in %s", run_id, as_of, ctx.run_dir)
    return ctx.run_dir


def _list_night_files(ctx: RunContext) -> None:
    """Resolve the sources' paths and globs once: the files every later task works on (the
    catalog's ``files``)."""
    from transforms.pipeline.file_plan import resolve_night_files, write_night_files

    write_night_files(ctx.run_dir, resolve_night_files(ctx.load_sources()))


def night_files(run_dir: str) -> list[str]:
    """The keys of the night's files, in the sources file's order: what a scheduler maps the per-file tasks over."""
    from transforms.pipeline.file_plan import read_night_files

    return [f.key for f in read_night_files(run_dir)]


def _record_in_folder(run_dir: str, *, run_id: str, as_of: str, message: str) -> str:
    """Keep a failure the warehouse could not take in the run folder; says where it went."""
    try:
        return f"recorded in {record_in_run_folder(run_dir, run_id=run_id, as_of=as_of, message=message)}"
    except OSError:
        return "the run folder could not be written either"


def _record_failure_in_warehouse(url: str, *, run_id: str, as_of: str, message: str) -> None:
    """A run that failed before it began (its folder cannot be written): one failed row in ops.run if possible."""
    try:
        engine = make_engine(url, lock_wait=0)
        try:
            ops.record_failed_run(
                engine,
                run_id=run_id,
                as_of=dt.date.fromisoformat(as_of),
                started_at=ops.utcnow(),
                message=message,
            )
        finally:
            engine.dispose()
    except (FaultError, SQLAlchemyError, OSError) as exc:
        log.warning("the failure could not be recorded in the warehouse either: %s", warehouse_fault(exc, url) or exc)


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


@tracked_file("extract_file")
def extract_file(ctx: RunContext, key: str) -> StageResult:
    """Read one of the night's files into the run's extract/ folder."""
    from transforms.pipeline.extract_stage import extract_file as extract_one

    return extract_one(ctx, key)


@tracked("extract")
def combine_extract(ctx: RunContext) -> StageResult:
    """The extract stage's manifest, once every file is read."""
    from transforms.pipeline.extract_stage import combine_extracts

    return combine_extracts(ctx)


@tracked_file("standardize_file")
def standardize_file(ctx: RunContext, key: str) -> StageResult:
    """Standardize one of the night's extracted files."""
    from transforms.pipeline.standardize_stage import standardize_file as standardize_one

    return standardize_one(ctx, key)


@tracked("standardize")
def combine_standardize(ctx: RunContext) -> StageResult:
    """The night's staged tables and the stage's manifest, once every file is standardized."""
    from transforms.pipeline.standardize_stage import combine_standardized

    return combine_standardized(ctx)


@tracked_file("validate_file")
def validate_file(ctx: RunContext, key: str) -> StageResult:
    """Run the data-quality suites on one file's staged rows (the gate is judged once, by combine_validate)."""
    from transforms.pipeline.validate_stage import validate_file as validate_one

    return validate_one(ctx, key)


@tracked("validate")
def combine_validate(ctx: RunContext) -> StageResult:
    """The night's data-quality results from its files'; refuse to go on when a critical rule breaks."""
    from transforms.pipeline.validate_stage import combine_validation

    return combine_validation(ctx)


@tracked("link")
def link(ctx: RunContext) -> StageResult:
    """Link tonight's records into customers with stable ids, golden records and the steward's review list."""
    from transforms.pipeline.link_stage import run_link

    return run_link(ctx)


@tracked("receivables")
def receivables(ctx: RunContext) -> StageResult:
    """Invoices and payments per customer, and each customer's payment reliability."""
    from transforms.pipeline.receivables_stage import run_receivables

    return run_receivables(ctx)


@tracked("segments")
def segments(ctx: RunContext) -> StageResult:
    """Customer features and segments, kept stable from night to night; the analysts' rule-based segment views."""
    from transforms.pipeline.segment_stage import run_segments

    return run_segments(ctx)


@tracked("report")
def report(ctx: RunContext) -> StageResult:
    """The control report and each employee's to-do list, on every night (it reads, never writes the warehouse)."""
    from transforms.pipeline.report_stage import run_report

    return run_report(ctx)


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


def run_all(
    *,
    sources: str,
    warehouse_url: str,
    as_of: str,
    run_id: str,
    data_dir: str,
    allow_older_night: bool = False,
    full_relink: bool = False,
) -> str:
    """All tasks in DAG order, without a scheduler; returns the summary text."""
    run_dir = prepare_run(
        sources=sources,
        warehouse_url=warehouse_url,
        as_of=as_of,
        run_id=run_id,
        data_dir=data_dir,
        allow_older_night=allow_older_night,
        whole_run=True,
        full_relink=full_relink,
    )
    run_stages(run_dir)
    return summarize(run_dir)


def run_stages(
    run_dir: str,
    on_stage: Callable[[str], None] | None = None,
    *,
    run_task: Callable[..., None] | None = None,
    workers: int = 1,
) -> None:
    """Every stage in order, then the report; the report also runs after a failure, which is then re-raised.

    ``run_task(task, run_dir, *args)`` runs each (``stage_process.run_stage_in_process`` gives each a process of
    its own, as ``crm-etl run`` does); by default they all run here, one after the other. With ``workers`` above
    one (and a ``run_task`` giving each task a process), the file-by-file stages run as the DAG runs them: the
    night's files ``workers`` at a time, largest first, then the task that combines them.
    """
    step = run_task or _run_here
    try:
        for stage in STAGES:
            if workers > 1 and run_task is not None and stage in FILE_STAGES:
                per_file, combine = FILE_STAGES[stage]
                _side_by_side(per_file, run_dir, largest_first(run_dir), step, workers)
                step(combine, run_dir)
            else:
                step(stage, run_dir)
            if on_stage:
                on_stage(stage)
    except Exception:
        if RunCatalog(run_dir).has_manifest("validate"):
            try:
                step("report", run_dir)
            except Exception:
                log.exception("the control report could not be written after the failure")
        raise
    step("report", run_dir)
    if on_stage:
        on_stage("report")


#: Below this many bytes of source files, the night's files are extracted, standardized and checked in one process
#: per stage rather than side by side: a process per file costs a second or two to start and set up (Great
#: Expectations' suites above all), more than a small file takes.
SIDE_BY_SIDE_BYTES = 64 * 2**20


def workers_for(run_dir: str, cores: int) -> int:
    """How many of the night's files to work on at once when the operator did not say: ``cores`` for a night
    whose files add up to ``SIDE_BY_SIDE_BYTES`` or more, else one."""
    from transforms.pipeline.file_plan import read_night_files

    total = sum(_size(f.path) for f in read_night_files(run_dir))
    return cores if total >= SIDE_BY_SIDE_BYTES else 1


def _size(path: str | None) -> int:
    """A file's size on disk; a missing file counts as empty."""
    return Path(path).stat().st_size if path and Path(path).is_file() else 0


def largest_first(run_dir: str) -> list[str]:
    """The keys of the night's files, the largest on disk first: run side by side, the longest start first and
    the small ones fill in around them (a missing file counts as empty)."""
    from transforms.pipeline.file_plan import read_night_files

    files = read_night_files(run_dir)
    return [f.key for f in sorted(files, key=lambda f: -_size(f.path))]


def _side_by_side(task: str, run_dir: str, keys: list[str], step: Callable[..., None], workers: int) -> None:
    """``task`` for every key, ``workers`` at a time. After a failure no other file starts; the ones running
    finish, and the first failure is raised (the stage's combining task does not run, as in the DAG)."""
    from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(workers, thread_name_prefix=task) as pool:
        futures: list[Future[None]] = [pool.submit(step, task, run_dir, key) for key in keys]
        wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f.done() and f.exception() is not None]
        if failed:
            for f in futures:
                f.cancel()  # those not started yet
            wait(futures)
            raise failed[0].exception()  # type: ignore[misc]


def _run_here(task: str, run_dir: str, *args: str) -> None:
    """One task in this process, then what it freed handed back: the next starts from what is still in use."""
    globals()[task](run_dir, *args)
    release_memory()


__all__ = [
    "FILE_STAGES",
    "STAGES",
    "RunContext",
    "combine_extract",
    "combine_standardize",
    "combine_validate",
    "extract",
    "extract_file",
    "largest_first",
    "link",
    "night_files",
    "prepare_run",
    "publish",
    "receivables",
    "report",
    "run_all",
    "run_stages",
    "segments",
    "standardize",
    "standardize_file",
    "summarize",
    "validate",
    "validate_file",
]
