"""Rows inserted one by one (the run log, the reconciliation lines) carry every column of their table, no other."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine
from transforms.warehouse.load import insert_rows
from transforms.warehouse.table_schemas import SchemaMismatchError

ROW = {
    "run_id": "r1",
    "task": "extract",
    "started_at": dt.datetime(2026, 11, 20, 1, 0),
    "finished_at": dt.datetime(2026, 11, 20, 1, 5),
    "status": "succeeded",
    "rows_in": 10,
    "rows_out": 9,
    "peak_memory_mb": 120.5,
    "message": None,
}


def test_a_row_with_every_column_is_inserted_and_one_without_is_refused_by_name() -> None:
    engine = make_engine("duckdb:///:memory:")
    try:
        ensure_schema(engine)
        with engine.begin() as conn:
            assert insert_rows(conn, "ops.task_run", [ROW]) == 1
            with pytest.raises(SchemaMismatchError) as caught:
                insert_rows(conn, "ops.task_run", [{k: v for k, v in ROW.items() if k != "status"} | {"state": "x"}])
            assert str(caught.value).startswith("a row: does not fit ops.task_run:")
            assert {(p.column, p.problem) for p in caught.value.problems} == {("status", "missing"), ("state", "extra")}
            rows = conn.execute(text("select task, rows_out, status from ops.task_run")).all()
        assert [tuple(r) for r in rows] == [("extract", 9, "succeeded")]
    finally:
        engine.dispose()
