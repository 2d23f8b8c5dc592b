"""Generate the warehouse's data dictionary (docs/warehouse.md) from the SQL files' comments.

The SQL files are the one place a table or view is described; the dictionary is derived from them so the
two never disagree (a test regenerates it and compares). A view's columns and types are what the
database makes of its query: the DDL is applied to an in-memory DuckDB and read back, so the page shows
the view as analysts see it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from transforms.warehouse.ddl import apply_ddl, view_name
from transforms.warehouse.engine import make_engine
from transforms.warehouse.sql_files import relative_name, schema_files, split_statements, table_files, view_files
from transforms.warehouse.table_schemas import parse_table

_TABLE_COMMENT = re.compile(r"comment on (?:table|view) (\w+)\.(\w+) is '(.*)'\s*$", re.S | re.I)
_COLUMN_COMMENT = re.compile(r"comment on column (\w+)\.(\w+)\.(\w+) is '(.*)'\s*$", re.S | re.I)
_GRAIN = re.compile(r"^--\s*(Grain:.*?)(?=\ncreate|\Z)", re.S | re.I | re.M)


@dataclass
class Column:
    """One column: name, SQL type, description."""

    name: str
    type: str
    comment: str = ""


@dataclass
class TableDoc:
    """One table or view as its SQL file describes it."""

    schema: str
    name: str
    file: str
    grain: str = ""
    comment: str = ""
    columns: list[Column] = field(default_factory=list)
    is_view: bool = False


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def _grain(text: str) -> str:
    grain = _GRAIN.search(text)
    return " ".join(line.strip("- ").strip() for line in grain[1].splitlines()) if grain else ""


def _apply_comments(doc: TableDoc, stmt: str) -> None:
    if (m := _TABLE_COMMENT.match(stmt)) and (m[1].lower(), m[2].lower()) == (doc.schema, doc.name):
        doc.comment = _unquote(m[3])
    elif m := _COLUMN_COMMENT.match(stmt):
        for col in doc.columns:
            if col.name == m[3].lower():
                col.comment = _unquote(m[4])


def read_tables() -> list[TableDoc]:
    """Every table of the warehouse DDL with its comments."""
    tables: list[TableDoc] = []
    for path in table_files():
        text_ = path.read_text("utf-8")
        doc: TableDoc | None = None
        for stmt in split_statements(text_):
            if (table := parse_table(stmt)) is not None:
                doc = TableDoc(table.schema, table.name, relative_name(path), grain=_grain(text_))
                doc.columns = [Column(c.name, c.definition.replace(" not null", ", required")) for c in table.columns]
                tables.append(doc)
            elif doc is not None:
                _apply_comments(doc, stmt)
    return tables


def _view_columns() -> dict[tuple[str, str], list[Column]]:
    """Each view's columns and types, from an in-memory DuckDB built from the DDL."""
    engine = make_engine("duckdb:///:memory:")
    try:
        with engine.begin() as conn:
            apply_ddl(conn)
            rows = conn.execute(
                text(
                    "select c.table_schema, c.table_name, c.column_name, lower(c.data_type) "
                    "from information_schema.columns c join information_schema.tables t "
                    "on t.table_schema = c.table_schema and t.table_name = c.table_name "
                    "where t.table_type = 'VIEW' order by c.table_schema, c.table_name, c.ordinal_position"
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[tuple[str, str], list[Column]] = {}
    for schema, view, column, col_type in rows:
        out.setdefault((str(schema), str(view)), []).append(Column(str(column), str(col_type)))
    return out


def read_views() -> list[TableDoc]:
    """Every view of sql/warehouse/views with its comments and the columns its query gives."""
    columns = _view_columns() if view_files() else {}
    views: list[TableDoc] = []
    for path in view_files():
        text_ = path.read_text("utf-8")
        doc: TableDoc | None = None
        for stmt in split_statements(text_):
            if (name := view_name(stmt)) is not None:
                doc = TableDoc(name[0], name[1], relative_name(path), grain=_grain(text_), is_view=True)
                doc.columns = [Column(c.name, c.type) for c in columns.get(name, [])]
                views.append(doc)
            elif doc is not None:
                _apply_comments(doc, stmt)
    return views


def read_objects() -> list[TableDoc]:
    """Tables, then views."""
    return read_tables() + read_views()


def _schema_order(objects: list[TableDoc]) -> list[str]:
    declared = [
        m[1].lower()
        for path in schema_files()
        for m in re.finditer(r"create schema if not exists (\w+)", path.read_text("utf-8"), re.I)
    ]
    used = sorted({o.schema for o in objects})
    return [s for s in declared if s in used] + [s for s in used if s not in declared]


def render_dictionary(tables: list[TableDoc]) -> str:
    """The Markdown data dictionary."""
    out = [
        "# Warehouse data dictionary",
        "",
        "Generated from the comments in `sql/warehouse/` by `python -m transforms.warehouse.dictionary`;",
        "edit the SQL files, not this page. Views (`sql/warehouse/views/`) are what analysts query; the",
        "`crm_analyst` role reads the `marts` schema only (see `docs/access.md`).",
        "",
        "One night, one set of rows. Current tables (staging, core, marts but the history and movement tables)",
        "hold the last published night. History tables (`dq.failure`, `dq.metric`,",
        "`marts.customer_reliability_history`, `marts.segment_movement`) and `ops.reconciliation` hold one set",
        "of rows per night (as-of date): publishing a night again (a rerun, or a second Airflow run of the same",
        "date) replaces that night's rows, whatever the run id. `ops.run` and `ops.task_run` keep every run and",
        "task attempt; `core.customer_id_history` keeps every change of ids. A night older than the newest",
        "published one is refused unless the run is started with `crm-etl run --allow-older-night` (DAG param",
        "`allow_older_night`): it would move the customer ids and current tables back.",
        "",
    ]
    for schema in _schema_order(tables):
        out += [f"## Schema `{schema}`", ""]
        for t in sorted((t for t in tables if t.schema == schema), key=lambda t: (t.is_view, t.name)):
            kind = " (view)" if t.is_view else ""
            out += [f"### `{t.schema}.{t.name}`{kind}", "", t.comment, ""]
            if t.grain:
                out += [f"*{t.grain}* (`{t.file}`)", ""]
            out += ["| column | type | meaning |", "| --- | --- | --- |"]
            out += [f"| `{c.name}` | {c.type} | {c.comment} |" for c in t.columns]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    """Write docs/warehouse.md (or the path given)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
    target.write_text(render_dictionary(read_objects()), "utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
