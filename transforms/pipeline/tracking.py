"""Wrap each stage so its attempt lands in ops.task_run, failed or not, with time and peak memory.

A stage that fails after the night's data-quality checks ran (the gate itself refusing the night, or a later
task failing) also hands the night's failing values to the publisher, which puts them into dq.* on their own:
the night is not published, but its failures are kept as every night's are.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from transforms.faults import as_fault, warehouse_fault
from transforms.pipeline.context import RunContext
from transforms.pipeline.memory import measure
from transforms.pipeline.unrecorded import record_in_run_folder
from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine
from transforms.warehouse.teardown import quiet_duckdb_teardown

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Runs whose every stage this process runs (``prepare_run(whole_run=True)``, as ``crm-etl run`` does): their
#: ops.run row names this process from the start. A stage of any other run (a scheduler's task) names its own
#: process while it runs, so a task killed with kill -9 leaves a run the next run or ``crm-etl status`` marks failed.
OWNED_RUNS: set[str] = set()


class StageResult:
    """What a stage hands back: the path or text for the next task, and its row counts for the log."""

    def __init__(self, value: str, *, rows_in: int = 0, rows_out: int = 0) -> None:
        self.value = value
        self.rows_in = rows_in
        self.rows_out = rows_out


def tracked(task: str) -> Callable[[Callable[[RunContext], StageResult]], Callable[[str], str]]:
    """Turn ``fn(ctx) -> StageResult`` into ``task(run_dir) -> str`` that logs its attempt in ops."""

    def wrap(fn: Callable[[RunContext], StageResult]) -> Callable[[str], str]:
        @functools.wraps(fn)
        def run(run_dir: str) -> str:
            quiet_duckdb_teardown()
            ctx = RunContext.load(run_dir)
            started = ops.utcnow()
            status, message, result = "succeeded", None, None
            owner = ops.this_process()
            if task == "report" and ctx.run_id not in OWNED_RUNS:
                _close_unfinished_night(ctx)  # before the report names itself the run's process
            claimed = ctx.run_id not in OWNED_RUNS and _claim(ctx, owner)
            with measure() as m:
                try:
                    if task == "report":
                        # A task killed outright (kill -9, out of memory) never reached the ``except`` below: the
                        # report, which runs whatever happened, makes sure the stopped night's dq rows are in.
                        _keep_quality_rows(ctx, unless_held=True)
                    result = fn(ctx)
                except Exception as exc:
                    fault = as_fault(exc, ctx.warehouse_url)
                    status, message = "failed", str(fault) if fault else f"{type(exc).__name__}: {exc}"
                    if task != "report" and warehouse_fault(exc, ctx.warehouse_url) is None:
                        _keep_quality_rows(ctx)
                    raise
                finally:
                    if claimed:
                        _claim(ctx, owner, release=True)
                    try:
                        _log_attempt(
                            ctx,
                            task=task,
                            started=started,
                            status=status,
                            message=message,
                            result=result,
                            peak=m.peak_rss_mb,
                        )
                    except Exception as exc:  # the warehouse cannot take it: kept where status finds it
                        fault = warehouse_fault(exc, ctx.warehouse_url)
                        if fault is None:
                            raise
                        try:
                            record_in_run_folder(
                                ctx.run_dir, run_id=ctx.run_id, as_of=ctx.as_of, message=message or str(fault)
                            )
                        except OSError:
                            log.warning("%s: the failure could not be kept in the run folder either", task)
                        if status == "succeeded":
                            raise fault from None
            log.info("%s finished in %.1fs, peak memory %.0f MB", task, m.seconds, m.peak_rss_mb)
            return result.value

        return run

    return wrap


def _keep_quality_rows(ctx: RunContext, *, unless_held: bool = False) -> None:
    """The stopped night's failing values and metrics into dq.* (when its checks ran); a warehouse that cannot
    take them is only logged: the task's own failure is what the operator must see."""
    from transforms.pipeline.publish_stage import publish_stopped_night

    try:
        loaded = publish_stopped_night(ctx, unless_held=unless_held)
    except Exception as exc:
        log.warning("the night's failing values could not be kept in dq.*: %s", as_fault(exc, ctx.warehouse_url) or exc)
        return
    if loaded is not None:
        log.info("run %s stopped before publishing: %d dq rows kept on their own", ctx.run_id, loaded)


