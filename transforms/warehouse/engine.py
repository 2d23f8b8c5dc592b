"""Open the warehouse through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL in production."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from transforms.faults import WarehouseUnavailableError, os_reason

#: How long a writer waits for a DuckDB warehouse another process holds (seconds); ``--lock-wait`` sets it.
LOCK_WAIT_ENV = "CRM_WAREHOUSE_LOCK_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 180.0
#: Set in a stage's process to the pid of the night's process (``crm-etl run``) that started it.
NIGHT_PROCESS_ENV = "CRM_NIGHT_PROCESS"
#: The name prefix of a stage's process (``crm-etl validate_file``, as ``ps`` shows it on Linux).
STAGE_PROCESS_NAME = "crm-etl "
_LOCKED = "Could not set lock"
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


class WarehouseLockedError(WarehouseUnavailableError):
    """Another process (an analyst's notebook, a second run) holds the DuckDB warehouse for writing."""


def lock_wait_seconds() -> float:
    """The configured wait for a held warehouse (``CRM_WAREHOUSE_LOCK_WAIT``, default 180 s)."""
    value = os.environ.get(LOCK_WAIT_ENV, "").strip()
    return float(value) if value else DEFAULT_LOCK_WAIT_SECONDS


def _locked_message(path: str, exc: BaseException, waited: float) -> str:
    holder = _HOLDER.search(str(exc))
    who = f"process {holder.group(2)} ({holder.group(1)})" if holder else "another process"
    return (
        f"the warehouse {path} is held by {who}; waited {waited:g} s. Close it there (a notebook?) or open it "
        f"read-only (duckdb.connect(path, read_only=True)), then run again (--lock-wait sets the wait)"
    )


def held_by_this_night(pid: int) -> bool:
    """Whether the warehouse's holder is this night's own process, or one of the stage processes it started.

    Why: with ``--workers``, a night's files run side by side in processes of their own, and each writes its
    attempt to ops.task_run when it ends; two that end together meet on DuckDB's one-writer lock for a moment.
    ``--lock-wait`` is how long to wait for somebody else (a notebook, another night): it must not fail a night
    on its own processes, so for them the wait is at least the default.
    """
    night = int(os.environ.get(NIGHT_PROCESS_ENV) or os.getpid())
    if pid == night:
        return True
    try:
        holder = psutil.Process(pid)
        return holder.name().startswith(STAGE_PROCESS_NAME) and night in {p.pid for p in holder.parents()[:3]}
    except psutil.Error:
        return False


def _wait_for_lock(engine: Engine, path: str, wait: float) -> None:
    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> Any:
        started = time.monotonic()
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except Exception as exc:
                if _LOCKED not in str(exc):
                    raise
                holder = _HOLDER.search(str(exc))
                ours = holder is not None and held_by_this_night(int(holder.group(2)))
                limit = max(wait, DEFAULT_LOCK_WAIT_SECONDS) if ours else wait
                left = limit - (time.monotonic() - started)
                if left <= 0:
                    raise WarehouseLockedError(_locked_message(path, exc, limit)) from None
                time.sleep(min(0.5, max(0.05, left)))


def make_engine(url: str, *, read_only: bool = False, lock_wait: float | None = None) -> Engine:
    """An engine for ``url``; a DuckDB file's folder is created on first use.

    A DuckDB file is opened read-only with ``read_only`` (readers: status, summary, notebooks, examples), so
    they work beside a notebook that has it open read-only too. A writer that finds the file held by another
    process waits up to ``lock_wait`` seconds (default ``lock_wait_seconds()``), then raises
    ``WarehouseLockedError`` naming the holder.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return create_engine(url, future=True)
    path = str(Path(parsed.database).expanduser())
    if read_only:
        return create_engine(url, future=True, connect_args={"read_only": True})
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnavailableError(
            f"cannot create the warehouse file {path}: its folder cannot be made ({os_reason(exc)}). "
            "Choose a folder this user can write (--warehouse)"
        ) from None
    engine = create_engine(url, future=True)
    _wait_for_lock(engine, path, lock_wait_seconds() if lock_wait is None else lock_wait)
    return engine


def warehouse_exists(url: str) -> bool:
    """Whether there is a warehouse to read (a DuckDB file must exist before it is opened read-only)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).expanduser().is_file()


def absolute_url(url: str) -> str:
    """A DuckDB URL with its file made absolute (``duckdb:///wh.duckdb`` is relative to the current folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return url
    path = Path(parsed.database).expanduser().resolve()
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for logs and the ops tables."""
    return make_url(url).render_as_string(hide_password=True)


def is_duckdb(engine: Engine) -> bool:
    """Whether the engine speaks to DuckDB (bulk loads then read Parquet directly)."""
    return engine.dialect.name == "duckdb"
