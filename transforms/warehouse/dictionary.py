"""Generate the warehouse's data dictionary (docs/warehouse.md) from the SQL files' comments.

The SQL files are the one place a table is described; the dictionary is derived from them so the
two never disagree (a test regenerates it and compares).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from transforms.warehouse.ddl import ddl_files, split_statements

_CREATE = re.compile(r"create table if not exists (\w+)\.(\w+)\s*\((.*)\)\s*$", re.S | re.I)
_TABLE_COMMENT = re.compile(r"comment on table (\w+)\.(\w+) is '(.*)'\s*$", re.S | re.I)
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
    """One table as its SQL file describes it."""

    schema: str
    name: str
    file: str
    grain: str = ""
    comment: str = ""
    columns: list[Column] = field(default_factory=list)


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def read_tables() -> list[TableDoc]:
    """Every table of the warehouse DDL with its comments."""
    tables: list[TableDoc] = []
    for path in ddl_files():
        text = path.read_text("utf-8")
        grain = _GRAIN.search(text)
        doc: TableDoc | None = None
        for stmt in split_statements(text):
            if m := _CREATE.match(stmt):
                doc = TableDoc(m[1], m[2], path.as_posix().split("sql/", 1)[-1])
                doc.grain = " ".join(line.strip("- ").strip() for line in grain[1].splitlines()) if grain else ""
                for line in m[3].split(",\n"):
                    parts = line.strip().split()
                    if len(parts) >= 2 and parts[0].lower() not in ("primary", "unique", "constraint"):
                        doc.columns.append(Column(parts[0], " ".join(parts[1:]).replace(" not null", ", required")))
                tables.append(doc)
            elif doc is not None and (m := _TABLE_COMMENT.match(stmt)):
                doc.comment = _unquote(m[3])
            elif doc is not None and (m := _COLUMN_COMMENT.match(stmt)):
                for col in doc.columns:
                    if col.name == m[3]:
                        col.comment = _unquote(m[4])
    return tables


def render_dictionary(tables: list[TableDoc]) -> str:
    """The Markdown data dictionary."""
    out = [
        "# Warehouse data dictionary",
        "",
        "Generated from the comments in `sql/warehouse/` by `python -m transforms.warehouse.dictionary`;",
        "edit the SQL files, not this page.",
        "",
    ]
    for schema in dict.fromkeys(t.schema for t in tables):
        out += [f"## Schema `{schema}`", ""]
        for t in (t for t in tables if t.schema == schema):
            out += [f"### `{t.schema}.{t.name}`", "", t.comment, ""]
            if t.grain:
                out += [f"*{t.grain}* (`{t.file}`)", ""]
            out += ["| column | type | meaning |", "| --- | --- | --- |"]
            out += [f"| `{c.name}` | {c.type} | {c.comment} |" for c in t.columns]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    """Write docs/warehouse.md (or the path given)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
    target.write_text(render_dictionary(read_tables()), "utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