def _close_unfinished_night(ctx: RunContext) -> None:
    """Mark the run failed when it reaches its report unpublished, still "running", and no live process runs it:
    a task of it was killed outright (kill -9, out of memory) and recorded nothing, maybe on a worker other than
    the one ops.run named as the run's process, so nothing else would ever close it. The message names where the
    night stopped."""
    from transforms.pipeline.publish_stage import was_published
    from transforms.quality.history import run_status

    try:
        engine = make_engine(ctx.warehouse_url)
        try:
            running = run_status(engine, ctx.run_id) == "running" and not ops.owner_alive(engine, run_id=ctx.run_id)
            if running and not was_published(ctx, engine):
                where = unfinished_step(ctx)
                ops.fail_run(
                    engine,
                    run_id=ctx.run_id,
                    message=f"{where} never finished and recorded no failure: its process was probably killed "
                    "(out of memory, or stopped by hand); nothing of this night was published. Run the night again",
                )
                log.warning("run %s: %s never finished; marked failed in ops.run", ctx.run_id, where)
        finally:
            engine.dispose()
    except Exception as exc:
        if warehouse_fault(exc, ctx.warehouse_url) is None:
            raise


def unfinished_step(ctx: RunContext) -> str:
    """The first step of the night without its output: a stage, or a stage of one of the night's files."""
    from transforms.pipeline.file_plan import read_night_files
    from transforms.pipeline.tasks import STAGES

    run = ctx.catalog
    per_file = {"extract": "extract.file_report", "standardize": "standardize.file_manifest"}
    for stage in STAGES:
        if run.has_manifest(stage):
            continue
        if stage in per_file and run.exists("files"):
            missing = [f.key for f in read_night_files(ctx.run_dir) if not run.exists(per_file[stage], file=f.part)]
            if missing:
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                return f"{stage} of {', '.join(missing[:3])}{more}"
        return stage
    return "the report"


def tracked_file(task: str) -> Callable[[Callable[[RunContext, str], StageResult]], Callable[[str, str], str]]:
    """Turn ``fn(ctx, key) -> StageResult`` (one of the night's files) into ``task(run_dir, key) -> str``, whose
    attempt is logged in ops as ``<task> <key>``."""

    def wrap(fn: Callable[[RunContext, str], StageResult]) -> Callable[[str, str], str]:
        @functools.wraps(fn)
        def run(run_dir: str, key: str) -> str:
            return tracked(f"{task} {key}")(lambda ctx: fn(ctx, key))(run_dir)

        return run

    return wrap


def record_lost_task(ctx: RunContext, *, task: str, started: object, message: str) -> None:
    """Record the failure of a task whose process died without a word (killed, out of memory), from the process
    that started it: in ops.task_run and ops.run, or in the run folder when the warehouse cannot take it."""
    try:
        _log_attempt(ctx, task=task, started=started, status="failed", message=message, result=None, peak=None)
    except Exception as exc:
        if warehouse_fault(exc, ctx.warehouse_url) is None:
            raise
        record_in_run_folder(ctx.run_dir, run_id=ctx.run_id, as_of=ctx.as_of, message=f"{task}: {message}")


def _claim(ctx: RunContext, owner: dict[str, object], *, release: bool = False) -> bool:
    """Name the process running the run's current task in ops.run (``release``: no longer, if it still is named);
    False when impossible."""
    engine = make_engine(ctx.warehouse_url)
    try:
        if release:
            ops.release_run(engine, run_id=ctx.run_id, owner=owner)
        else:
            ops.claim_run(engine, run_id=ctx.run_id, owner=owner)
        return True
    except Exception as exc:
        if warehouse_fault(exc, ctx.warehouse_url) is None:
            raise
        return False  # the stage reports the warehouse itself when it needs it
    finally:
        engine.dispose()


def _log_attempt(
    ctx: RunContext,
    *,
    task: str,
    started: object,
    status: str,
    message: str | None,
    result: StageResult | None,
    peak: float | None,
) -> None:
    engine = make_engine(ctx.warehouse_url)
    try:
        ops.record_task(
            engine,
            {
                "run_id": ctx.run_id,
                "task": task,
                "started_at": started,
                "finished_at": ops.utcnow(),
                "status": status,
                "rows_in": result.rows_in if result else None,
                "rows_out": result.rows_out if result else None,
                "peak_memory_mb": None if peak is None else round(peak, 1),
                "message": message[:4000] if message else None,
            },
        )
        if status == "failed":
            ops.fail_run(engine, run_id=ctx.run_id, message=f"{task}: {message}")
    finally:
        engine.dispose()
