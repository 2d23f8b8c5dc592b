"""The steward's round trip: workbook out, verdicts in, stored, and applied to tonight's records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from transforms.customers.decisions import decisions_for_records, load_decisions, store_decisions
from transforms.customers.review import (
    DECISION_HEADER,
    SHEET,
    parse_decision,
    read_review_workbook,
    write_review_workbook,
)
from transforms.warehouse.engine import make_engine


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "record_fingerprint": ["fa", "fb", "fc", "fd"],
            "source_name": ["calls", "anna", "anna", "acc"],
            "source_file": ["calls.csv", "anna.xlsx", "anna.xlsx", "acc.csv"],
            "sheet": ["", "2024", "2024", ""],
            "row_number": [1, 2, 3, 4],
            "responsible": ["Li Wei", "Anna", "Anna", "unassigned"],
            "given_name": ['=HYPERLINK("http://x")', "Jan", "Jan", "Jan"],
            "surname": ["Kowalski", "Kowalski", "Kowalsky", "Nowak"],
            "date_of_birth": [dt.date(1970, 1, 2), None, dt.date(1970, 1, 2), None],
            "phone_e164": ["+48601000001", "+48601000001", None, None],
        }
    )


def _pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id_l": ["a", "b"],
            "record_id_r": ["b", "c"],
            "match_weight": [3.2, 1.1],
            "match_probability": [0.8, 0.55],
            "cmp_surname": [3, 2],
            "cmp_phone": [1, -1],
        }
    )


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_review_workbook(
        _pairs(), _records(), tmp_path / "review.xlsx", run_id="night-1", as_of=dt.date(2026, 11, 20)
    )


def _fill(path: Path, verdicts: list[str | None], reviewer: str | None = None) -> None:
    wb = load_workbook(path)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    col = header.index(DECISION_HEADER) + 1
    for i, verdict in enumerate(verdicts, start=2):
        ws.cell(row=i, column=col, value=verdict)
    if reviewer:
        ws_help = wb["How to review"]
        for row in ws_help.iter_rows():
            if row[0].value == "Reviewer:":
                row[0].value = f"Reviewer: {reviewer}"
    wb.save(path)


def test_the_workbook_shows_both_records_side_by_side_and_keeps_formulas_out(workbook: Path) -> None:
    wb = load_workbook(workbook)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["pair", DECISION_HEADER, "match probability", "match weight"]
    for col in ("surname (A)", "surname (B)", "surname: level", "phone: level", "source_file (A)", "row_number (B)"):
        assert col in header
    first = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert first["match probability"] == 0.8  # most probable first
    assert (first["surname (A)"], first["surname (B)"], first["row_number (B)"]) == ("Kowalski", "Kowalski", 2)
    cell = ws.cell(row=2, column=header.index("given_name (A)") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=")  # text, not a formula
    assert ws.column_dimensions[ws.cell(row=1, column=header.index("record_id_a") + 1).column_letter].hidden


def test_import_stores_verdicts_and_later_ones_win(workbook: Path, tmp_path: Path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    _fill(workbook, ["match", None], reviewer="Ewa Steward")
    imported = read_review_workbook(workbook)
    assert imported.undecided == 1 and not imported.problems
    assert store_decisions(engine, imported) == 1
    _fill(workbook, ["Not a match", "not a match"])
    assert store_decisions(engine, read_review_workbook(workbook)) == 2
    stored = load_decisions(engine)
    assert len(stored) == 2
    first = stored[stored["record_id_l"].isin(["a", "b"]) & stored["record_id_r"].isin(["a", "b"])].iloc[0]
    assert not first["is_match"]
    engine.dispose()


def test_a_bad_verdict_is_named_and_the_rest_imported(workbook: Path) -> None:
    _fill(workbook, ["maybe", "match"])
    imported = read_review_workbook(workbook)
    assert len(imported.decisions) == 1
    assert len(imported.problems) == 1
    problem = imported.problems[0]
    assert "row 2" in problem and DECISION_HEADER in problem and "maybe" in problem


def test_a_workbook_without_the_sheet_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    with pytest.raises(ValueError, match="Pairs to review"):
        read_review_workbook(other)


def test_decisions_follow_fingerprints_to_tonight_s_rows() -> None:
    decisions = pd.DataFrame({"fingerprint_l": ["fa"], "fingerprint_r": ["fb"], "is_match": [False]})
    tonight = pd.DataFrame({"record_id": ["moved-a", "b", "b-copy"], "record_fingerprint": ["fa", "fb", "fb"]})
    got = decisions_for_records(decisions, tonight)
    assert set(zip(got["record_id_l"], got["record_id_r"], strict=True)) == {("moved-a", "b"), ("moved-a", "b-copy")}
    assert not got["is_match"].any()
    edited = tonight.assign(record_fingerprint=["fa-edited", "fb", "fb"])
    assert decisions_for_records(decisions, edited).empty


def test_the_workbook_is_laid_out_for_a_steward(workbook: Path) -> None:
    """What a steward works with: a bold header, the decision column shaded and offering the two verdicts on
    every pair, the first two columns and the header frozen, a filter, dates shown as dates, numbers as numbers,
    and the night named on the help sheet."""
    wb = load_workbook(workbook)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    decision = ws.cell(row=1, column=header.index(DECISION_HEADER) + 1).column_letter
    assert all(c.font.b for c in ws[1])
    assert all(ws[f"{decision}{r}"].fill.fgColor.rgb.endswith("FFF2CC") for r in (2, 3))
    (check,) = ws.data_validations.dataValidation
    assert (check.type, check.formula1, str(check.sqref)) == ("list", '"match,not a match"', f"{decision}2:{decision}3")
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(header)).column_letter}3"
    row = {h: ws.cell(row=3, column=i + 1) for i, h in enumerate(header)}  # pair b-c: the less probable
    assert row["date_of_birth (B)"].value == dt.datetime(1970, 1, 2)
    assert row["date_of_birth (B)"].number_format == "yyyy-mm-dd"
    assert row["date_of_birth (A)"].value is None
    assert (row["match probability"].value, row["phone: level"].value, row["row_number (A)"].value) == (0.55, -1, 2)
    lines = [r[0].value for r in wb["How to review"].iter_rows()]
    assert f"Write 'match' or 'not a match' in column {decision}; leave it empty to decide later." in lines
    assert "Night: 2026-11-20   run: night-1   pairs: 2" in lines


@pytest.mark.parametrize(
    ("text", "expected"), [("match", True), (" MATCH ", True), ("not a match", False), ("", None), (None, None)]
)
def test_parse_decision(text: str | None, expected: bool | None) -> None:
    assert parse_decision(text) is expected


def test_hostile_cells_stay_text_in_the_review_workbook(tmp_path: Path) -> None:
    """Formula-like names keep Excel's quote prefix (editing the cell does not make them formulas), and a control
    character a workbook cannot hold does not stop the night."""
    records = _records().assign(
        given_name=["@SUM(A1)", "-2+3", "Jan", "Jan"],
        surname=["Kowal\x01ski", "=1+1", "+A1", "Nowak"],
    )
    path = write_review_workbook(_pairs(), records, tmp_path / "review.xlsx", run_id="n", as_of=dt.date(2026, 11, 20))
    ws = load_workbook(path)[SHEET]
    header = [c.value for c in ws[1]]
    cells = {
        ws.cell(row=r, column=header.index(col) + 1).value: ws.cell(row=r, column=header.index(col) + 1)
        for r in (2, 3)
        for col in ("given_name (A)", "given_name (B)", "surname (A)", "surname (B)")
    }
    for text in ("@SUM(A1)", "-2+3", "=1+1", "+A1"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert "Kowalski" in cells and not cells["Kowalski"].quotePrefix
