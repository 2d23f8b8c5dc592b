"""The same pipeline loads PostgreSQL, the production warehouse, with the same rows as DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text

from tests.support import DATA_TABLES as TABLES
from tests.support import PipelineRun
from transforms.pipeline import tasks

pytestmark = pytest.mark.postgres


def test_pipeline_into_postgres_matches_duckdb(
    postgres_url: str, sample_dir: Path, pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    tasks.run_all(
        sources=str(sample_dir / "sources.yml"),
        warehouse_url=postgres_url,
        as_of="2026-11-20",
        run_id="pg_run",
        data_dir=str(tmp_path),
    )
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            pg_counts = {t: conn.execute(text(f"select count(*) from {t}")).scalar() for t in TABLES}
            status = conn.execute(text("select status from ops.run where run_id = 'pg_run'")).scalar()
            balanced = conn.execute(text("select bool_and(is_balanced) from ops.reconciliation")).scalar()
            phones = conn.execute(text("select count(phone_e164) from staging.contact")).scalar()
            comment = conn.execute(text("select obj_description('staging.contact'::regclass)")).scalar()
    finally:
        engine.dispose()
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        duck_counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
        duck_phones = con.execute("select count(phone_e164) from staging.contact").fetchone()[0]
    assert pg_counts == duck_counts
    assert phones == duck_phones
    assert status == "succeeded" and balanced is True
    assert comment and "standardized contact records" in comment
