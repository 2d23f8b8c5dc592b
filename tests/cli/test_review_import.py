"""`crm-etl review import`: a steward's workbook in, decisions stored, unreadable rows named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from transforms.cli import app
from transforms.customers.decisions import load_decisions
from transforms.customers.review import DECISION_HEADER, SHEET, write_review_workbook
from transforms.warehouse.engine import make_engine

runner = CliRunner()


def _workbook(tmp_path: Path, verdicts: list[str | None]) -> Path:
    records = pd.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "record_fingerprint": ["fa", "fb", "fc"],
            "source_name": ["calls", "anna", "anna"],
            "source_file": ["calls.csv", "anna.xlsx", "anna.xlsx"],
            "sheet": ["", "2024", "2024"],
            "row_number": [1, 2, 3],
            "responsible": ["Li Wei", "Anna", "Anna"],
            "surname": ["Kowalski", "Kowalski", "Kowalsky"],
        }
    )
    pairs = pd.DataFrame(
        {
            "record_id_l": ["a", "b"],
            "record_id_r": ["b", "c"],
            "match_weight": [3.0, 1.0],
            "match_probability": [0.8, 0.6],
        }
    )
    path = write_review_workbook(pairs, records, tmp_path / "review.xlsx", run_id="r", as_of=dt.date(2026, 11, 20))
    wb = load_workbook(path)
    ws = wb[SHEET]
    col = [c.value for c in ws[1]].index(DECISION_HEADER) + 1
    for row, verdict in enumerate(verdicts, start=2):
        ws.cell(row=row, column=col, value=verdict)
    wb.save(path)
    return path


def test_import_stores_the_decisions(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    result = runner.invoke(
        app, ["review", "import", str(_workbook(tmp_path, ["match", "not a match"])), "--warehouse", url]
    )
    assert result.exit_code == 0, result.output
    assert "Stored 2 decision(s)" in result.output
    engine = make_engine(url)
    assert sorted(load_decisions(engine)["is_match"].tolist()) == [False, True]
    engine.dispose()


def test_an_unreadable_verdict_is_named_and_the_rest_stored(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    result = runner.invoke(
        app, ["review", "import", str(_workbook(tmp_path, ["perhaps", "match"])), "--warehouse", url]
    )
    assert result.exit_code == 1
    assert "row 2" in result.output and "perhaps" in result.output
    assert "Stored 1 decision(s)" in result.output


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook")
    result = runner.invoke(app, ["review", "import", str(bad), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}"])
    assert result.exit_code == 2
    assert "notes.xlsx" in result.output
