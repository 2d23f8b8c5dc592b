"""The ops log: every run and task attempt is written as it happens, so failed nights are visible too."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, text

from transforms.warehouse.ddl import apply_ddl
from transforms.warehouse.load import insert_rows, table_columns


def utcnow() -> dt.datetime:
    """Wall-clock time for the ops log only (never used in a computation)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start_run(
    engine: Engine,
    *,
    run_id: str,
    as_of: dt.date,
    sources_file: str,
    warehouse: str,
    owner: dict[str, Any] | None = None,
) -> None:
    """Insert or restart the run's row (a retried run keeps one row); ``owner``: the process that runs it all."""
    owner = owner or {"pid": None, "host": None, "since": None}
    with engine.begin() as conn:
        apply_ddl(conn)
        conn.execute(text("delete from ops.run where run_id = :r"), {"r": run_id})
        conn.execute(
            text(
                "insert into ops.run (run_id, as_of, status, started_at, sources_file, warehouse, owner_pid, "
                "owner_host, owner_since) values (:r, :a, 'running', :t, :s, :w, :pid, :host, :since)"
            ),
            {"r": run_id, "a": as_of, "t": utcnow(), "s": sources_file, "w": warehouse, **owner},
        )


#: ops.run.message of a run whose process is gone while the run still said "running".
DIED = (
    "the process stopped without finishing (process {pid} on {host}: killed, out of memory, or the machine "
    "stopped); nothing of this run was published after that. Run the night again"
)


def this_process() -> dict[str, Any]:
    """The owner columns for the current process."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": utcnow()}


def claim_run(engine: Engine, *, run_id: str, owner: dict[str, Any] | None) -> None:
    """Record which process runs the run now (``owner`` from ``this_process()``), or that none does (None)."""
    owner = owner or {"pid": None, "host": None, "since": None}
    with engine.begin() as conn:
        conn.execute(
            text(
                "update ops.run set owner_pid = :pid, owner_host = :host, owner_since = :since "
                "where run_id = :r and status = 'running'"
            ),
            {**owner, "r": run_id},
        )


def release_run(engine: Engine, *, run_id: str, owner: dict[str, Any]) -> None:
    """Record that no process runs the run any more, unless another task of it claimed it since: a scheduler runs
    a night's files side by side, and the task still running must stay named."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "update ops.run set owner_pid = null, owner_host = null, owner_since = null "
                "where run_id = :r and status = 'running' and owner_pid = :pid and owner_host = :host"
            ),
            {"r": run_id, "pid": owner["pid"], "host": owner["host"]},
        )


def process_alive(pid: int, since: dt.datetime | None) -> bool:
    """Whether process ``pid`` of this host is still the one that took the run at ``since`` (UTC)."""
    import psutil

    try:
        created = dt.datetime.fromtimestamp(psutil.Process(pid).create_time(), dt.UTC).replace(tzinfo=None)
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return psutil.pid_exists(pid) if pid > 0 else False
    # a process created after the run was taken reuses the id: the run's own process is gone
    return since is None or created <= since + dt.timedelta(seconds=2)


def owner_alive(engine: Engine, *, run_id: str) -> bool:
    """Whether ops.run names a process of this host, still alive, as running the run now."""
    with engine.connect() as conn:
        if "owner_pid" not in {c.lower() for c in table_columns(conn, "ops", "run")}:
            return False
        row = conn.execute(
            text("select owner_pid, owner_host, owner_since from ops.run where run_id = :r"), {"r": run_id}
        ).fetchone()
    return bool(row and row[0] is not None and row[1] == socket.gethostname() and process_alive(int(row[0]), row[2]))


def dead_runs(
    conn: Connection, *, host: str | None = None, alive: Callable[[int, dt.datetime | None], bool] = process_alive
) -> list[dict[str, Any]]:
    """Runs still "running" whose process, on this host, is gone: killed (kill -9), or the machine stopped."""
    host = host or socket.gethostname()
    if "owner_pid" not in {c.lower() for c in table_columns(conn, "ops", "run")}:
        return []  # a warehouse no run of this version has opened yet
    rows = conn.execute(
        text(
            "select run_id, owner_pid, owner_since from ops.run where status = 'running' "
            "and owner_pid is not null and owner_host = :h"
        ),
        {"h": host},
    ).all()
    return [{"run_id": r[0], "message": DIED.format(pid=r[1], host=host)} for r in rows if not alive(int(r[1]), r[2])]


def mark_dead_runs(engine: Engine, *, alive: Callable[[int, dt.datetime | None], bool] = process_alive) -> list[str]:
    """Mark failed every run whose process is gone (see ``dead_runs``); returns their ids."""
    with engine.begin() as conn:
        dead = dead_runs(conn, alive=alive)
        for d in dead:
            conn.execute(
                text(
                    "update ops.run set status = 'failed', finished_at = :t, message = :m, owner_pid = null "
                    "where run_id = :r and status = 'running'"
                ),
                {"t": utcnow(), "m": d["message"], "r": d["run_id"]},
            )
    return [d["run_id"] for d in dead]


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
            "rows_quarantined = :rq, files_failed = :ff, message = :m, owner_pid = null where run_id = :r"
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
    """Mark a running run failed, keeping whatever counts it had.

    A run that published stays published: a later task that fails (the report) is in ops.task_run, and ops.run
    keeps saying what the warehouse holds, as ``crm-etl summary`` does.
    """
    with engine.begin() as conn:
        conn.execute(
            text(
                "update ops.run set status = 'failed', finished_at = :t, message = :m, owner_pid = null "
                "where run_id = :r and status not in ('succeeded', 'succeeded_with_errors')"
            ),
            {"t": utcnow(), "m": message[:4000], "r": run_id},
        )


def record_task(engine: Engine, row: dict[str, Any]) -> None:
    """Append one task attempt."""
    with engine.begin() as conn:
        insert_rows(conn, "ops.task_run", [row])
