"""A night killed (kill -9) right before or right after the publish commit: `crm-etl status` and `crm-etl summary`
tell the same story, the one ops.run holds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.support import PipelineRun
from transforms.cli import app

runner = CliRunner()

#: Runs the publish task with its transaction wrapped so that the process kills itself just before or just after
#: the commit.
PUBLISH_THEN_DIE = """
import contextlib, os, signal, sys
from transforms.pipeline import publish_stage, tasks

run_dir, when = sys.argv[1:]
real = publish_stage.make_engine

def make_engine(url, **kw):
    engine = real(url, **kw)
    begin = engine.begin

    @contextlib.contextmanager
    def dying_begin():
        with begin() as conn:
            yield conn
            if when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    engine.begin = dying_begin
    return engine

publish_stage.make_engine = make_engine
tasks.publish(run_dir)
"""


@pytest.fixture
def night_to_publish(pipeline_run: PipelineRun, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a finished night's run folder and warehouse, set back to just before its publish."""
    data = tmp_path / "data"
    run_dir = data / "runs" / pipeline_run.run_dir.name
    shutil.copytree(pipeline_run.run_dir, run_dir)
    wh = data / "warehouse.duckdb"
    shutil.copy(pipeline_run.warehouse_path, wh)
    ctx = json.loads((run_dir / "run.json").read_text("utf-8"))
    ctx.update(warehouse_url=f"duckdb:///{wh}", data_dir=str(data), run_dir=str(run_dir))
    (run_dir / "run.json").write_text(json.dumps(ctx), "utf-8")
    shutil.rmtree(run_dir / "publish", ignore_errors=True)
    shutil.rmtree(run_dir / "report", ignore_errors=True)
    with duckdb.connect(str(wh)) as con:
        con.execute("update ops.run set status = 'running', finished_at = null where run_id = ?", [ctx["run_id"]])
    return run_dir, wh


@pytest.mark.parametrize("when", ["before", "after"])
def test_status_and_summary_agree_after_a_kill_at_the_publish_commit(
    night_to_publish: tuple[Path, Path], when: str
) -> None:
    run_dir, wh = night_to_publish
    proc = subprocess.run(
        [sys.executable, "-c", PUBLISH_THEN_DIE, str(run_dir), when], capture_output=True, text=True, check=False
    )
    assert proc.returncode == -9, proc.stderr
    url = f"duckdb:///{wh}"
    status = runner.invoke(app, ["status", "--warehouse", url, "--data-dir", str(run_dir.parents[1])])
    by_folder = runner.invoke(app, ["summary", "--run-dir", str(run_dir)])
    latest = runner.invoke(app, ["summary", "--warehouse", url, "--data-dir", str(run_dir.parents[1])])
    with duckdb.connect(str(wh), read_only=True) as con:
        (state,) = con.execute("select status from ops.run where run_id = 'test_run_1'").fetchone()
    if when == "after":
        assert state == "succeeded"
        assert by_folder.exit_code == 0 and "Run test_run_1" in by_folder.output, by_folder.output
        assert latest.exit_code == 0 and "Run test_run_1" in latest.output, latest.output
    else:
        # the process that held the run is gone: status marks it failed, and summary does not show it as published
        assert "stopped without finishing" in status.output
        assert by_folder.exit_code == 1 and "has not published" in by_folder.output, by_folder.output
        assert "Run test_run_1" not in latest.output
