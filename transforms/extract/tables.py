"""The shape every reader returns: the rows of one sheet (or one CSV/JSONL file) under a header."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawRow:
    """One physical row under the header, with its cells aligned to the header (or a reason it is broken)."""

    row_number: int  # 1-based, counted from the first row under the header, blank rows included
    physical_row: int  # the row or line number in the file itself
    cells: list[Any]
    broken: str | None = None  # why the row could not be read (bad JSON line, wrong column count ...)
    raw: str | None = None  # the raw text of a broken row, kept for the quarantine


@dataclass
class RawSheet:
    """The header and rows of one sheet; CSV and JSONL files have one sheet named ''."""

    sheet: str
    header: list[str]
    header_physical_row: int
    rows: Iterator[RawRow] | list[RawRow]
    notes: list[str] = field(default_factory=list)
    # JSON lines are one object each: never a section title or totals row, so only blank/broken rows are set aside
    tabular: bool = True
    # lines (rows of a sheet) physically under the header, trailing blank lines not counted: a reader of
    # ops.reconciliation compares them with the rows read (a quoted value over several lines makes them differ)
    physical_rows: int | None = None
