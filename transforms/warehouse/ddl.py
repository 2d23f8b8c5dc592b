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
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from transforms.warehouse.load import table_columns

log = logging.getLogger(__name__)

_PROJECT_SQL = Path(__file__).resolve().parents[2] / "sql"
_PACKAGED_SQL = Path(__file__).resolve().parents[1] / "sql"

VIEWS_FOLDER = "views"

_CREATE_TABLE = re.compile(r"create\s+table\s+if\s+not\s+exists\s+(\w+)\.(\w+)\s*\((.*)\)\s*$", re.S | re.I)
_CREATE_VIEW = re.compile(r"create\s+or\s+replace\s+view\s+(\w+)\.(\w+)\b", re.I)
_CONSTRAINT_WORDS = frozenset({"primary", "unique", "constraint", "check", "foreign"})
_NOT_NULL = re.compile(r"\s+not\s+null\b", re.I)
_PRIMARY_KEY = re.compile(r"\s+(primary\s+key|unique)\b", re.I)


def sql_root() -> Path:
    """The sql/ folder: the checkout's, or the copy packaged with the code."""
    return _PROJECT_SQL if (_PROJECT_SQL / "warehouse").is_dir() else _PACKAGED_SQL


def sql_dir() -> Path:
    """Where the warehouse DDL lives (sql/warehouse)."""
    return sql_root() / "warehouse"


def schema_files() -> list[Path]:
    """The files at the top of sql/warehouse (the schemas): they run first."""
    return sorted(sql_dir().glob("*.sql"))


def table_files() -> list[Path]:
    """One file per table, sql/warehouse/<schema>/<table>.sql."""
    root = sql_dir()
    return sorted(p for p in root.rglob("*.sql") if p.parent != root and p.parent.name != VIEWS_FOLDER)


def view_files() -> list[Path]:
    """One file per view, sql/warehouse/views/<view>.sql, applied in name order after every table."""
    return sorted((sql_dir() / VIEWS_FOLDER).glob("*.sql"))


def ddl_files() -> list[Path]:
    """The DDL files in the order they must run: schemas, then tables, then views."""
    return schema_files() + table_files() + view_files()


def split_statements(sql: str) -> list[str]:
    """Statements of a file, split on semicolons outside quotes, comments dropped."""
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for raw_line in sql.splitlines(keepends=True):
        line = _strip_line_comment(raw_line) if not quoted and "--" in raw_line else raw_line
        for ch in line:
            if ch == "'":
                quoted = not quoted
            if ch == ";" and not quoted:
                stmt = "".join(buf).strip()
                if stmt:
                    out.append(stmt)
                buf = []
            else:
                buf.append(ch)
    tail = "".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def _strip_line_comment(line: str) -> str:
    """The line without its ``--`` comment (a ``--`` inside a quoted string is kept)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == "'":
            quoted = not quoted
        elif not quoted and line.startswith("--", i):
            return line[:i] + "\n"
    return line


@dataclass(frozen=True)
class ColumnDef:
    """One column as its table's file declares it."""

    name: str
    type: str
    not_null: bool
    definition: str


@dataclass(frozen=True)
class TableDef:
    """A ``create table if not exists`` statement, parsed."""

    schema: str
    name: str
    columns: tuple[ColumnDef, ...]

    @property
    def qualified(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.name}"


def _top_level_items(body: str) -> list[str]:
    """Split a column list on commas outside parentheses (``decimal(10, 2)`` stays whole)."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    items.append(body[start:].strip())
    return [item for item in items if item]


def parse_table(stmt: str) -> TableDef | None:
    """The table a ``create table if not exists`` statement declares, or None for any other statement."""
    m = _CREATE_TABLE.match(stmt.strip())
    if m is None:
        return None
    columns = []
    for item in _top_level_items(m[3]):
        parts = item.split(None, 1)
        if len(parts) < 2 or parts[0].lower() in _CONSTRAINT_WORDS:
            continue
        definition = parts[1]
        not_null = bool(_NOT_NULL.search(definition))
        col_type = _PRIMARY_KEY.sub("", _NOT_NULL.sub("", definition)).strip()
        columns.append(ColumnDef(parts[0].lower(), col_type, not_null, " ".join(definition.split())))
    return TableDef(m[1].lower(), m[2].lower(), tuple(columns))


def view_name(stmt: str) -> tuple[str, str] | None:
    """(schema, view) of a ``create or replace view`` statement, or None."""
    m = _CREATE_VIEW.match(stmt.strip())
    return None if m is None else (m[1].lower(), m[2].lower())


def add_missing_columns(conn: Connection, table: TableDef) -> list[str]:
    """Add to an existing table the columns its file declares and it lacks; returns their names.

    An added column is nullable even when the file says ``not null``: the rows already there have no value
    for it (the next night's load fills it).
    """
    existing = {c.lower() for c in table_columns(conn, table.schema, table.name)}
    added = [c for c in table.columns if c.name not in existing]
    for col in added:
        conn.exec_driver_sql(f"alter table {table.qualified} add column {col.name} {col.type}")
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
            if (table := parse_table(stmt)) is not None:
                add_missing_columns(conn, table)


def ensure_schema(engine: Engine) -> None:
    """Apply the DDL in its own transaction."""
    with engine.begin() as conn:
        apply_ddl(conn)
