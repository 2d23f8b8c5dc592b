"""Bulk-load staged Parquet into warehouse tables inside a caller's transaction.

DuckDB reads the Parquet file itself; PostgreSQL gets a COPY stream. Both run inside the one
transaction the publish step holds, so a night's tables appear together or not at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from transforms.warehouse.table_schemas import ColumnProblem, SchemaMismatchError, columns

_COPY_BATCH = 100_000


def table_columns(conn: Connection, schema: str, table: str, *, required_only: bool = False) -> list[str]:
    """The table's column names, in order (only those that may not be null, with ``required_only``)."""
    required = " and is_nullable = 'NO'" if required_only else ""
    rows = conn.execute(
        text(
            "select column_name from information_schema.columns "
            f"where table_schema = :s and table_name = :t{required} order by ordinal_position"
        ),
        {"s": schema, "t": table},
    )
    return [r[0] for r in rows]


def insert_rows(conn: Connection, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert rows, each a dict holding every column of ``schema.table`` (as its SQL file declares them); returns
    how many. A row with a column too many or too few raises SchemaMismatchError naming them."""
    names = columns(table)
    for row in rows:
        problems = [ColumnProblem(c, "missing", "is missing from the row") for c in names if c not in row]
        problems += [ColumnProblem(c, "extra", "is not a column of the table") for c in row if c not in names]
        if problems:
            raise SchemaMismatchError(table, problems, what="a row")
    if rows:
        values = ", ".join(f":{c}" for c in names)
        conn.execute(text(f"insert into {table} ({', '.join(names)}) values ({values})"), list(rows))
    return len(rows)


def _required_columns(conn: Connection, schema: str, table: str) -> list[str]:
    return table_columns(conn, schema, table, required_only=True)


def replace_table(conn: Connection, schema: str, table: str, parquet: Path | None) -> int:
    """Empty ``schema.table`` and fill it from ``parquet`` (None leaves it empty); returns rows loaded."""
    conn.exec_driver_sql(f"delete from {schema}.{table}")
    if parquet is None:
        return 0
    return append_parquet(conn, schema, table, parquet)


def append_parquet(conn: Connection, schema: str, table: str, parquet: Path) -> int:
    """Insert every row of a Parquet file; columns are matched by name."""
    columns = table_columns(conn, schema, table)
    meta = pq.read_metadata(parquet)
    if meta.num_rows == 0:
        return 0
    present = set(meta.schema.names)
    missing = [c for c in columns if c not in present]
    required = set(_required_columns(conn, schema, table))
    if any(c in required for c in missing):
        raise ValueError(f"{parquet}: columns {missing} of {schema}.{table} are not in the staged file")
    # A column added to the table later (nullable) is left empty for a file written without it.
    columns = [c for c in columns if c in present]
    if conn.dialect.name == "duckdb":
        path = str(parquet).replace("'", "''")
        cols = ", ".join(columns)
        conn.exec_driver_sql(f"insert into {schema}.{table} ({cols}) select {cols} from read_parquet('{path}')")
    elif conn.dialect.name == "postgresql":
        _copy_postgres(conn, schema, table, parquet, columns)
    else:
        frame = pq.read_table(parquet, columns=columns).to_pandas()
        frame.to_sql(table, conn, schema=schema, if_exists="append", index=False, chunksize=10_000, method="multi")
    return int(meta.num_rows)


def _integer_columns(conn: Connection, schema: str, table: str) -> set[str]:
    rows = conn.execute(
        text(
            "select column_name from information_schema.columns where table_schema = :s and table_name = :t "
            "and data_type in ('bigint', 'integer', 'smallint')"
        ),
        {"s": schema, "t": table},
    )
    return {r[0] for r in rows}


def _copy_postgres(conn: Connection, schema: str, table: str, parquet: Path, columns: list[str]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(columns)
    sql = f"copy {schema}.{table} ({cols}) from stdin with (format csv, null '\\N')"
    integers = _integer_columns(conn, schema, table)
    pf = pq.ParquetFile(parquet)
    with raw.cursor() as cur:
        for batch in pf.iter_batches(batch_size=_COPY_BATCH, columns=columns):
            frame = batch.to_pandas()
            # A count that pandas holds as float (it had nulls somewhere) is written "3.0", which PostgreSQL
            # refuses for an integer column; write it as the integer it is.
            for col in integers.intersection(frame.columns):
                if frame[col].dtype.kind == "f":
                    frame[col] = frame[col].round().astype("Int64")
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False, na_rep="\\N", quoting=csv.QUOTE_MINIMAL)
            buf.seek(0)
            cur.copy_expert(sql, buf)
