"""The night run file by file, as the DAG's mapped tasks run it on several workers, gives the warehouse of one
process running whole stages (`crm-etl run`).

The per-file tasks run here in reverse order, as workers may finish them in any order; each combination step
must still write the stage's manifest as the whole stage does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.support import PipelineRun, every_table_checksum
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog

AS_OF = "2026-11-20"  # the night of the session's pipeline_run


@pytest.fixture(scope="module")
def file_by_file(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(warehouse, run folder) of the session's sample night, run task by task as the DAG wires them."""
    data = tmp_path_factory.mktemp("file_by_file")
    warehouse = data / "warehouse.duckdb"
    run_dir = tasks.prepare_run(
        sources=str(pipeline_run.sample_dir / "sources.yml"),
        warehouse_url=f"duckdb:///{warehouse}",
        as_of=AS_OF,
        run_id="file_by_file",
        data_dir=str(data),
    )
    files = tasks.night_files(run_dir)
    for per_file, combine in (
        (tasks.extract_file, tasks.combine_extract),
        (tasks.standardize_file, tasks.combine_standardize),
        (tasks.validate_file, tasks.combine_validate),
    ):
        for key in reversed(files):
            per_file(run_dir, key)
        combine(run_dir)
    for stage in ("link", "receivables", "segments", "publish", "report"):
        getattr(tasks, stage)(run_dir)
    return warehouse, Path(run_dir)


def test_the_night_files_are_every_declared_file_once(
    pipeline_run: PipelineRun, file_by_file: tuple[Path, Path]
) -> None:
    _, run_dir = file_by_file
    files = tasks.night_files(str(run_dir))
    read = RunCatalog(pipeline_run.run_dir).manifest("extract")["files"]
    assert files == [f["source_file"] for f in read]
    assert len(set(files)) == len(files) > 5


def test_every_table_is_as_one_process_leaves_it(pipeline_run: PipelineRun, file_by_file: tuple[Path, Path]) -> None:
    warehouse, _ = file_by_file
    assert every_table_checksum(warehouse) == every_table_checksum(pipeline_run.warehouse_path)


def test_the_stage_manifests_are_the_same(pipeline_run: PipelineRun, file_by_file: tuple[Path, Path]) -> None:
    _, run_dir = file_by_file

    def manifest(run: Path, stage: str) -> dict[str, object]:
        text = RunCatalog(run).path(f"{stage}.manifest").read_text("utf-8")
        return json.loads(text.replace(str(run), "<run>").replace(run.name, "<run id>"))

    for stage in ("extract", "standardize"):
        assert manifest(run_dir, stage) == manifest(pipeline_run.run_dir, stage), stage
    once, by_file = manifest(pipeline_run.run_dir, "validate"), manifest(run_dir, "validate")
    for key in ("tables", "suites", "failures_by_rule", "gate", "settings"):
        assert by_file[key] == once[key], key


def test_the_failures_name_the_same_rows_and_customers(
    pipeline_run: PipelineRun, file_by_file: tuple[Path, Path]
) -> None:
    _, run_dir = file_by_file

    def failures(run: Path) -> pd.DataFrame:
        frame = RunCatalog(run).read("validate.failure").drop(columns="run_id")
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(failures(run_dir), failures(pipeline_run.run_dir))


def test_the_data_docs_index_links_each_file(file_by_file: tuple[Path, Path]) -> None:
    _, run_dir = file_by_file
    index = RunCatalog(run_dir).path("validate.data_docs_page").read_text("utf-8")
    for key in tasks.night_files(str(run_dir)):
        assert f">{key}</a>" in index, key


def test_a_file_task_killed_on_a_worker_is_named_when_the_report_closes_the_night(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    """Two files extracted, the others' tasks killed before they wrote anything: the report finds the night still
    "running" with no live process and closes it, naming the files whose extract never finished."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    run_dir = tasks.prepare_run(
        sources=str(pipeline_run.sample_dir / "sources.yml"),
        warehouse_url=f"duckdb:///{warehouse}",
        as_of=AS_OF,
        run_id="killed_file",
        data_dir=str(tmp_path),
    )
    files = tasks.night_files(run_dir)
    for key in files[:2]:
        tasks.extract_file(run_dir, key)
    tasks.report(run_dir)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status, message = con.execute("select status, message from ops.run where run_id = 'killed_file'").fetchone()
    assert status == "failed"
    assert message.startswith(f"extract of {', '.join(files[2:5])} and {len(files) - 5} more never finished"), message
