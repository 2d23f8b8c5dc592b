"""If a file's rows do not add up, nothing is published, the run fails naming the file, and the last night stays."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.support import run_pipeline
from transforms.pipeline import tasks
from transforms.pipeline.publish_stage import ReconciliationError

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


def test_a_lost_row_stops_publishing_and_keeps_the_previous_night(sample_dir: Path, tmp_path: Path) -> None:
    first = run_pipeline(sample_dir, tmp_path, run_id="night_1", as_of="2026-11-19")
    with duckdb.connect(str(first.warehouse_path), read_only=True) as con:
        before = con.execute("select count(*), min(run_id), max(run_id) from staging.contact").fetchone()

    run_dir = tasks.prepare_run(
        sources=str(sample_dir / "sources.yml"),
        warehouse_url=first.warehouse_url,
        as_of="2026-11-20",
        run_id="night_2",
        data_dir=str(tmp_path),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    staged = Path(run_dir) / "standardize" / "contact.parquet"
    table = pq.read_table(staged)
    victim = table["source_file"][0].as_py()
    pq.write_table(table.slice(1), staged)  # the first file's first row silently lost between stages

    with pytest.raises(ReconciliationError, match=victim):
        tasks.publish(run_dir)

    with duckdb.connect(str(first.warehouse_path), read_only=True) as con:
        after = con.execute("select count(*), min(run_id), max(run_id) from staging.contact").fetchone()
        status, message = con.execute("select status, message from ops.run where run_id = 'night_2'").fetchone()
        failed = con.execute("select status from ops.task_run where run_id = 'night_2' and task = 'publish'").fetchone()
    assert after == before == (before[0], "night_1", "night_1")
    assert status == "failed" and victim in message
    assert failed == ("failed",)
