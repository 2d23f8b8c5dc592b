"""A night that fails after its data-quality checks is not published, but its failing values reach dq.* all the
same (the publisher loads them when the task fails); the report, which only reads, still comes out. A run of a
night that another run published never replaces that night's rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.support import run_pipeline
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog
from transforms.settings import SettingsError

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)

NIGHT = "2026-11-20"


def _night_failing_at_link(company: Path, data: Path, run_id: str) -> RunCatalog:
    run_dir = tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'warehouse.duckdb'}",
        as_of=NIGHT,
        run_id=run_id,
        data_dir=str(data),
    )
    run = RunCatalog(run_dir)
    # The run's own copy of the linkage settings breaks after the night began: link fails, validate has run.
    run.path("settings.company", file="linkage.yml").write_text("blocking: [[[\n", "utf-8")
    with pytest.raises(SettingsError, match=r"linkage\.yml"):
        tasks.run_stages(run_dir)
    return run


def _dq_rows(data: Path, run_id: str) -> tuple[int, int]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        failures = con.execute("select count(*) from dq.failure where run_id = ?", [run_id]).fetchone()
        metrics = con.execute("select count(*) from dq.metric where run_id = ?", [run_id]).fetchone()
    return failures[0], metrics[0]


def test_a_night_failing_after_its_checks_keeps_its_failures(sample_dir: Path, tmp_path: Path) -> None:
    company, data = tmp_path / "company", tmp_path / "data"
    shutil.copytree(sample_dir, company)
    run = _night_failing_at_link(company, data, "stopped")

    validated = (len(pd.read_parquet(run.path("validate.failure"))), len(pd.read_parquet(run.path("validate.metric"))))
    assert validated[0] > 0
    assert _dq_rows(data, "stopped") == validated
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        status = con.execute("select status from ops.run where run_id = 'stopped'").fetchone()
        staged = con.execute("select count(*) from staging.contact").fetchone()
    assert status == ("failed",) and staged == (0,)  # nothing else of the night is published
    report = run.manifest("report")
    assert report["published"] is False and report["dq_rows_in_warehouse"] is True
    assert Path(report["report"]).is_file() and report["todo"]

    # Another run publishes the night; a later run of it that fails leaves the published rows alone.
    published = run_pipeline(company, data, run_id="published", as_of=NIGHT)
    once = _dq_rows(data, "published")
    assert once[0] > 0 and _dq_rows(data, "stopped") == (0, 0)
    again = _night_failing_at_link(company, data, "stopped_again")
    assert _dq_rows(data, "published") == once and _dq_rows(data, "stopped_again") == (0, 0)
    assert json.loads(again.path("report.manifest").read_text("utf-8"))["dq_rows_in_warehouse"] is False
    assert published.run_dir != again.root


#: Runs the link task of a run folder in a process that kills itself (kill -9) as the stage starts: the task's
#: wrapper never gets to keep the night's dq rows.
LINK_KILLED = """
import os, signal, sys
from transforms.pipeline import link_stage, tasks

def killed(ctx):
    os.kill(os.getpid(), signal.SIGKILL)

link_stage.run_link = killed
tasks.link(sys.argv[1])
"""


def test_a_night_whose_task_was_killed_is_closed_by_the_report_with_its_failures_kept(
    sample_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run_dir = tasks.prepare_run(
        sources=str(sample_dir / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'warehouse.duckdb'}",
        as_of=NIGHT,
        run_id="killed",
        data_dir=str(data),
    )
    for stage in ("extract", "standardize", "validate"):
        getattr(tasks, stage)(run_dir)
    proc = subprocess.run([sys.executable, "-c", LINK_KILLED, run_dir], capture_output=True, text=True, check=False)
    assert proc.returncode == -9, proc.stderr
    assert _dq_rows(data, "killed") == (0, 0)  # nothing reached dq.* when the link task died

    tasks.report(run_dir)
    run = RunCatalog(run_dir)
    validated = (len(pd.read_parquet(run.path("validate.failure"))), len(pd.read_parquet(run.path("validate.metric"))))
    assert validated[0] > 0 and _dq_rows(data, "killed") == validated
    assert run.manifest("report")["dq_rows_in_warehouse"] is True
    # Nothing recorded the kill: the report closes the run, naming where it stopped.
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        status, message = con.execute("select status, message from ops.run where run_id = 'killed'").fetchone()
    assert status == "failed" and message.startswith("link never finished"), message
    tasks.report(run_dir)  # a second report loads nothing twice
    assert _dq_rows(data, "killed") == validated
