"""XlsxWriter cells written by ``TextCells.value`` read back as openpyxl's ``write_cell`` writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl import Workbook, load_workbook

from transforms.reporting.sheet_cells import TextCells, write_cell

VALUES: list[Any] = [
    "Kowalski",
    '=HYPERLINK("http://x")',
    "+48 601 000 001",
    "-2+3",
    7,
    np.int64(12),
    0.25,
    np.float64(1.5),
    True,
    None,
    float("nan"),
    pd.NA,
    pd.NaT,
    dt.date(1970, 1, 2),
    dt.datetime(2026, 11, 20, 8, 30),
    pd.Timestamp("2026-11-20 08:30"),
    dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC),
    "Мария\x01 ☃",
]


def _cells(path: Path) -> list[tuple[Any, str, bool, str]]:
    ws = load_workbook(path).active
    assert ws is not None
    return [
        (c.value, c.data_type, bool(c.quotePrefix), c.number_format)
        for c in (ws.cell(row=r, column=1) for r in range(1, len(VALUES) + 1))
    ]


def test_xlsxwriter_cells_read_back_as_openpyxl_cells(tmp_path: Path) -> None:
    reference = Workbook()
    ws = reference.active
    assert ws is not None
    for r, value in enumerate(VALUES, start=1):
        write_cell(ws.cell(row=r, column=1), value)
    reference.save(tmp_path / "openpyxl.xlsx")

    with xlsxwriter.Workbook(str(tmp_path / "xlsxwriter.xlsx"), {"constant_memory": True}) as wb:
        sheet = wb.add_worksheet()
        cells = TextCells(wb)
        for r, value in enumerate(VALUES):
            cells.value(sheet, r, 0, value)

    assert _cells(tmp_path / "xlsxwriter.xlsx") == _cells(tmp_path / "openpyxl.xlsx")


def test_an_empty_value_gets_the_blank_format_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as wb:
        sheet = wb.add_worksheet()
        shaded = wb.add_format({"bg_color": "#FFF2CC", "pattern": 1})
        TextCells(wb).value(sheet, 0, 0, None, shaded)
        TextCells(wb).value(sheet, 1, 0, None)
    ws = load_workbook(path).active
    assert ws is not None
    assert ws["A1"].fill.fgColor.rgb.endswith("FFF2CC") and ws["A1"].value is None
    assert ws["A2"].fill.fill_type is None


def test_headings_stay_text_in_their_format(tmp_path: Path) -> None:
    """A heading can be a name from the settings: never a formula, never markup, always in its format."""
    path = tmp_path / "headings.xlsx"
    names = ["pair", "=1+1", "<r>x</r>"]
    with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as wb:
        sheet = wb.add_worksheet()
        cells = TextCells(wb)
        bold = cells.heading_format({"bold": True})
        for c, name in enumerate(names):
            cells.heading(sheet, 0, c, name, bold)
    ws = load_workbook(path).active
    assert ws is not None
    row = [ws.cell(row=1, column=c + 1) for c in range(len(names))]
    assert [c.value for c in row] == names
    assert all(c.data_type == "s" and c.quotePrefix and c.font.b for c in row)
