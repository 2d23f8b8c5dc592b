"""Read the sheets of an Excel workbook into RawSheets, below whatever title rows people put on top."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from transforms.extract.cells import cell_text
from transforms.extract.errors import SourceFileError
from transforms.extract.header import SCAN_ROWS, detect_header, unique_headers
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
        where = f"{source_file} [sheet {name}]"
        cells = _filled_cells(wb[name], full, where=where)
        sheets.append(_to_raw_sheet(name, cells, header_row=header_row, declared=declared, source_file=source_file))
    return sheets, notes


#: A run of blank rows longer than this before a filled cell means a stray cell far below the table (or a
#: hostile one in XFD1048576): the file stops naming the cell rather than reading a million blank rows.
MAX_BLANK_GAP = 10_000
#: A merged range larger than this is not a table's heading spread over a few cells.
MAX_MERGED_CELLS = 1_000_000

Cells = dict[int, dict[int, Any]]  # row number -> column number -> value, filled cells only


def _filled_cells(ws: Any, full: bool, *, where: str) -> Cells:
    """The sheet's filled cells, merged ranges filled with their top-left value.

    Only cells that are there are visited: a sheet's declared dimension (``A1:XFD1048576`` after one stray
    keystroke) is never allocated. Large workbooks are streamed row by row.
    """
    rows: Cells = {}
    if full:
        for (r, c), cell in ws._cells.items():
            if cell_text(cell.value) is not None:
                rows.setdefault(r, {})[c] = cell.value
        for rng in ws.merged_cells.ranges:
            top = rows.get(rng.min_row, {}).get(rng.min_col)
            if top is None:
                continue
            if (rng.max_row - rng.min_row + 1) * (rng.max_col - rng.min_col + 1) > MAX_MERGED_CELLS:
                raise SourceFileError(where, f"merged range {rng.coord} is too large to be part of a table")
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    rows.setdefault(r, {})[c] = top
    else:
        ws.reset_dimensions()  # the declared dimension may be a lie; read the rows that are there
        for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
            filled = {c: v for c, v in enumerate(values, start=1) if cell_text(v) is not None}
            if filled:
                rows[r] = filled
    previous = 0
    for r in sorted(rows):
        if r - previous - 1 > MAX_BLANK_GAP:
            cell = f"{get_column_letter(min(rows[r]))}{r}"
            raise SourceFileError(
                where,
                f"cell {cell} is filled {r - previous - 1} blank rows below the rest of the sheet "
                f"(last filled row: {previous}); clear the stray cell or move the table up",
                row=r,
            )
        previous = r
    return rows


def _dense(cells: dict[int, Any], width: int | None = None) -> list[Any]:
    """A row's values as a list from column A to its last filled column (or ``width``, whichever is larger)."""
    last = max(cells, default=0)
    n = max(last, width or 0)
    out: list[Any] = [None] * n
    for c, v in cells.items():
        out[c - 1] = v
    return out


def _to_raw_sheet(
    name: str, cells: Cells, *, header_row: int | str, declared: Sequence[str], source_file: str
) -> RawSheet:
    where = f"{source_file} [sheet {name}]"
    if not cells:
        raise SourceFileError(where, "the sheet is empty")
    last = max(cells)
    if isinstance(header_row, int):
        if header_row > last:
            raise SourceFileError(where, f"header_row {header_row} is past the last row ({last})")
        idx = header_row - 1
    else:
        top = [_dense(cells.get(r, {})) for r in range(1, min(last, SCAN_ROWS) + 1)]
        found = detect_header(top, declared)
        if found is None:
            raise SourceFileError(
                where,
                f"none of the declared columns ({', '.join(repr(h) for h in declared[:12])}) were found in the "
                f"first {SCAN_ROWS} rows; is the header row missing or renamed?",
                field="header",
            )
        idx = found
    header, notes = unique_headers(_dense(cells.get(idx + 1, {})))
    width = len(header)

    def rows() -> Iterator[RawRow]:
        for offset, physical in enumerate(range(idx + 2, last + 1), start=1):
            row = cells.get(physical, {})
            inside = _dense({c: v for c, v in row.items() if c <= width}, width)
            extra = [row[c] for c in sorted(row) if c > width]
            yield RawRow(offset, physical, inside + extra)

    return RawSheet(
        sheet=name, header=header, header_physical_row=idx + 1, rows=rows(), notes=notes, physical_rows=last - idx - 1
    )
