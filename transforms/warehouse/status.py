"""Read the ops tables back for `crm-etl status` and `crm-etl summary`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text

from transforms.warehouse.engine import make_engine, warehouse_exists


def _has_ops(conn: Any) -> bool:
    found = conn.execute(
        text("select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'run'")
    ).scalar()
    return bool(found)


def recent_runs(url: str, limit: int) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    if not warehouse_exists(url):
        return []
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            if not _has_ops(conn):
                return []
            rows = conn.execute(
                text("select * from ops.run order by started_at desc limit :n"), {"n": limit}
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def recent_failures(url: str, run_ids: list[str]) -> list[dict[str, Any]]:
    """Failed tasks and unreadable files of the given runs."""
    if not run_ids or not warehouse_exists(url):
        return []
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            tasks = conn.execute(
                text(
                    "select run_id, task as what, message from ops.task_run "
                    "where status = 'failed' and run_id in :ids order by started_at desc"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": run_ids},
            ).mappings()
            files = conn.execute(
                text(
                    "select run_id, source_file as what, error as message from ops.reconciliation "
                    "where status <> 'ok' and run_id in :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": run_ids},
            ).mappings()
            return [dict(r) for r in tasks] + [dict(r) for r in files]
    finally:
        engine.dispose()


def latest_published_run(url: str) -> str | None:
    """The run id of the newest run that published."""
    if not warehouse_exists(url):
        return None
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            if not _has_ops(conn):
                return None
            row = conn.execute(
                text(
                    "select run_id from ops.run where status in ('succeeded', 'succeeded_with_errors') "
                    "order by finished_at desc limit 1"
                )
            ).first()
            return None if row is None else str(row[0])
    finally:
        engine.dispose()
