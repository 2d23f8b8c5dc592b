"""The warehouse keeps one set of rows per night (as-of date), whichever run wrote them.

A night can be run more than once: an operator reruns it after fixing a file, or Airflow starts the scheduled
run next to one triggered by hand. History tables (dq.failure, dq.metric, marts.customer_reliability_history,
marts.segment_movement) and ops.reconciliation therefore replace the night's rows when a run publishes it;
ops.run and ops.task_run stay one row per run and per attempt (the log of what was tried).

Publishing a night older than the newest published one would move the customer ids and every current table
(staging, core, marts) back to that night; it is refused unless the run was started with ``allow_older_night``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, inspect, text

#: Run statuses that mean "this night was published" (as in ops.run.status).
PUBLISHED = ("succeeded", "succeeded_with_errors")


class OlderNightError(RuntimeError):
    """The night is older than the newest night already published, and the run was not told to go back."""


def last_published_night(conn: Connection, *, other_than: str | None = None) -> dt.date | None:
    """The as-of date of the newest published night (None when nothing was published), ``other_than`` a run."""
    if not inspect(conn).has_table("run", schema="ops"):
        return None
    row = conn.execute(
        text("select max(as_of) from ops.run where status in ('succeeded', 'succeeded_with_errors') and run_id <> :r"),
        {"r": other_than or ""},
    ).fetchone()
    if row is None or row[0] is None:
        return None
    value = row[0]
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def night_is_published(conn: Connection, as_of: dt.date) -> bool:
    """Whether some run published the night of ``as_of``."""
    row = conn.execute(
        text("select count(*) from ops.run where as_of = :a and status in ('succeeded', 'succeeded_with_errors')"),
        {"a": as_of},
    ).fetchone()
    return bool(row and row[0])


def check_night_order(conn: Connection, *, as_of: dt.date, run_id: str, allow_older_night: bool) -> None:
    """Refuse a night older than the newest published one, unless ``allow_older_night`` (one-line message)."""
    newest = last_published_night(conn, other_than=run_id)
    if newest is None or as_of >= newest or allow_older_night:
        return
    raise OlderNightError(
        f"not publishing the night of {as_of}: the warehouse already holds the newer night of {newest}, and "
        "publishing an older one moves the customer ids and current tables back (to do it anyway: "
        "crm-etl run --allow-older-night, or the DAG param allow_older_night)"
    )


def replace_night(conn: Connection, table: str, *, as_of: dt.date) -> None:
    """Delete ``table``'s rows of the night, whichever run wrote them (the caller then appends this run's)."""
    conn.execute(text(f"delete from {table} where as_of = :a"), {"a": as_of})


def drop_superseded_runs(conn: Connection, table: str) -> None:
    """Rows written by a run of a night that a later run published again: gone.

    Warehouses written before nights were keyed by as-of date can hold a night twice (one set per run); this
    keeps the rows of the night's last published run only, so readers need not choose between runs.
    """
    conn.execute(
        text(
            f"delete from {table} where run_id in ("
            "select older.run_id from ops.run as older join ops.run as newer "
            "on newer.as_of = older.as_of and newer.started_at > older.started_at "
            "where newer.status in ('succeeded', 'succeeded_with_errors'))"
        )
    )
