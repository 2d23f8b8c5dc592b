"""A stage's file written before a nullable column was added to its table still loads (the column left empty)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from transforms.quality.columns import FAILURE_COLUMNS
from transforms.warehouse.ddl import apply_ddl
from transforms.warehouse.engine import make_engine
from transforms.warehouse.load import append_parquet


def test_a_dq_failure_file_without_the_customer_columns_loads(tmp_path: Path) -> None:
    row = dict.fromkeys(FAILURE_COLUMNS, "x") | {"row_number": 3, "as_of": dt.date(2026, 11, 20)}
    path = tmp_path / "failure.parquet"
    pq.write_table(pa.Table.from_pandas(pd.DataFrame([row]), preserve_index=False), path)
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with engine.begin() as conn:
        apply_ddl(conn)
        assert append_parquet(conn, "dq", "failure", path) == 1
        got = conn.exec_driver_sql("select row_number, customer_id, found_on from dq.failure").fetchall()
    engine.dispose()
    assert got == [(3, None, None)]


def test_a_file_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "failure.parquet"
    pq.write_table(pa.table({"source_name": ["a"]}), path)
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with engine.begin() as conn, pytest.raises(ValueError, match="not in the staged file"):
        apply_ddl(conn)
        append_parquet(conn, "dq", "failure", path)
    engine.dispose()
