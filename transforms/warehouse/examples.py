"""The analysts' example queries (sql/examples/*.sql): list them, say what each needs, run them.

The examples are plain SQL files an analyst can paste anywhere; this module lets the warehouse tour notebook
and the tests run them the same way on DuckDB and PostgreSQL. An example that reads a table no SQL file of
sql/warehouse defines yet (a mart still being built) is reported as not runnable rather than failing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from transforms.warehouse.ddl import view_name
from transforms.warehouse.sql_files import split_statements, sql_root, table_files, view_files
from transforms.warehouse.table_schemas import parse_table

_SCHEMAS = ("staging", "core", "marts", "dq", "ops")
_RELATION = re.compile(rf"\b({'|'.join(_SCHEMAS)})\.([a-z_][a-z0-9_]*)\b", re.I)


@dataclass(frozen=True)
class Example:
    """One example query: its file, title (the header comment's first line) and the relations it reads."""

    path: Path
    title: str
    sql: str
    reads: tuple[str, ...]

    @property
    def name(self) -> str:
        """The file name without .sql."""
        return self.path.stem


def examples_dir() -> Path:
    """sql/examples."""
    return sql_root() / "examples"


def _title(sql: str) -> str:
    for line in sql.splitlines():
        if line.startswith("--"):
            return line.lstrip("- ").split(":", 1)[0].strip()
    return ""


def read_example(path: Path) -> Example:
    """Parse one example file."""
    sql = path.read_text("utf-8")
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    reads = tuple(sorted({f"{m[1].lower()}.{m[2].lower()}" for m in _RELATION.finditer(body)}))
    return Example(path, _title(sql), sql.strip().rstrip(";"), reads)


def list_examples() -> list[Example]:
    """Every example, in name order."""
    return [read_example(p) for p in sorted(examples_dir().glob("*.sql"))]


def defined_relations() -> set[str]:
    """schema.name of every table and view the SQL files of sql/warehouse define."""
    names: set[str] = set()
    for path in table_files() + view_files():
        for stmt in split_statements(path.read_text("utf-8")):
            if (table := parse_table(stmt)) is not None:
                names.add(table.qualified)
            elif (view := view_name(stmt)) is not None:
                names.add(f"{view[0]}.{view[1]}")
    return names


def undefined_relations(example: Example) -> list[str]:
    """The relations an example reads that no SQL file defines yet (it cannot run until they exist)."""
    defined = defined_relations()
    return [r for r in example.reads if r not in defined]


def run_example(engine: Engine, example: Example) -> pd.DataFrame:
    """The example's result."""
    with engine.connect() as conn:
        return pd.read_sql(text(example.sql), conn)


def tour_warehouse_url() -> str:
    """The warehouse the tour notebook reads: $CRM_WAREHOUSE_URL, else the project's data/warehouse.duckdb."""
    default = Path(__file__).resolve().parents[2] / "data" / "warehouse.duckdb"
    return os.environ.get("CRM_WAREHOUSE_URL") or f"duckdb:///{default}"
