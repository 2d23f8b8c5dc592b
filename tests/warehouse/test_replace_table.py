"""Replacing a table's rows on DuckDB (every night after the first, for the replace tables) creates the table
again as it stood: its columns (one added since), its primary key, its not-null columns and its comments; the
rows are tonight's only; a rolled-back publish leaves last night's table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.exc import DBAPIError

from transforms.warehouse.engine import make_engine
from transforms.warehouse.load import replace_table


def _night(tmp_path: Path, name: str, ids: list[str]) -> Path:
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table({"id": ids, "a": [f"a-{i}" for i in ids], "b": [1.5] * len(ids)}), path)
    return path


def _comments(conn: object) -> list[tuple[str, str | None]]:
    sql = (
        "select 'table', comment from duckdb_tables() where schema_name = 's' and table_name = 't' union all "
        "select column_name, comment from duckdb_columns() where schema_name = 's' and table_name = 't' "
        "order by 1"
    )
    return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]  # type: ignore[attr-defined]


def test_a_replaced_table_keeps_its_definition_and_comments(tmp_path: Path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema s")
        conn.exec_driver_sql("create table s.t (id varchar primary key, a varchar not null, b double)")
        conn.exec_driver_sql("comment on table s.t is 'the night''s rows'")
        conn.exec_driver_sql("comment on column s.t.a is 'a''s comment'")
        conn.exec_driver_sql("alter table s.t add column added bigint")
        conn.exec_driver_sql("create view s.v as select id from s.t")
        assert replace_table(conn, "s", "t", _night(tmp_path, "one", ["1", "2", "3"])) == 3
        before = _comments(conn)
    with engine.begin() as conn:
        assert replace_table(conn, "s", "t", _night(tmp_path, "two", ["3", "4"])) == 2
        assert conn.exec_driver_sql("select id, a, added from s.t order by id").fetchall() == [
            ("3", "a-3", None),
            ("4", "a-4", None),
        ]
        assert conn.exec_driver_sql("select count(*) from s.v").scalar() == 2
        assert _comments(conn) == before
        assert ("a", "a's comment") in before
        assert ("table", "the night's rows") in before
    with engine.begin() as conn, pytest.raises(DBAPIError, match=r"(?i)primary key|duplicate"):
        conn.exec_driver_sql("insert into s.t (id, a) values ('3', 'again')")
    with engine.begin() as conn, pytest.raises(DBAPIError, match=r"(?i)not null"):
        conn.exec_driver_sql("insert into s.t (id, a) values ('5', null)")
    with pytest.raises(RuntimeError, match="stopped"), engine.begin() as conn:
        replace_table(conn, "s", "t", _night(tmp_path, "three", ["9"]))
        raise RuntimeError("the publish stopped before its commit")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select id from s.t order by id").fetchall() == [("3",), ("4",)]
    engine.dispose()
