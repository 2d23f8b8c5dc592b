"""Faults outside the data end every command in one line naming what is wrong and what to do, a non-zero exit
code and no traceback; the run is recorded as failed in ops.run where a warehouse can be reached, and a run
killed with kill -9 does not stay "running"."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.support import PipelineRun
from transforms.cli import app
from transforms.faults import EXIT_FILES, EXIT_WAREHOUSE
from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine

runner = CliRunner()

#: Nothing listens on this port; the role and the database do not exist on the local server.
DOWN = "postgresql+psycopg2://postgres@127.0.0.1:1/test"
NO_ROLE = "postgresql+psycopg2://no_such_login_x@127.0.0.1:5432/test"
NO_DATABASE = "postgresql+psycopg2://postgres@127.0.0.1:5432/no_such_database_x"
WAREHOUSES = {DOWN: "127.0.0.1:1", NO_ROLE: "no_such_login_x", NO_DATABASE: "no_such_database_x"}


def unwritable(tmp_path: Path) -> Path:
    """A folder path this user cannot create or write: under a read-only folder, or (as root, whom permissions
    do not stop) under a plain file."""
    if os.geteuid() == 0:
        (tmp_path / "a_file").write_text("not a folder")
        return tmp_path / "a_file" / "data"
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "data"


def one_line(output: str) -> str:
    """The command's message: one line, no traceback."""
    assert "Traceback" not in output and "╭" not in output, output
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1, output
    return lines[0]


def _run(sources: Path, url: str, data: Path, run_id: str) -> list[str]:
    return ["run", "--sources", str(sources), "--warehouse", url, "--data-dir", str(data), "--run-id", run_id,
            "--as-of", "2026-11-21", "--lock-wait", "0"]  # fmt: skip


def test_a_data_folder_that_cannot_be_written_fails_in_one_line_recorded_in_ops_run(
    sample_dir: Path, tmp_path: Path
) -> None:
    wh = tmp_path / "warehouse.duckdb"
    result = runner.invoke(app, _run(sample_dir / "sources.yml", f"duckdb:///{wh}", unwritable(tmp_path), "ro_data"))
    assert result.exit_code == EXIT_FILES
    line = one_line(result.output)
    assert "cannot write the run folder" in line and "--data-dir" in line
    with duckdb.connect(str(wh), read_only=True) as con:
        status, message = con.execute("select status, message from ops.run where run_id = 'ro_data'").fetchone()
    assert status == "failed" and "cannot write the run folder" in message


def test_a_warehouse_that_cannot_be_created_fails_in_one_line_kept_in_the_run_folder(
    sample_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    url = f"duckdb:///{unwritable(tmp_path) / 'warehouse.duckdb'}"
    result = runner.invoke(app, _run(sample_dir / "sources.yml", url, data, "ro_warehouse"))
    assert result.exit_code == EXIT_WAREHOUSE
    line = one_line(result.output)
    assert "warehouse.duckdb" in line and "--warehouse" in line and "failed_unrecorded.json" in line
    shown = runner.invoke(app, ["status", "--warehouse", url, "--data-dir", str(data)])
    assert "ro_warehouse" in shown.output and "Traceback" not in shown.output


@pytest.mark.parametrize("url", list(WAREHOUSES))
def test_a_run_against_an_unusable_postgresql_fails_in_one_line(url: str, sample_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(app, _run(sample_dir / "sources.yml", url, data, "pg_fault"))
    assert result.exit_code == EXIT_WAREHOUSE
    line = one_line(result.output)
    assert WAREHOUSES[url] in line or "Connection refused" in line, line
    assert "--warehouse" in line or "docs/access.md" in line
    assert (data / "runs" / "pg_fault" / "failed_unrecorded.json").is_file()


@pytest.mark.parametrize("url", list(WAREHOUSES))
@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["summary"],
        ["console", "--port", "1"],
        ["export-segment", "1", "--out", "{tmp}/out.csv"],
        ["review", "import", "{review}"],
    ],
    ids=["status", "summary", "console", "export-segment", "review-import"],
)
def test_every_command_against_an_unusable_postgresql_says_so_in_one_line(
    url: str, command: list[str], tmp_path: Path
) -> None:
    from tests.cli.test_review_import import _workbook

    review = _workbook(tmp_path, ["match", "not a match"])
    args = [a.format(tmp=tmp_path, review=review) for a in command]
    result = runner.invoke(app, [*args, "--warehouse", url])
    assert result.exit_code == EXIT_WAREHOUSE, result.output
    line = one_line(result.output)
    assert WAREHOUSES[url] in line or "Connection refused" in line, line


