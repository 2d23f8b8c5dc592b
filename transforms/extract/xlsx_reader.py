"""Read the sheets of an Excel workbook into RawSheets, below whatever title rows people put on top."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from transforms.extract.cells import cell_text
from transforms.extract.errors import SourceFileError
from transforms.extract.header import detect_header, unique_headers
from transforms.extract.tables import RawRow, RawSheet
from transforms.settings.sources import SheetPattern, SheetSelector

#: Workbooks below this size are opened fully so merged cells can be filled; larger ones are streamed.
FULL_LOAD_MAX_BYTES = 8 * 1024 * 1024


def select_sheets(
    names: Sequence[str], hidden: set[str], selector: SheetSelector, *, include_hidden: bool, source_file: str
) -> tuple[list[str], list[str]]:
    """The sheets to read and notes on the ones left out."""
    notes = []
    if selector == "all":
        chosen = list(names)
    elif isinstance(selector, SheetPattern):
        rx = re.compile(selector.pattern)
        chosen = [n for n in names if rx.search(n)]
        if not chosen:
            raise SourceFileError(
                source_file, f"no sheet matches the pattern {selector.pattern!r}; the sheets are {list(names)}"
            )
    else:
        missing = [n for n in selector if n not in names]
        if missing:
            raise SourceFileError(
                source_file,
                f"sheet(s) {missing} not found (renamed?); the workbook has {list(names)}",
                field="sheets",
            )
        chosen = [n for n in names if n in selector]
    if not include_hidden:
        skipped = [n for n in chosen if n in hidden]
        if skipped:
            notes.append(f"hidden sheet(s) not read: {skipped} (set include_hidden_sheets: true to read them)")
        chosen = [n for n in chosen if n not in hidden]
    return chosen, notes


def read_xlsx_sheets(
    path: Path,
    *,
    source_file: str,
    selector: SheetSelector,
    include_hidden: bool,
    header_row: int | str,
    declared: Sequence[str],
) -> tuple[list[RawSheet], list[str]]:
    """Every selected sheet of a workbook; a sheet without the declared headers is an error for that sheet only."""
    full = path.stat().st_size <= FULL_LOAD_MAX_BYTES
    try:
        wb = openpyxl.load_workbook(path, read_only=not full, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise SourceFileError(source_file, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    hidden = {ws.title for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") != "visible"}
    chosen, notes = select_sheets(
        wb.sheetnames, hidden, selector, include_hidden=include_hidden, source_file=source_file
    )
    sheets: list[RawSheet] = []
    for name in chosen:
        ws = wb[name]
        rows = _sheet_values(ws, full)
        sheets.append(_to_raw_sheet(name, rows, header_row=header_row, declared=declared, source_file=source_file))
    return sheets, notes


def _sheet_values(ws: Any, full: bool) -> list[list[Any]]:
    """All cell values of a sheet, merged ranges filled with their top-left value."""
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    if full and getattr(ws, "merged_cells", None):
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    row = values[r - 1] if r - 1 < len(values) else None
                    if row is not None and c - 1 < len(row):
                        row[c - 1] = top
    while values and all(cell_text(v) is None for v in values[-1]):
        values.pop()
    return values


def _to_raw_sheet(
    name: str, values: list[list[Any]], *, header_row: int | str, declared: Sequence[str], source_file: str
) -> RawSheet:
    where = f"{source_file} [sheet {name}]"
    if not values:
        raise SourceFileError(where, "the sheet is empty")
    if isinstance(header_row, int):
        if header_row > len(values):
            raise SourceFileError(where, f"header_row {header_row} is past the last row ({len(values)})")
        idx = header_row - 1
    else:
        found = detect_header(values, declared)
        if found is None:
            raise SourceFileError(
                where,
                f"none of the declared columns ({', '.join(repr(h) for h in declared[:12])}) were found in the "
                "first 30 rows; is the header row missing or renamed?",
                field="header",
            )
        idx = found
    header, notes = unique_headers(values[idx])
    width = len(header)

    def rows() -> Iterator[RawRow]:
        for offset, cells in enumerate(values[idx + 1 :], start=1):
            extra = [c for c in cells[width:] if cell_text(c) is not None]
            yield RawRow(offset, idx + 1 + offset, list(cells[:width]) + extra)

    return RawSheet(sheet=name, header=header, header_physical_row=idx + 1, rows=rows(), notes=notes)
