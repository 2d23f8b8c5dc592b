"""`crm-etl run` runs each stage in a process of its own: the warehouse is the one a night run in one process
gives, each stage's peak memory is its own process's, and a stage's process killed outright (out of memory) ends
the night failed, recorded, with the stage and the signal named, and no process left behind."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest
from typer.testing import CliRunner

from tests.support import PipelineRun, table_checksums
from transforms.cli import app
from transforms.pipeline.tasks import night_files

pytestmark = pytest.mark.slow  # runs whole nights: full lane only (make test)


def _run_args(sources: Path, wh: Path, data: Path, run_id: str, workers: int = 1) -> list[str]:
    return ["run", "--sources", str(sources), "--warehouse", f"duckdb:///{wh}", "--data-dir", str(data),
            "--as-of", "2026-11-20", "--run-id", run_id, "--workers", str(workers)]  # fmt: skip


STAGE_TASKS = ["extract", "standardize", "validate", "link", "receivables", "segments", "publish", "report"]


@pytest.mark.parametrize("workers", [1, 2, 0], ids=["one-worker", "two-workers", "one-process"])
def test_a_night_in_stage_processes_fills_the_warehouse_as_one_process_does(
    pipeline_run: PipelineRun, tmp_path: Path, workers: int
) -> None:
    """With two workers the night's files are extracted, standardized and checked two at a time, each in a process
    of its own, as the DAG's mapped tasks do: the same warehouse, each file's task in ops.task_run. Not waiting for
    another holder of the warehouse (--lock-wait 0) does not stop the night's processes waiting for each other.
    With --one-process (0 here) every stage runs in the command's own process, one file after another."""
    wh = tmp_path / "warehouse.duckdb"
    args = _run_args(pipeline_run.sample_dir / "sources.yml", wh, tmp_path / "data", "sp", max(workers, 1))
    args += ["--lock-wait", "0"] + (["--one-process"] if workers == 0 else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert table_checksums(wh) == table_checksums(pipeline_run.warehouse_path)
    with duckdb.connect(str(wh), read_only=True) as con:
        tasks = con.execute("select task, status, peak_memory_mb from ops.task_run order by started_at").fetchall()
        run = con.execute("select status from ops.run where run_id = 'sp'").fetchone()
    names = [t for t, _, _ in tasks]
    assert [n for n in names if " " not in n] == STAGE_TASKS
    keys = night_files(str(tmp_path / "data" / "runs" / "sp"))
    for stage in ("extract", "standardize", "validate") if workers > 1 else ():
        per_file = [i for i, n in enumerate(names) if n.startswith(f"{stage}_file ")]
        assert sorted(names[i] for i in per_file) == sorted(f"{stage}_file {k}" for k in keys)
        assert max(per_file) < names.index(stage)  # every file before the task that combines them
    assert len(names) == len(STAGE_TASKS) + (3 * len(keys) if workers > 1 else 0)
    assert all(status == "succeeded" and peak and peak > 50 for _, status, peak in tasks)
    assert run in (("succeeded",), ("succeeded_with_errors",))


def _stage_process(night: psutil.Process, name: str, timeout: float) -> psutil.Process:
    """The process the night started for a stage (named ``crm-etl <stage>``, 15 characters at most)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in night.children(recursive=True):
            try:
                if child.name() == f"crm-etl {name}"[:15]:
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.02)
    raise AssertionError(f"no process for {name} within {timeout}s")


def test_a_stage_killed_outright_fails_the_night_naming_the_stage_and_leaves_no_process(
    sample_dir: Path, tmp_path: Path
) -> None:
    wh, data = tmp_path / "warehouse.duckdb", tmp_path / "data"
    command = [sys.executable, "-m", "transforms.cli", *_run_args(sample_dir / "sources.yml", wh, data, "killed", 2)]
    night = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(night.pid)
    try:
        validate = _stage_process(parent, "validate", timeout=240)
        started = parent.children(recursive=True)  # the stage's process and the server it was forked from
        validate.send_signal(signal.SIGKILL)  # as the system does when memory runs out
        out, err = night.communicate(timeout=240)
    finally:
        if night.poll() is None:
            night.kill()
    assert night.returncode == 1, out + err
    said = " ".join(err.split())
    assert re.search(r"the process running validate_file \S+ was stopped by SIGKILL", said), said
    assert "memory" in said
    _, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
    with duckdb.connect(str(wh), read_only=True) as con:
        status, message = con.execute("select status, message from ops.run where run_id = 'killed'").fetchone()
        tasks = con.execute("select task, status from ops.task_run order by started_at").fetchall()
    assert status == "failed" and "validate_file" in message and "SIGKILL" in message
    stages = [(t, s) for t, s in tasks if " " not in t]
    assert stages == [("extract", "succeeded"), ("standardize", "succeeded")]  # validate never combined
    failed = [t for t, s in tasks if s == "failed"]
    assert len(failed) == 1 and failed[0].startswith("validate_file "), tasks


def test_the_night_killed_outright_stops_its_stage_at_once(sample_dir: Path, tmp_path: Path) -> None:
    """An operator's kill -9 of the night: its stage's process must not go on writing to the warehouse alone."""
    wh, data = tmp_path / "warehouse.duckdb", tmp_path / "data"
    command = [sys.executable, "-m", "transforms.cli", *_run_args(sample_dir / "sources.yml", wh, data, "gone", 2)]
    night = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(night.pid)
    try:
        _stage_process(parent, "validate", timeout=240)
        started = parent.children(recursive=True)
        night.kill()
        night.wait(timeout=30)
    finally:
        if night.poll() is None:
            night.kill()
    _, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
    with duckdb.connect(str(wh), read_only=True) as con:  # opens at once: no stage holds the warehouse
        tasks = [t for (t,) in con.execute("select task from ops.task_run order by started_at").fetchall()]
    assert [t for t in tasks if " " not in t] == ["extract", "standardize"]
    assert not [t for t in tasks if t.startswith("validate")]


def test_the_night_s_files_go_side_by_side_by_default_only_when_they_are_large(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transforms.pipeline import tasks
    from transforms.pipeline.file_plan import read_night_files

    run_dir = tasks.prepare_run(
        sources=str(sample_dir / "sources.yml"), warehouse_url=f"duckdb:///{tmp_path / 'wh.duckdb'}",
        as_of="2026-11-20", run_id="sizes", data_dir=str(tmp_path / "data"),
    )  # fmt: skip
    total = sum(Path(f.path).stat().st_size for f in read_night_files(run_dir) if f.path)
    assert total < tasks.SIDE_BY_SIDE_BYTES
    assert tasks.workers_for(run_dir, 3) == 1  # a process per file would cost more than it saves
    monkeypatch.setattr(tasks, "SIDE_BY_SIDE_BYTES", total // 2)
    assert tasks.workers_for(run_dir, 3) == 3
