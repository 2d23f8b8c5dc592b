"""The crm-etl commands as a user types them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import PipelineRun
from transforms.cli import app

runner = CliRunner()


def test_a_typo_in_the_sources_file_stops_before_reading_and_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - name: a\n    kind: spreadsheet\n    path: a.xlsx\n    colums: {Nazwisko: surname}\n", "utf-8"
    )
    result = runner.invoke(
        app,
        [
            "run",
            "--sources",
            str(tmp_path / "sources.yml"),
            "--warehouse",
            f"duckdb:///{tmp_path / 'w.duckdb'}",
            "--data-dir",
            str(tmp_path / "data"),
            "--as-of",
            "2026-11-20",
        ],
    )
    assert result.exit_code == 2
    assert "sources[0].colums" in result.output and "sources.yml" in result.output
    assert not (tmp_path / "data" / "runs").exists() or not any((tmp_path / "data" / "runs").iterdir())


def test_a_bad_as_of_date_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--sources", "x.yml", "--as-of", "20-11-2026"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_status_and_summary_of_a_finished_run(pipeline_run: PipelineRun) -> None:
    status = runner.invoke(app, ["status", "--warehouse", pipeline_run.warehouse_url])
    assert status.exit_code == 0, status.output
    assert "test_run_1" in status.output and "succeeded" in status.output
    summary = runner.invoke(
        app, ["summary", "--warehouse", pipeline_run.warehouse_url, "--data-dir", str(pipeline_run.data_dir)]
    )
    assert summary.exit_code == 0, summary.output
    assert "journals/call_log.csv" in summary.output and "quarantined" in summary.output


def test_status_of_an_empty_warehouse(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--warehouse", f"duckdb:///{tmp_path / 'new.duckdb'}"])
    assert result.exit_code == 0 and "No runs" in result.output


def test_generate_writes_a_sources_file_and_truth(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "s"), "--customers", "30", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "sources.yml").is_file() and (tmp_path / "s" / "truth" / "rows.parquet").is_file()


def test_generate_without_the_development_package_says_where_the_generator_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed wheel holds transforms/ only: devkit (the generator) cannot be imported there.
    monkeypatch.setitem(sys.modules, "devkit", None)
    monkeypatch.setitem(sys.modules, "devkit.generator", None)
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "s"), "--customers", "30"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "development tool" in lines[0] and "clone of the repository" in lines[0], lines
    assert not (tmp_path / "s").exists()
