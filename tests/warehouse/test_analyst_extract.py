"""The DuckDB analyst extract holds the marts and analyst views, and not one personal column."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from tests.support import PipelineRun
from tests.warehouse.conftest import PostgresWarehouse
from transforms.warehouse.engine import make_engine
from transforms.warehouse.extract import analyst_extract_command, write_analyst_extract
from transforms.warehouse.personal import PERSONAL_COLUMNS


def _marts_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = [
                r[0]
                for r in conn.execute(
                    text("select table_name from information_schema.tables where table_schema = 'marts'")
                )
            ]
            return {n: int(conn.execute(text(f"select count(*) from marts.{n}")).scalar() or 0) for n in names}
    finally:
        engine.dispose()


def _check_extract(path: Path, expected: dict[str, int]) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        columns = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
        ).fetchall()
        counts = {n: con.execute(f"select count(*) from marts.{n}").fetchone()[0] for n in expected}
    assert schemas == {"marts"}
    assert {"customer_overview", "completeness_by_manager", "published_night"} <= {t for t, _ in columns}
    personal = [f"{t}.{c}" for t, c in columns if c in PERSONAL_COLUMNS]
    assert not personal, f"personal columns in the analyst extract: {personal}"
    assert counts == expected
    assert counts["completeness_by_manager"] > 0 and counts["published_night"] >= 1


def test_extract_from_duckdb(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    path = write_analyst_extract(pipeline_run.warehouse_url, tmp_path / "analyst.duckdb")
    _check_extract(path, _marts_counts(pipeline_run.warehouse_url))
    message = analyst_extract_command(pipeline_run.warehouse_url, str(tmp_path / "again.duckdb"))
    assert "again.duckdb" in message and not (tmp_path / "again.duckdb.partial").exists()


@pytest.mark.postgres
def test_extract_from_postgres(postgres_warehouse: PostgresWarehouse, tmp_path: Path) -> None:
    path = write_analyst_extract(postgres_warehouse.url, tmp_path / "analyst.duckdb")
    _check_extract(path, _marts_counts(postgres_warehouse.url))
