"""The analyst extract: a separate DuckDB file with the marts and analyst views, and no personal data.

DuckDB has no roles: whoever can open the warehouse file reads everything in it. Analysts get this file
instead. It holds one table per table and view of the ``marts`` schema of the warehouse (PostgreSQL or
DuckDB), as of the last published night, with every personal column (transforms.warehouse.personal) left
out, and the marts' descriptions as comments. It is written aside and moved into place, so an analyst never
opens half a file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import Connection, text

from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.personal import is_personal

log = logging.getLogger(__name__)

ANALYST_SCHEMA = "marts"
_CHUNK_ROWS = 200_000


def analyst_relations(conn: Connection) -> list[tuple[str, str]]:
    """(name, 'table' or 'view') of everything in the marts schema, in name order."""
    rows = conn.execute(
        text(
            "select table_name, table_type from information_schema.tables where table_schema = :s order by table_name"
        ),
        {"s": ANALYST_SCHEMA},
    ).all()
    return [(str(name), "view" if "VIEW" in str(kind).upper() else "table") for name, kind in rows]


def _columns(conn: Connection, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the relation's columns, in order."""
    rows = conn.execute(
        text(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = :s and table_name = :t order by ordinal_position"
        ),
        {"s": ANALYST_SCHEMA, "t": table},
    )
    return [(str(name), _duckdb_type(str(kind))) for name, kind in rows]


def _duckdb_type(source_type: str) -> str:
    """The DuckDB type for a column type as information_schema names it (PostgreSQL's or DuckDB's)."""
    kind = source_type.lower()
    if kind.startswith(("numeric", "decimal", "real", "float", "double")):
        return "double"
    if kind.startswith(("timestamp", "date", "time", "interval")):
        return kind.replace(" with time zone", "tz").replace(" without time zone", "")
    if kind.startswith(("bigint", "integer", "smallint", "hugeint", "boolean", "tinyint", "ubigint", "uinteger")):
        return kind
    return "varchar"


def _copy(conn: Connection, out: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> int:
    """Create the table in the extract with the warehouse's column types, then copy its rows in chunks."""
    target = f"{ANALYST_SCHEMA}.{table}"
    out.execute(f"create table {target} ({', '.join(f'{name} {kind}' for name, kind in columns)})")
    names = ", ".join(name for name, _ in columns)
    rows = 0
    for chunk in pd.read_sql(text(f"select {names} from {target}"), conn, chunksize=_CHUNK_ROWS):
        out.register("chunk", chunk)
        out.execute(f"insert into {target} ({names}) select {names} from chunk")
        out.unregister("chunk")
        rows += len(chunk)
    return rows


def write_analyst_extract(warehouse_url: str, out_path: str | Path) -> Path:
    """Write the marts and analyst views of ``warehouse_url``, without personal columns, to a DuckDB file."""
    out_path = Path(out_path).expanduser().resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn, duckdb.connect(str(partial)) as out:
            out.execute(f"create schema {ANALYST_SCHEMA}")
            for table, kind in analyst_relations(conn):
                columns = _columns(conn, table)
                kept = [c for c in columns if not is_personal(c[0])]
                left_out = len(columns) - len(kept)
                if not kept:
                    log.warning("analyst extract: %s.%s has only personal columns, left out", ANALYST_SCHEMA, table)
                    continue
                rows = _copy(conn, out, table, kept)
                out.execute(
                    f"comment on table {ANALYST_SCHEMA}.{table} is "
                    f"'Copied from the warehouse''s {kind} {ANALYST_SCHEMA}.{table}; personal columns left out.'"
                )
                log.info(
                    "analyst extract: %s.%s, %d rows, %d personal column(s) left out",
                    ANALYST_SCHEMA,
                    table,
                    rows,
                    left_out,
                )
    finally:
        engine.dispose()
    partial.replace(out_path)
    log.info("analyst extract of %s written to %s", safe_url(warehouse_url), out_path)
    return out_path


def analyst_extract_command(warehouse_url: str, out: str) -> str:
    """CLI: write the analyst extract of ``warehouse_url`` to the DuckDB file ``out``; returns what was written."""
    path = write_analyst_extract(warehouse_url, out)
    with duckdb.connect(str(path), read_only=True) as con:
        count = con.execute(
            "select count(*) from information_schema.tables where table_schema = ?", [ANALYST_SCHEMA]
        ).fetchone()
    tables = 0 if count is None else int(count[0])
    return f"wrote {path}: {tables} marts table(s) without personal columns, for analysts"
