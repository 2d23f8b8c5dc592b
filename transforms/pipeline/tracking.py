"""Wrap each stage so its attempt lands in ops.task_run, failed or not, with time and peak memory."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from transforms.pipeline.context import RunContext
from transforms.pipeline.memory import measure
from transforms.pipeline.unrecorded import record_in_run_folder
from transforms.warehouse import ops
from transforms.warehouse.engine import WarehouseLockedError, make_engine
from transforms.warehouse.teardown import quiet_duckdb_teardown

log = logging.getLogger(__name__)

T = TypeVar("T")


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
            with measure() as m:
                try:
                    result = fn(ctx)
                except Exception as exc:
                    status, message = "failed", f"{type(exc).__name__}: {exc}"
                    raise
                finally:
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
                    except WarehouseLockedError as locked:  # the reason is kept where status finds it
                        record_in_run_folder(
                            ctx.run_dir, run_id=ctx.run_id, as_of=ctx.as_of, message=message or str(locked)
                        )
                        if status == "succeeded":
                            raise
            log.info("%s finished in %.1fs, peak memory %.0f MB", task, m.seconds, m.peak_rss_mb)
            return result.value

        return run

    return wrap


def _log_attempt(
    ctx: RunContext,
    *,
    task: str,
    started: object,
    status: str,
    message: str | None,
    result: StageResult | None,
    peak: float,
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
                "peak_memory_mb": round(peak, 1),
                "message": message[:4000] if message else None,
            },
        )
        if status == "failed":
            ops.fail_run(engine, run_id=ctx.run_id, message=f"{task}: {message}")
    finally:
        engine.dispose()
