"""The ops log: every run and task attempt is written as it happens, so failed nights are visible too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine, text

from transforms.warehouse.ddl import apply_ddl


def utcnow() -> dt.datetime:
    """Wall-clock time for the ops log only (never used in a computation)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start_run(engine: Engine, *, run_id: str, as_of: dt.date, sources_file: str, warehouse: str) -> None:
    """Insert or restart the run's row (a retried run keeps one row)."""
    with engine.begin() as conn:
        apply_ddl(conn)
        conn.execute(text("delete from ops.run where run_id = :r"), {"r": run_id})
        conn.execute(
            text(
                "insert into ops.run (run_id, as_of, status, started_at, sources_file, warehouse) "
                "values (:r, :a, 'running', :t, :s, :w)"
            ),
            {"r": run_id, "a": as_of, "t": utcnow(), "s": sources_file, "w": warehouse},
        )


def record_failed_run(engine: Engine, *, run_id: str, as_of: dt.date, started_at: dt.datetime, message: str) -> None:
    """A failed run that could not be recorded when it ran (the warehouse was held): one ops.run row."""
    with engine.begin() as conn:
        apply_ddl(conn)
        conn.execute(text("delete from ops.run where run_id = :r"), {"r": run_id})
        conn.execute(
            text(
                "insert into ops.run (run_id, as_of, status, started_at, finished_at, message) "
                "values (:r, :a, 'failed', :t, :t, :m)"
            ),
            {"r": run_id, "a": as_of, "t": started_at, "m": message[:4000]},
        )


def finish_run(conn: Connection, *, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
    """Close the run's row with its outcome and counts (inside the caller's transaction)."""
    conn.execute(
        text(
            "update ops.run set status = :st, finished_at = :t, rows_read = :rr, rows_loaded = :rl, "
            "rows_quarantined = :rq, files_failed = :ff, message = :m where run_id = :r"
        ),
        {
            "st": status,
            "t": utcnow(),
            "rr": counts.get("rows_read", 0),
            "rl": counts.get("rows_loaded", 0),
            "rq": counts.get("rows_quarantined", 0),
            "ff": counts.get("files_failed", 0),
            "m": message,
            "r": run_id,
        },
    )


def fail_run(engine: Engine, *, run_id: str, message: str) -> None:
    """Mark a run failed, keeping whatever counts it had."""
    with engine.begin() as conn:
        conn.execute(
            text("update ops.run set status = 'failed', finished_at = :t, message = :m where run_id = :r"),
            {"t": utcnow(), "m": message[:4000], "r": run_id},
        )


def record_task(engine: Engine, row: dict[str, Any]) -> None:
    """Append one task attempt."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into ops.task_run (run_id, task, started_at, finished_at, status, rows_in, rows_out, "
                "peak_memory_mb, message) values (:run_id, :task, :started_at, :finished_at, :status, :rows_in, "
                ":rows_out, :peak_memory_mb, :message)"
            ),
            row,
        )
