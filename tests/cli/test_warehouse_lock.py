"""An analyst's open notebook does not stop the night's tooling: readers read, a run fails in one line, recorded."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import PipelineRun, hold_warehouse
from transforms.cli import app
from transforms.pipeline.unrecorded import unrecorded_runs

runner = CliRunner()


@pytest.fixture
def warehouse(pipeline_run: PipelineRun, tmp_path: Path) -> Path:
    """A copy of a finished night's warehouse (the session's own stays untouched)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline_run.warehouse_path, copy)
    return copy


@pytest.fixture
def notebook(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process with the warehouse open read-only, as the project's notebooks open it."""
    yield from hold_warehouse(warehouse, read_only=True)


@pytest.fixture
def writer(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process with the warehouse open for writing (a notebook opened without read_only)."""
    yield from hold_warehouse(warehouse)


def test_status_answers_while_a_notebook_reads(
    warehouse: Path, notebook: subprocess.Popen[str], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["status", "--warehouse", f"duckdb:///{warehouse}", "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 0, result.output
    assert "test_run_1" in result.output


def test_a_run_that_cannot_get_the_warehouse_fails_in_one_line_and_is_recorded(
    pipeline_run: PipelineRun, warehouse: Path, writer: subprocess.Popen[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    url = f"duckdb:///{warehouse}"
    started = time.monotonic()
    result = runner.invoke(
        app,
        ["run", "--sources", str(pipeline_run.sample_dir / "sources.yml"), "--warehouse", url, "--data-dir",
         str(data), "--as-of", "2026-11-21", "--run-id", "locked_night", "--lock-wait", "2"],
    )  # fmt: skip
    assert result.exit_code == 3  # the warehouse cannot be used (README, "Exit codes")
    assert time.monotonic() - started < 60
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert "held by process" in lines[0] and str(writer.pid) in lines[0] and "waited 2 s" in lines[0]
    assert "Traceback" not in result.output
    (failed,) = unrecorded_runs(data)
    assert failed["run_id"] == "locked_night" and "held by" in failed["message"]
    status = runner.invoke(app, ["status", "--warehouse", url, "--data-dir", str(data)])
    assert status.exit_code == 3  # ops.run could not be read; the run folders are shown all the same
    assert "locked_night" in status.output and "could not be written" in status.output
    writer.kill()
    writer.wait()
    # The next run that can write the warehouse records the failed one in ops.run.
    from transforms.pipeline import tasks
    from transforms.warehouse.status import recent_runs

    tasks.prepare_run(
        sources=str(pipeline_run.sample_dir / "sources.yml"), warehouse_url=url, as_of="2026-11-21",
        run_id="next_night", data_dir=str(data),
    )  # fmt: skip
    runs = {r["run_id"]: r for r in recent_runs(url, 10)}
    assert runs["locked_night"]["status"] == "failed" and "held by" in runs["locked_night"]["message"]
    assert unrecorded_runs(data) == []
