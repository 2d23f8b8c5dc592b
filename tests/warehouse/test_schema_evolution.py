"""An old warehouse follows the SQL files: columns added to a file later are added to the table, none dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.warehouse.conftest import fresh_database
from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine
from transforms.warehouse.load import table_columns
from transforms.warehouse.sql_files import split_statements, sql_dir, view_files
from transforms.warehouse.table_schemas import parse_table

CONTACT = sql_dir() / "staging" / "contact.sql"


def _old_contact_table() -> str:
    """staging.contact as an older release declared it: without `channel`, with a column since removed."""
    create = next(s for s in split_statements(CONTACT.read_text("utf-8")) if parse_table(s) is not None)
    lines = [ln for ln in create.splitlines() if not ln.strip().startswith("channel ")]
    assert len(lines) == len(create.splitlines()) - 1
    return "\n".join(lines).replace("run_id varchar not null", "run_id varchar not null,\n    legacy_flag varchar")


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'old.duckdb'}"
    else:
        with fresh_database() as url:
            yield url


def test_missing_columns_are_added_and_nothing_is_dropped(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("create schema if not exists staging")
            conn.exec_driver_sql(_old_contact_table())
            conn.exec_driver_sql(
                "insert into staging.contact (record_id, source_name, source_kind, source_file, sheet, row_number, "
                "physical_row, file_sha256, responsible, as_of, run_id, legacy_flag) values ('r1', 's', 'journal', "
                "'f.csv', '', 1, 2, 'x', 'Anna', '2026-11-20', 'old_run', 'kept')"
            )
        ensure_schema(engine)
        ensure_schema(engine)  # applying again changes nothing
        with engine.connect() as conn:
            columns = table_columns(conn, "staging", "contact")
            row = conn.execute(text("select record_id, channel, legacy_flag from staging.contact")).one()
            views = conn.execute(
                text(
                    "select count(*) from information_schema.tables where table_type = 'VIEW' "
                    "and table_schema in ('staging', 'core', 'marts', 'dq', 'ops')"
                )
            ).scalar()
        expected = [c.name for c in parse_table(_old_contact_table().replace("legacy_flag", "x")).columns]
        assert "channel" in columns and "legacy_flag" in columns
        assert columns.index("channel") == len(columns) - 1  # added at the end
        assert set(expected) - {"x"} <= set(columns)
        assert tuple(row) == ("r1", None, "kept")
        assert views == len(view_files())
    finally:
        engine.dispose()
