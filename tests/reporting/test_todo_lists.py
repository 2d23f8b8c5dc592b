"""To-do workbooks and reminders: formula-safe cells read back, one file per employee, nothing of others."""

from __future__ import annotations

import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from transforms.reporting import todo
from transforms.reporting.todo import file_slug, looks_like_formula, write_todo_lists

DANGEROUS = [
    '=HYPERLINK("http://evil.example","click")',
    "+48 601 234 567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\uff1dcmd|' /C calc'!A0",  # full-width equals sign
    "\uff20SUM(1)",
    "\x07bell=1",  # a control character XML cannot hold
    '<r><t>ok</t></r></is></c><c r="J2" t="str"><f>HYPERLINK("http://evil.example","x")</f><v></v></c><c><is><r>',
    "<r>a & b</r>",  # looks like the markup of a rich string: stays the text as typed
]


def _failures() -> pd.DataFrame:
    rows = []
    for i, value in enumerate(DANGEROUS, start=1):
        rows.append(
            {
                "source_name": "anna",
                "source_file": "spreadsheets/anna.xlsx",
                "sheet": "Klienci",
                "row_number": i,
                "record_id": f"r{i}",
                "field": "email",
                "rule": "email_format",
                "severity": "warning",
                "value": value,
                "message": "E-mail is written wrongly: correct it",
                "responsible": "Anna Kowalska",
            }
        )
    rows.append({**rows[0], "responsible": "Пётр Новак", "value": "brak danych", "severity": "critical"})
    return pd.DataFrame(rows)


def test_cells_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    lists = write_todo_lists(_failures(), tmp_path, as_of="2026-11-20")
    anna = next(t for t in lists if t.employee == "Anna Kowalska")
    ws = load_workbook(anna.workbook)["To do"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["Priority", "File", "Sheet", "Row", "Field", "Value as written"]
    values = [r[5] for r in ws.iter_rows(min_row=2)]
    # XML keeps every character but the control ones it cannot hold; a carriage return is written as Excel's
    # escape _x000D_, which Excel and LibreOffice show as the character (openpyxl reads the escape as written).
    assert [c.value for c in values] == [v.replace("\x07", "").replace("\r", "_x000D_") for v in DANGEROUS]
    assert all(c.data_type == "s" for c in values)
    assert [c.quotePrefix for c in values] == [looks_like_formula(v) for v in DANGEROUS]
    assert [r[3].value for r in ws.iter_rows(min_row=2)] == list(range(1, len(DANGEROUS) + 1))
    with zipfile.ZipFile(anna.workbook) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in z.read(n).decode("utf-8") for n in sheets)


def test_one_file_per_employee_and_reminders_name_only_their_own(tmp_path: Path) -> None:
    failures = _failures()
    lists = write_todo_lists(failures, tmp_path, as_of="2026-11-20", scores={"Anna Kowalska": 71.5})
    assert sorted(t.employee for t in lists) == ["Anna Kowalska", "Пётр Новак"]
    assert len({t.workbook for t in lists}) == 2 and all(t.workbook.exists() for t in lists)
    for t in lists:
        assert t.rows == int((failures["responsible"] == t.employee).sum())
        text = t.reminder.read_text("utf-8")
        assert text.startswith(f"Hello {t.employee},")
        assert t.workbook.name in text
        others = [e for e in failures["responsible"].unique() if e != t.employee]
        assert not any(o in text for o in others)
    anna = next(t for t in lists if t.employee == "Anna Kowalska")
    assert "71.5 of 100" in anna.reminder.read_text("utf-8")
    # Written again: the folder holds tonight's lists only.
    write_todo_lists(failures[failures["responsible"] == "Anna Kowalska"], tmp_path, as_of="2026-11-21")
    assert len(list(tmp_path.glob("todo_*.xlsx"))) == 1


@pytest.mark.parametrize(
    "value",
    ["=1", "+A1", "-cmd|' /C calc'!A0", "-2+3", "+48-600-123", "@a", "\t1", "\r1", "\uff1d1", "\uff0bA1", "\uff201"],
)
def test_formula_starts(value: str) -> None:
    assert looks_like_formula(value)


