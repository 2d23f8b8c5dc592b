"""Create the warehouse's schemas and tables from the plain SQL files in sql/warehouse.

The SQL files are the documented source of truth for every table (grain, keys, comments); code
never re-declares a table. Each file holds one object and is safe to apply again (if not exists).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Connection, Engine

_PROJECT_SQL = Path(__file__).resolve().parents[2] / "sql" / "warehouse"
_PACKAGED_SQL = Path(__file__).resolve().parents[1] / "sql" / "warehouse"


def sql_dir() -> Path:
    """Where the warehouse DDL lives: the checkout's sql/ folder, or the copy packaged with the code."""
    return _PROJECT_SQL if _PROJECT_SQL.is_dir() else _PACKAGED_SQL


def ddl_files() -> list[Path]:
    """The DDL files in the order they must run: schemas first, then one folder per schema."""
    root = sql_dir()
    first = sorted(root.glob("*.sql"))
    rest = sorted(p for p in root.rglob("*.sql") if p.parent != root)
    return first + rest


def split_statements(sql: str) -> list[str]:
    """Statements of a file, split on semicolons outside quotes, comments dropped."""
    body = re.sub(r"--[^\n]*", "", sql)
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in body:
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


def apply_ddl(conn: Connection) -> None:
    """Create every schema and table that does not exist yet, with its comments."""
    for path in ddl_files():
        for stmt in split_statements(path.read_text("utf-8")):
            conn.exec_driver_sql(stmt)


def ensure_schema(engine: Engine) -> None:
    """Apply the DDL in its own transaction."""
    with engine.begin() as conn:
        apply_ddl(conn)
