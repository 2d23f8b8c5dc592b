"""Reading a query's result from the warehouse as a DataFrame, column by column where the database can.

``pandas.read_sql`` fetches through SQLAlchemy row by row: every value becomes a Python object before pandas
builds its columns. Reading last night's links of a million customers (three million rows) that way costs tens of
seconds and the memory of fifteen million Python objects. DuckDB hands a result over as columns (Arrow), so on
the embedded warehouse the query runs on the connection's own DuckDB connection, inside the same transaction;
PostgreSQL keeps ``pandas.read_sql``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, text


def read_frame(conn: Connection, sql: str) -> pd.DataFrame:
    """The rows of ``sql`` (a query without parameters) as a DataFrame: text columns hold ``str`` or None,
    numbers are numpy columns, as ``pandas.read_sql`` gives them."""
    if conn.dialect.name != "duckdb":
        return pd.read_sql(text(sql), conn)
    raw: Any = conn.connection.driver_connection
    # Text becomes Python strings in object columns and dates ``datetime.date``, as read_sql gives them: the
    # frames are compared, merged and hashed with frames read from elsewhere.
    frame: pd.DataFrame = raw.sql(sql).to_arrow_table().to_pandas(date_as_object=True)
    return frame
