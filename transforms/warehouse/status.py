"""Read the ops tables back for `crm-etl status` and `crm-etl summary`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, bindparam, text

from transforms.faults import warehouse_fault
from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine, warehouse_exists

log = logging.getLogger(__name__)


def _has_ops(conn: Any) -> bool:
    found = conn.execute(
        text("select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'run'")
    ).scalar()
    return bool(found)


@contextmanager
def _ops_reader(url: str, *, check_ops: bool = True) -> Iterator[Connection | None]:
    """A read-only connection to the warehouse, or None when it does not exist yet or (``check_ops``) holds no
    ops.run: readers then have nothing to show rather than an error."""
    if not warehouse_exists(url):
        yield None
        return
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            yield conn if not check_ops or _has_ops(conn) else None
    finally:
        engine.dispose()


def recent_runs(url: str, limit: int) -> list[dict[str, Any]]:
    """The latest runs, newest first.

    A run still "running" whose process on this host is gone (kill -9, the machine stopped) is shown failed with
    that reason, and marked so in ops.run when this login may write it and nothing holds the warehouse.
    """
    with _ops_reader(url) as conn:
        if conn is None:
            return []
        rows = [
            dict(r)
            for r in conn.execute(
                text("select * from ops.run order by started_at desc limit :n"), {"n": limit}
            ).mappings()
        ]
        dead = {d["run_id"]: d["message"] for d in ops.dead_runs(conn)}
    for r in rows:
        if r["run_id"] in dead:
            r.update(status="failed", message=dead[r["run_id"]])
    if dead:
        _mark_dead(url)
    return rows


def _mark_dead(url: str) -> None:
    """Record dead runs in ops.run; without the right or the lock, they are shown failed all the same."""
    try:
        engine = make_engine(url, lock_wait=0)
        try:
            ops.mark_dead_runs(engine)
        finally:
            engine.dispose()
    except Exception as exc:
        if warehouse_fault(exc, url) is None:
            raise
        log.info("dead runs not marked in ops.run: %s", warehouse_fault(exc, url))


def recent_failures(url: str, run_ids: list[str]) -> list[dict[str, Any]]:
    """Failed tasks and unreadable files of the given runs."""
    if not run_ids:
        return []
    with _ops_reader(url, check_ops=False) as conn:
        if conn is None:
            return []
        # Each result is read in full before the next query: on DuckDB a second query on the same connection
        # discards the rows the first one has not handed over yet.
        tasks = _read_all(
            conn,
            "select run_id, task as what, message, 'task' as kind from ops.task_run "
            "where status = 'failed' and run_id in :ids order by started_at desc",
            run_ids,
        )
        files = _read_all(
            conn,
            "select run_id, source_file as what, error as message, 'file' as kind from ops.reconciliation "
            "where status <> 'ok' and run_id in :ids",
            run_ids,
        )
        return tasks + files


def run_outcome(url: str, run_id: str) -> tuple[str, str | None] | None:
    """(status, message) of one run in ops.run, or None when the warehouse has no such run."""
    with _ops_reader(url) as conn:
        if conn is None:
            return None
        row = conn.execute(text("select status, message from ops.run where run_id = :r"), {"r": run_id}).first()
        dead = {d["run_id"]: d["message"] for d in ops.dead_runs(conn)}
    if row is None:
        return None
    return ("failed", dead[run_id]) if run_id in dead else (str(row[0]), row[1])


def latest_published_run(url: str) -> str | None:
    """The run id of the newest run that published."""
    with _ops_reader(url) as conn:
        if conn is None:
            return None
        row = conn.execute(
            text(
                "select run_id from ops.run where status in ('succeeded', 'succeeded_with_errors') "
                "order by finished_at desc limit 1"
            )
        ).first()
        return None if row is None else str(row[0])


def _read_all(conn: Connection, sql: str, run_ids: list[str]) -> list[dict[str, Any]]:
    """Every row of ``sql`` for ``run_ids`` (bound as ``:ids``), read in full before the caller's next query."""
    query = text(sql).bindparams(bindparam("ids", expanding=True))
    return [dict(r) for r in conn.execute(query, {"ids": run_ids}).mappings()]
