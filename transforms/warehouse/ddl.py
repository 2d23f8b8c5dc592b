"""Create and evolve the warehouse's schemas, tables and views from the plain SQL files in sql/warehouse.

The SQL files are the documented source of truth for every table and view (grain, keys, comments); code
never re-declares one. Each file holds one object and is safe to apply again: tables with
``create table if not exists``, views with ``create or replace view``.

A table that already exists is brought up to its file: a column added to the file later is added to the
table (``alter table ... add column``), so an old warehouse follows the code without being rebuilt.
Columns are never dropped nor changed: a column left out of a file stays in the table with its data, and
a change of shape that is not an added column is a new table (see STYLE.md, "tables versioned").

Views are applied after every table (they read tables, and on PostgreSQL a view can only be replaced by
one with the same leading columns; when that fails it is dropped and created again).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from transforms.warehouse.load import table_columns
from transforms.warehouse.sql_files import ddl_files, relative_name, split_statements
from transforms.warehouse.table_schemas import TableSchema, parse_table

log = logging.getLogger(__name__)

_CREATE_VIEW = re.compile(r"create\s+or\s+replace\s+view\s+(\w+)\.(\w+)\b", re.I)


def view_name(stmt: str) -> tuple[str, str] | None:
    """(schema, view) of a ``create or replace view`` statement, or None."""
    m = _CREATE_VIEW.match(stmt.strip())
    return None if m is None else (m[1].lower(), m[2].lower())


def add_missing_columns(conn: Connection, table: TableSchema) -> list[str]:
    """Add to an existing table the columns its file declares and it lacks; returns their names.

    An added column is nullable even when the file says ``not null``: the rows already there have no value
    for it (the next night's load fills it).
    """
    existing = {c.lower() for c in table_columns(conn, table.schema, table.name)}
    added = [c for c in table.columns if c.name not in existing]
    for col in added:
        conn.exec_driver_sql(f"alter table {table.qualified} add column {col.name} {col.sql_type}")
    if added:
        log.info("%s: added column(s) %s", table.qualified, ", ".join(c.name for c in added))
    return [c.name for c in added]


def _apply_view(conn: Connection, stmt: str, schema: str, name: str) -> None:
    """Create or replace a view; on PostgreSQL, drop and recreate it when its columns changed shape."""
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(_literal(conn, stmt))
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(_literal(conn, stmt))
    except DBAPIError:
        log.warning("view %s.%s changed its columns: dropped and created again (re-apply the roles)", schema, name)
        conn.exec_driver_sql(f"drop view if exists {schema}.{name}")
        conn.exec_driver_sql(_literal(conn, stmt))


def _literal(conn: Connection, stmt: str) -> str:
    """``stmt`` as the driver must receive it to run it as written: psycopg2 reads ``%`` as a parameter mark, so a
    comment saying "97 % likely" is doubled to ``%%`` there."""
    return stmt.replace("%", "%%") if conn.dialect.paramstyle in ("format", "pyformat") else stmt


def apply_ddl(conn: Connection) -> None:
    """Create every schema, table and view that does not exist yet, add missing columns, (re)apply comments."""
    for path in ddl_files():
        for stmt in split_statements(path.read_text("utf-8")):
            if (view := view_name(stmt)) is not None:
                _apply_view(conn, stmt, *view)
                continue
            conn.exec_driver_sql(_literal(conn, stmt))
            if (table := parse_table(stmt, where=relative_name(path))) is not None:
                add_missing_columns(conn, table)


def ensure_schema(engine: Engine) -> None:
    """Apply the DDL in its own transaction."""
    with engine.begin() as conn:
        apply_ddl(conn)
