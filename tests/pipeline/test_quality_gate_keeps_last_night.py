"""A critical data-quality failure stops the night before publishing: the previous night stays as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support import run_pipeline, table_checksums
from transforms.pipeline import tasks
from transforms.quality import QualityGateError

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


def test_a_critical_failure_leaves_the_previous_night_untouched(sample_dir: Path, tmp_path: Path) -> None:
    company = tmp_path / "company"
    shutil.copytree(sample_dir, company)
    first = run_pipeline(company, tmp_path / "data", run_id="night_1", as_of="2026-11-19")
    before = table_checksums(first.warehouse_path)

    # The company tightens its standard: no record may miss a mandatory field.
    (company / "quality.yml").write_text(
        "rules:\n  mandatory_field_missing: {severity: critical, tolerance: 0.0}\n", "utf-8"
    )
    run_dir = tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=first.warehouse_url,
        as_of="2026-11-20",
        run_id="night_2",
        data_dir=str(tmp_path / "data"),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    with pytest.raises(QualityGateError, match="mandatory_field_missing") as gate:
        tasks.validate(run_dir)
    assert ".xlsx" in str(gate.value) or ".csv" in str(gate.value)

    assert table_checksums(first.warehouse_path) == before
    with duckdb.connect(str(first.warehouse_path), read_only=True) as con:
        status = con.execute("select status from ops.run where run_id = 'night_2'").fetchone()
        published = con.execute("select distinct run_id from staging.contact").fetchall()
        failures = con.execute("select count(*) from dq.failure where run_id = 'night_1'").fetchone()
    assert status == ("failed",)
    assert published == [("night_1",)]
    assert failures[0] > 0  # the first night's failures were published with it