def test_export_to_a_path_that_cannot_be_written_says_so(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline_run.warehouse_path, copy)
    out = unwritable(tmp_path) / "segment.csv"
    result = runner.invoke(app, ["export-segment", "1", "--out", str(out), "--warehouse", f"duckdb:///{copy}"])
    assert result.exit_code == EXIT_FILES
    line = one_line(result.output)
    assert "cannot write the export file" in line and "--out" in line


KILLED = """
import os, signal, sys
from transforms.pipeline import tasks
from transforms.pipeline.tracking import tracked

sources, url, data, run_id, whole = sys.argv[1:]
run_dir = tasks.prepare_run(sources=sources, warehouse_url=url, as_of="2026-11-21", run_id=run_id, data_dir=data,
                            whole_run=whole == "whole")

@tracked("extract")
def die(ctx):
    os.kill(os.getpid(), signal.SIGKILL)

die(run_dir)
"""


def _killed_run(sample_dir: Path, url: str, data: Path, run_id: str, whole: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(sample_dir / "sources.yml"), url, str(data), run_id, whole],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr


def _run_row(wh: Path, run_id: str) -> tuple[str, str | None]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute("select status, message from ops.run where run_id = ?", [run_id]).fetchone()


def test_a_run_killed_with_kill_9_is_marked_failed_by_status(sample_dir: Path, tmp_path: Path) -> None:
    wh, data = tmp_path / "warehouse.duckdb", tmp_path / "data"
    _killed_run(sample_dir, f"duckdb:///{wh}", data, "killed_cli", "whole")
    assert _run_row(wh, "killed_cli")[0] == "running"
    result = runner.invoke(app, ["status", "--warehouse", f"duckdb:///{wh}", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "stopped without finishing" in result.output
    status, message = _run_row(wh, "killed_cli")
    assert status == "failed" and "stopped without finishing" in (message or "")


def test_a_task_killed_with_kill_9_is_marked_failed_by_the_next_run(sample_dir: Path, tmp_path: Path) -> None:
    """Under a scheduler each task names its own process while it runs."""
    from transforms.pipeline import tasks

    wh, data = tmp_path / "warehouse.duckdb", tmp_path / "data"
    url = f"duckdb:///{wh}"
    _killed_run(sample_dir, url, data, "killed_task", "task")
    assert _run_row(wh, "killed_task")[0] == "running"
    sources = str(sample_dir / "sources.yml")
    tasks.prepare_run(sources=sources, warehouse_url=url, as_of="2026-11-22", run_id="next", data_dir=str(data))
    status, message = _run_row(wh, "killed_task")
    assert status == "failed" and "stopped without finishing" in (message or "")
    assert _run_row(wh, "next")[0] == "running"  # a run between its tasks is not judged dead


def test_a_live_process_keeps_its_run_running(tmp_path: Path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        ops.start_run(
            engine, run_id="alive", as_of=dt.date(2026, 11, 21), sources_file="s", warehouse="w",
            owner=ops.this_process(),
        )  # fmt: skip
        assert ops.mark_dead_runs(engine) == []
        assert ops.mark_dead_runs(engine, alive=lambda pid, since: False) == ["alive"]
    finally:
        engine.dispose()


def test_status_on_duckdb_shows_why_a_night_failed(tmp_path: Path) -> None:
    """Both the failed task and the unreadable file, read on one connection."""
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = make_engine(url)
    try:
        ops.start_run(engine, run_id="bad_night", as_of=dt.date(2026, 11, 21), sources_file="s", warehouse="w")
        row = {"run_id": "bad_night", "started_at": ops.utcnow(), "finished_at": ops.utcnow(), "rows_in": None,
               "rows_out": None, "peak_memory_mb": 1.0}  # fmt: skip
        ops.record_task(engine, {**row, "task": "extract", "status": "succeeded", "message": None})
        ops.record_task(engine, {**row, "task": "publish", "status": "failed", "message": "required file missing"})
        ops.fail_run(engine, run_id="bad_night", message="publish: required file missing")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "insert into ops.reconciliation (run_id, as_of, source_name, source_kind, source_file, status, "
                "rows_read, rows_loaded, rows_quarantined, is_balanced, is_reused, error) values ('bad_night', "
                "'2026-11-21', 'pay', 'payments', 'payments.csv', 'failed', 0, 0, 0, true, false, "
                "'payments.csv: the file is empty')"
            )
    finally:
        engine.dispose()
    result = runner.invoke(app, ["status", "--warehouse", url, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "publish: required file missing" in result.output
    assert "payments.csv: the file is empty" in result.output
