"""A required file that vanished stops publishing; an optional one is left out with a note."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.support import run_pipeline, table_checksums
from transforms.pipeline.publish_stage import RequiredSourceError

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


def test_a_vanished_required_file_keeps_the_previous_night(sample_dir: Path, tmp_path: Path) -> None:
    company = tmp_path / "company"
    shutil.copytree(sample_dir, company)
    first = run_pipeline(company, tmp_path / "data", run_id="night_1", as_of="2026-11-19")
    before = table_checksums(first.warehouse_path)

    (company / "journals" / "visits.jsonl").unlink()
    with pytest.raises(RequiredSourceError, match=r"journals/visits\.jsonl"):
        run_pipeline(company, tmp_path / "data", run_id="night_2", as_of="2026-11-20")
    assert table_checksums(first.warehouse_path) == before
    with duckdb.connect(str(first.warehouse_path), read_only=True) as con:
        status, message = con.execute("select status, message from ops.run where run_id = 'night_2'").fetchone()
    assert status == "failed" and "visits.jsonl" in message

    doc = yaml.safe_load((company / "sources.yml").read_text("utf-8"))
    for source in doc["sources"]:
        if source["name"] == "visits":
            source["required"] = False
    (company / "sources.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    third = run_pipeline(company, tmp_path / "data", run_id="night_3", as_of="2026-11-20")
    with duckdb.connect(str(third.warehouse_path), read_only=True) as con:
        status = con.execute("select status from ops.run where run_id = 'night_3'").fetchone()
        visits = con.execute("select count(*) from staging.contact where source_name = 'visits'").fetchone()
        line = con.execute(
            "select status from ops.reconciliation where run_id = 'night_3' and source_name = 'visits'"
        ).fetchone()
    assert status == ("succeeded_with_errors",) and visits == (0,) and line == ("missing",)
