"""Where the warehouse's SQL files are, and their statements.

The SQL files of sql/warehouse are the documented source of truth for every schema, table and view; this
module only finds them (in the checkout, or in the copy packaged with the code) and splits them into
statements. Creating the objects is transforms.warehouse.ddl's job, reading a table's columns
transforms.warehouse.table_schemas'.
"""

from __future__ import annotations

from pathlib import Path

_PROJECT_SQL = Path(__file__).resolve().parents[2] / "sql"
_PACKAGED_SQL = Path(__file__).resolve().parents[1] / "sql"

VIEWS_FOLDER = "views"


def sql_root() -> Path:
    """The sql/ folder: the checkout's, or the copy packaged with the code."""
    return _PROJECT_SQL if (_PROJECT_SQL / "warehouse").is_dir() else _PACKAGED_SQL


def sql_dir() -> Path:
    """Where the warehouse DDL lives (sql/warehouse)."""
    return sql_root() / "warehouse"


def relative_name(path: Path) -> str:
    """A SQL file's path from the sql/ folder ("warehouse/core/customer.sql"), as messages and the docs name it."""
    return path.relative_to(sql_root()).as_posix() if path.is_relative_to(sql_root()) else str(path)


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