@pytest.mark.parametrize("value", ["+48 600 123 456", "+1", "-12.50", "+7 (495) 123 45 67", "Nowak", "a=b"])
def test_phones_and_numbers_are_not_formulas(value: str) -> None:
    assert not looks_like_formula(value)


def test_file_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert file_slug("Анна Ковальская", taken) == "anna_koval_skaya"
    assert file_slug("../../etc/passwd", taken) == "etc_passwd"
    assert file_slug("Анна Ковальская", taken) == "anna_koval_skaya_2"
    assert file_slug("", taken) == "unassigned"


def test_a_list_longer_than_a_sheet_goes_on_in_the_next(tmp_path: Path) -> None:
    from transforms.reporting.todo import todo_rows, write_todo_workbook

    failures = pd.concat([_failures()] * 3, ignore_index=True).assign(responsible="Anna Kowalska")
    failures["row_number"] = range(1, len(failures) + 1)
    book = tmp_path / "todo.xlsx"
    write_todo_workbook(todo_rows(failures), book, employee="Anna Kowalska", as_of="2026-11-20", sheet_rows=15)
    wb = load_workbook(book)
    assert wb.sheetnames == ["To do", "To do (2)", "To do (3)", "About"]
    rows = [r for name in wb.sheetnames[:3] for r in wb[name].iter_rows(min_row=2, values_only=True)]
    critical = set(failures.loc[failures["severity"] == "critical", "row_number"])
    must_fix_first = sorted(failures["row_number"].tolist(), key=lambda n: (n not in critical, n))
    assert [r[3] for r in rows] == must_fix_first
    assert all(wb[name]["A1"].value == "Priority" and wb[name].freeze_panes == "A2" for name in wb.sheetnames[:3])
    assert [c.value for c in wb["About"]["B"]] == ["Anna Kowalska", "2026-11-20", len(failures)]


def test_customer_labels_read_missing_values_of_any_type_as_empty() -> None:
    from transforms.reporting.todo import customer_labels

    frame = pd.DataFrame(
        {
            "customer_name": pd.array(["Anna Nowak", None, None], dtype="string"),
            "customer_code": pd.array([12, None, 7], dtype="Int64"),
            "customer_id": [None, float("nan"), "c-1"],
        }
    )
    assert customer_labels(frame) == ["Anna Nowak (code 12)", "", "code 7, c-1"]


def _sheet_values(path: Path) -> list[list[object]]:
    return [[c.value for c in row] for ws in load_workbook(path).worksheets for row in ws.iter_rows()]


def test_lists_written_by_several_processes_are_those_written_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(todo, "ProcessPoolExecutor", CountedPool)
    failures = pd.concat(
        [_failures().assign(responsible=name) for name in ("Anna Kowalska", "Пётр Новак", "Li Wei", "Reza Ahmadi")]
        + [_failures().iloc[:3].assign(responsible=None)],
        ignore_index=True,
    )
    one = write_todo_lists(failures, tmp_path / "one", as_of="2026-11-20", scores={"Li Wei": 60.0}, processes=1)
    two = write_todo_lists(failures, tmp_path / "two", as_of="2026-11-20", scores={"Li Wei": 60.0}, processes=2)
    assert pools == [2]  # the second call wrote in two processes, the first in this one
    # The same lists in the same order (by employee), each with the same rows and the same reminder.
    assert [(t.employee, t.workbook.name, t.reminder.name, t.rows) for t in one] == [
        (t.employee, t.workbook.name, t.reminder.name, t.rows) for t in two
    ]
    assert [t.employee for t in one] == sorted(["Anna Kowalska", "Пётр Новак", "Li Wei", "Reza Ahmadi", "unassigned"])
    for a, b in zip(one, two, strict=True):
        assert b.workbook.parent == tmp_path / "two"
        assert _sheet_values(a.workbook) == _sheet_values(b.workbook)
        assert a.reminder.read_text("utf-8") == b.reminder.read_text("utf-8")
