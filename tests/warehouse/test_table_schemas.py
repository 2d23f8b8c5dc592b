"""The table schemas read from sql/warehouse: every table parses, as DuckDB reads it, and the check names what is
wrong with a frame or file, one kind of fault at a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from transforms.lineage import LINEAGE_COLUMNS, RECORD_LINEAGE, RECORD_LOCATION, RUN_STAMP
from transforms.quality.columns import FAILING_ROW
from transforms.standardize.fields import STANDARD_COLUMN, standard_column
from transforms.warehouse.sql_files import ddl_files, split_statements, table_files
from transforms.warehouse.table_schemas import (
    DdlError,
    SchemaMismatchError,
    check_frame,
    check_parquet,
    columns,
    columns_except,
    conform,
    parse_table,
    table_schema,
    table_schemas,
)


def test_every_table_file_parses_into_one_schema() -> None:
    schemas = table_schemas()
    assert len(schemas) == len(table_files())
    assert {s.file for s in schemas.values()} == set(table_files())
    for name, schema in schemas.items():
        assert schema.qualified == name
        assert schema.file is not None and schema.file.stem == schema.name and schema.file.parent.name == schema.schema
        assert schema.columns, name


@pytest.fixture(scope="module")
def duckdb_reading() -> duckdb.DuckDBPyConnection:
    """The DDL applied to an in-memory DuckDB: what the warehouse itself makes of the files."""
    con = duckdb.connect(":memory:")
    for path in ddl_files():
        for stmt in split_statements(path.read_text("utf-8")):
            con.execute(stmt)
    return con


def test_the_schemas_are_what_duckdb_reads_from_the_same_files(duckdb_reading: duckdb.DuckDBPyConnection) -> None:
    for name, schema in table_schemas().items():
        table = duckdb_reading.sql(f"select * from {name} limit 0").to_arrow_table()
        assert table.schema.names == list(schema.column_names), name
        assert [f.type for f in table.schema] == [f.type for f in schema.arrow_schema()], name
        nullable = duckdb_reading.execute(
            "select column_name, is_nullable from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [schema.schema, schema.name],
        ).fetchall()
        assert [(c.name, not c.not_null) for c in schema.columns] == [(n, bool(null)) for n, null in nullable], name


def test_a_primary_key_makes_its_columns_required() -> None:
    customer = table_schema("core.customer")
    assert customer.column("customer_id").not_null
    assert not customer.column("email").not_null
    keyed = parse_table("create table if not exists s.t (a varchar, b bigint, c date, primary key (a, b))")
    assert keyed is not None and keyed.required == ("a", "b")


def test_columns_are_in_the_tables_order() -> None:
    assert columns("core.customer")[:3] == ("customer_id", "given_name", "surname")
    assert columns_except("core.customer", ("as_of", "run_id"))[-1] == "completeness"
    with pytest.raises(KeyError, match=r"core\.customer has no column 'nope'"):
        columns_except("core.customer", ("nope",))
    with pytest.raises(KeyError, match=r"no table 'core\.nope'"):
        columns("core.nope")


@pytest.mark.parametrize(
    ("stmt", "message"),
    [
        ("create table if not exists s.t (a varchar, b money)", r"column 'b' is declared 'money'"),
        ("create table if not exists s.t (a varchar default 'x')", r"column 'a' is declared \"varchar default 'x'\""),
        ("create table if not exists s.t (a varchar, check (a <> ''))", r"does not understand the table constraint"),
        ("create table if not exists s.t (a varchar, a bigint)", r"column\(s\) \['a'\] declared twice"),
        ("create table s.t (a varchar)", r"create table if not exists <schema>.<table>"),
        ("create table if not exists s.t (a varchar, primary key (b))", r"primary key names \['b'\]"),
    ],
)
def test_a_declaration_the_reader_does_not_know_stops_it_with_the_table_named(stmt: str, message: str) -> None:
    with pytest.raises(DdlError, match=message):
        parse_table(stmt, where="warehouse/s/t.sql")


def test_statements_that_declare_no_table_are_not_tables() -> None:
    assert parse_table("comment on table core.customer is 'x'") is None
    assert parse_table("create or replace view marts.v as select 1") is None


def _segments(**changes: object) -> pd.DataFrame:
    """Two rows of marts.customer_segment, with ``changes`` applied (None drops a column)."""
    frame = pd.DataFrame(
        {
            "customer_id": ["CUST-0000001", "CUST-0000002"],
            "segment_id": [1, 2],
            "segment_name": ["loyal", "new"],
            "assigned_at": pd.to_datetime(["2026-11-20", "2026-11-20"]),
            "as_of": [dt.date(2026, 11, 20)] * 2,
            "run_id": ["r1", "r1"],
        }
    )
    for name, value in changes.items():
        if value is None:
            frame = frame.drop(columns=[name])
        else:
            frame[name] = value
    return frame


def test_a_frame_that_fits_passes() -> None:
    check_frame("marts.customer_segment", _segments())
    # Whole numbers that pandas holds as floats (a count with gaps) load into an integer column.
    check_frame("marts.customer_segment", _segments(segment_id=[1.0, 2.0]))


def _problem(frame: pd.DataFrame) -> SchemaMismatchError:
    with pytest.raises(SchemaMismatchError) as caught:
        check_frame("marts.customer_segment", frame)
    assert caught.value.table == "marts.customer_segment"
    assert "marts.customer_segment" in str(caught.value)
    return caught.value


def test_a_missing_column_is_named() -> None:
    err = _problem(_segments(segment_name=None))
    assert [(p.column, p.problem) for p in err.problems] == [("segment_name", "missing")]
    assert "column 'segment_name' is missing" in str(err)


def test_an_extra_column_is_named() -> None:
    err = _problem(_segments(cmp_name=[1, 2]))
    assert [(p.column, p.problem) for p in err.problems] == [("cmp_name", "extra")]
    assert "column 'cmp_name' is not a column of the table (warehouse/marts/customer_segment.sql)" in str(err)


@pytest.mark.parametrize(
    ("column", "values", "detail"),
    [
        ("segment_id", ["1", "2"], "holds string, which does not load into bigint"),
        ("segment_id", [1.5, 2.0], "holds 1 fractional value(s), the table declares bigint"),
        ("as_of", ["2026-11-20", "2026-11-20"], "holds string, which does not load into date"),
        ("segment_name", [1, 2], "holds int64, which does not load into varchar"),
    ],
)
def test_an_incompatible_type_is_named(column: str, values: list[object], detail: str) -> None:
    err = _problem(_segments(**{column: values}))
    assert [(p.column, p.problem) for p in err.problems] == [(column, "type")]
    assert f"column {column!r} {detail}" in str(err)


def test_an_empty_value_in_a_required_column_is_named() -> None:
    err = _problem(_segments(segment_name=["loyal", None]))
    assert [(p.column, p.problem) for p in err.problems] == [("segment_name", "empty")]
    assert "has 1 empty value(s), the table requires a value" in str(err)


def test_every_fault_of_a_file_is_named_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "customer_segment.parquet"
    pq.write_table(pa.Table.from_pandas(_segments(segment_name=None, extra=[0, 0]), preserve_index=False), path)
    with pytest.raises(SchemaMismatchError) as caught:
        check_parquet("marts.customer_segment", path)
    assert str(caught.value).startswith(f"{path}: does not fit marts.customer_segment:")
    assert {(p.column, p.problem) for p in caught.value.problems} == {("segment_name", "missing"), ("extra", "extra")}


def test_conform_orders_the_columns_leaves_others_out_and_types_empty_columns() -> None:
    frame = _segments(cmp_name=[1, 2])[["run_id", "cmp_name", "segment_name", "segment_id", "customer_id"]]
    frame = frame.assign(assigned_at=None, as_of=None)
    table = conform("marts.customer_segment", frame)
    assert table.schema.names == list(columns("marts.customer_segment"))
    assert table.schema.field("assigned_at").type == pa.timestamp("us")
    assert table.schema.field("as_of").type == pa.date32()
    assert table.column("segment_id").to_pylist() == [1, 2]


def test_conform_gives_a_frame_without_rows_the_tables_empty_file() -> None:
    table = conform("marts.segment_movement", pd.DataFrame(columns=["customer_id"]))
    assert table.num_rows == 0
    assert table.schema.equals(table_schema("marts.segment_movement").arrow_schema())


def test_conform_refuses_a_missing_column_or_a_wrong_type() -> None:
    with pytest.raises(SchemaMismatchError, match="column 'segment_name' is missing"):
        conform("marts.customer_segment", _segments(segment_name=None))
    with pytest.raises(SchemaMismatchError, match="column 'segment_id' holds string"):
        conform("marts.customer_segment", _segments(segment_id=["1", "2"]))


def test_the_lineage_columns_are_those_the_tables_carry() -> None:
    assert columns("staging.quarantine")[: len(LINEAGE_COLUMNS)] == LINEAGE_COLUMNS
    assert columns("staging.contact")[1 : 1 + len(LINEAGE_COLUMNS)] == LINEAGE_COLUMNS
    assert set(RECORD_LINEAGE) <= set(columns("staging.contact"))
    pointing_back = [n for n, s in table_schemas().items() if "record_id" in s.column_names and n != "dq.failure"]
    assert len(pointing_back) >= 9
    for name in pointing_back:
        assert set(RECORD_LOCATION) <= set(columns(name)), name
    assert set(FAILING_ROW) <= set(columns("dq.failure"))
    for name, schema in table_schemas().items():
        if name.startswith("ops.") or name == "core.match_decision":
            continue
        assert set(RUN_STAMP) <= set(schema.column_names), name


def test_every_standardized_field_column_is_in_the_staged_and_golden_records() -> None:
    for field, column in STANDARD_COLUMN.items():
        assert column in columns("staging.contact"), field
        assert column in columns("core.customer"), field
        assert standard_column(field) == column
    assert standard_column("email") == "email"
