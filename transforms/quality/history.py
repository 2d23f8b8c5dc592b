"""What earlier nights left in the warehouse, as the quality rules and the control report need it.

Every function answers "nothing yet" (an empty result) on a first night, when the tables do not exist.
Reads only: the validate stage never writes to the warehouse.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import Engine, inspect, text

log = logging.getLogger(__name__)

#: Run statuses that mean "this night was published".
PUBLISHED = ("succeeded", "succeeded_with_errors")


def _has_table(engine: Engine, schema: str, table: str) -> bool:
    return bool(inspect(engine).has_table(table, schema=schema))


def last_published_run(engine: Engine, *, run_id: str, as_of: dt.date) -> str | None:
    """The latest published run before this one (by as-of date, then start time), or None."""
    if not _has_table(engine, "ops", "run"):
        return None
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "select run_id from ops.run where status in ('succeeded', 'succeeded_with_errors') "
                "and run_id <> :r and as_of <= :a order by as_of desc, started_at desc limit 1"
            ),
            {"r": run_id, "a": as_of},
        ).fetchone()
    return str(row[0]) if row else None


def previous_row_counts(engine: Engine, *, run_id: str, as_of: dt.date) -> dict[tuple[str, str], int]:
    """Rows loaded per (source, file) on the last published night (ops.reconciliation); empty on a first night."""
    previous = last_published_run(engine, run_id=run_id, as_of=as_of)
    if previous is None or not _has_table(engine, "ops", "reconciliation"):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select source_name, source_file, rows_loaded from ops.reconciliation "
                "where run_id = :r and status = 'ok'"
            ),
            {"r": previous},
        ).fetchall()
    log.info("row counts of %d file(s) from run %s", len(rows), previous)
    return {(str(n), str(f)): int(c) for n, f, c in rows}


def run_status(engine: Engine, run_id: str) -> str | None:
    """The run's status in ops.run (None when it is not there)."""
    if not _has_table(engine, "ops", "run"):
        return None
    with engine.connect() as conn:
        row = conn.execute(text("select status from ops.run where run_id = :r"), {"r": run_id}).fetchone()
    return str(row[0]) if row else None


def metric_history(engine: Engine, *, as_of: dt.date, nights: int = 90) -> pd.DataFrame:
    """dq.metric of the nights up to ``as_of`` (the last ``nights`` days), one run per as-of date.

    When a date was run more than once (a retry under a new run id), the run that started last counts.
    """
    columns = ["source_name", "field", "rule", "responsible", "severity", "checked", "failed", "as_of", "run_id"]
    if not _has_table(engine, "dq", "metric"):
        return pd.DataFrame(columns=columns)
    since = as_of - dt.timedelta(days=nights)
    order = "r.started_at" if _has_table(engine, "ops", "run") else "m.run_id"
    join = "left join ops.run r on r.run_id = m.run_id" if _has_table(engine, "ops", "run") else ""
    sql = f"""
        with runs as (
            select m.as_of, m.run_id, max({order}) as started
            from dq.metric m {join}
            where m.as_of > :since and m.as_of <= :a
            group by m.as_of, m.run_id
        ),
        ranked as (
            select as_of, run_id, row_number() over (partition by as_of order by started desc, run_id desc) as n
            from runs
        )
        select m.source_name, m.field, m.rule, m.responsible, m.severity, m.checked, m.failed, m.as_of, m.run_id
        from dq.metric m
        join ranked k on k.run_id = m.run_id and k.as_of = m.as_of and k.n = 1
    """
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params={"since": since, "a": as_of})
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame[columns]
