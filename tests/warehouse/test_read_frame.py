"""A query read as columns on DuckDB gives what pandas.read_sql gives, on both warehouses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from tests.warehouse.conftest import fresh_database
from transforms.warehouse.engine import make_engine
from transforms.warehouse.frames import read_frame

QUERY = "select record_id, customer_id, match_probability, seen_on, kept from t order by record_id"


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "create table t (record_id varchar, customer_id varchar, match_probability double precision, "
                "seen_on date, kept boolean)"
            )
        )
        conn.execute(
            text("insert into t values (:r, :c, :p, :d, :k)"),
            [
                {"r": "a", "c": "CUST-1", "p": 0.5, "d": dt.date(2026, 1, 2), "k": True},
                {"r": "b", "c": None, "p": None, "d": None, "k": False},
                {"r": "c", "c": "Мария ☃", "p": 1.0, "d": dt.date(2026, 12, 7), "k": True},
            ],
        )


def _same_as_read_sql(url: str) -> None:
    engine = make_engine(url)
    try:
        _fill(engine)
        with engine.connect() as conn:
            got = read_frame(conn, QUERY)
            expected = pd.read_sql(text(QUERY), conn)
    finally:
        engine.dispose()
    pd.testing.assert_frame_equal(got, expected)
    assert got["customer_id"].tolist() == ["CUST-1", None, "Мария ☃"]
    assert got["seen_on"].tolist() == [dt.date(2026, 1, 2), None, dt.date(2026, 12, 7)]


def test_duckdb_reads_the_same_frame_as_read_sql(tmp_path: Path) -> None:
    _same_as_read_sql(f"duckdb:///{tmp_path / 'w.duckdb'}")


def test_duckdb_read_sees_the_transaction_it_runs_in(tmp_path: Path) -> None:
    """The query runs on the connection's own DuckDB connection: rows written in its transaction are read."""
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        _fill(engine)
        with engine.begin() as conn:
            conn.execute(text("delete from t where record_id = 'a'"))
            assert read_frame(conn, "select record_id from t order by 1")["record_id"].tolist() == ["b", "c"]
            conn.rollback()
        with engine.connect() as conn:
            assert len(read_frame(conn, "select * from t")) == 3
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_reads_with_read_sql() -> None:
    with fresh_database() as url:
        _same_as_read_sql(url)
