"""What earlier nights left in the warehouse, as the quality rules and the control report need it.

Every function answers "nothing yet" (an empty result) on a first night, when the tables do not exist.
Reads only: the validate stage never writes to the warehouse.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.warehouse.nights import PUBLISHED
from transforms.warehouse.table_schemas import columns_except

log = logging.getLogger(__name__)

__all__ = ["PUBLISHED", "holds_quality_rows", "metric_history", "previous_night", "previous_row_counts", "run_status"]


def _has_table(engine: Engine, schema: str, table: str) -> bool:
    return bool(inspect(engine).has_table(table, schema=schema))


def previous_night(engine: Engine, *, as_of: dt.date) -> dt.date | None:
    """The newest published night before ``as_of`` (ops.reconciliation holds one set of lines per night), or None.

    Strictly before: a rerun of a night compares itself with the night before, as its first run did, so that
    running a night twice gives the same checks as running it once.
    """
    if not (_has_table(engine, "ops", "reconciliation") and _has_table(engine, "ops", "run")):
        return None
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "select max(c.as_of) from ops.reconciliation c join ops.run r on r.run_id = c.run_id "
                "where c.as_of < :a and r.status in ('succeeded', 'succeeded_with_errors')"
            ),
            {"a": as_of},
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(str(row[0])[:10])


def previous_row_counts(engine: Engine, *, run_id: str, as_of: dt.date) -> dict[tuple[str, str], int]:
    """Rows loaded per (source, file) on the last published night before ``as_of`` (ops.reconciliation); empty
    on a first night. ``run_id`` (this run) is named in the log only."""
    night = previous_night(engine, as_of=as_of)
    if night is None:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select source_name, source_file, rows_loaded from ops.reconciliation "
                "where as_of = :a and status = 'ok'"
            ),
            {"a": night},
        ).fetchall()
    log.info("run %s: row counts of %d file(s) from the night of %s", run_id, len(rows), night)
    return {(str(n), str(f)): int(c) for n, f, c in rows}


def run_status(engine: Engine, run_id: str) -> str | None:
    """The run's status in ops.run (None when it is not there)."""
    if not _has_table(engine, "ops", "run"):
        return None
    with engine.connect() as conn:
        row = conn.execute(text("select status from ops.run where run_id = :r"), {"r": run_id}).fetchone()
    return str(row[0]) if row else None


def holds_quality_rows(engine: Engine, run_id: str) -> bool:
    """Whether dq.failure or dq.metric holds rows the run wrote."""
    found = False
    with engine.connect() as conn:
        for table in ("failure", "metric"):
            if not found and _has_table(engine, "dq", table):
                row = conn.execute(text(f"select count(*) from dq.{table} where run_id = :r"), {"r": run_id}).fetchone()
                found = bool(row and row[0])
    return found


def metric_history(engine: Engine, *, as_of: dt.date, nights: int = 90) -> pd.DataFrame:
    """dq.metric of the nights up to ``as_of`` (the last ``nights`` days): one set of rows per night, since
    publishing (or a night stopped after its checks) replaces the night's rows whatever run wrote them."""
    columns = list(columns_except("dq.metric", ("completeness",)))
    if not _has_table(engine, "dq", "metric"):
        return pd.DataFrame(columns=columns)
    since = as_of - dt.timedelta(days=nights)
    sql = f"select {', '.join(columns)} from dq.metric where as_of > :since and as_of <= :a"
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params={"since": since, "a": as_of})
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame[columns]
