"""Cells written into the workbooks and CSV files people open in a spreadsheet: never read as a formula.

Values come from files people typed, so a value such as ``=HYPERLINK(...)``, ``@SUM(A1)``, ``+A1`` or
``-2+3`` must stay text (formula injection). Every writer of a review workbook or export goes through
``write_text_cell`` (xlsx written by openpyxl: the cell typed as a string, never ``f``, with Excel's quote prefix,
so that editing the cell does not turn it into a formula either), the to-do lists (written by XlsxWriter, row by
row) through ``TextCells``, and CSV through ``csv_text`` (CSV has no types: a leading ``'``).
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
import unicodedata
from typing import Any, Literal

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: A signed number or phone number: "+48 600 123 456", "-12.50", "+7 (495) 123 45 67". Typed in, a spreadsheet
#: reads it as a number or keeps it as text, never as a formula; a sign followed by anything else ("-2+3",
#: "+48-600-123", "+A1", "-cmd|...") can be one.
_SIGNED_NUMBER = re.compile(r"[+-]\d[\d\s().]*")


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet would read this text as a formula if it were typed in: it starts with ``=``, ``@``,
    a tab or line break, or ``+``/``-`` not followed by a plain (phone) number; full-width forms too."""
    head = unicodedata.normalize("NFKC", value[:2])
    if value.startswith(("\t", "\r", "\n")) or head[:1] in ("=", "@"):
        return True
    if head[:1] in ("+", "-"):
        return _SIGNED_NUMBER.fullmatch(unicodedata.normalize("NFKC", value).strip()) is None
    return False


def safe_text(value: Any) -> str:
    """A value as text that a workbook can hold (characters XML forbids are dropped)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def write_text_cell(cell: Any, value: Any) -> None:
    """Put ``value`` into an openpyxl cell as text: typed a string, never a formula, quote-prefixed when it looks
    like one."""
    text = safe_text(value)
    cell.value = text
    cell.data_type = "s"  # never "f": text typed as =... stays text
    cell.quotePrefix = looks_like_formula(text)


CellKind = Literal["empty", "zoned", "as_is", "text"]


def cell_kind(value: Any) -> CellKind:
    """How a value goes into a workbook cell: empty; a time with a time zone (written as its ISO text: Excel has
    no zone to keep); a number, date or boolean as it is; anything else as text."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "empty"
    if getattr(value, "tzinfo", None) is not None:
        return "zoned"
    if isinstance(value, numbers.Real) or hasattr(value, "isoformat"):
        return "as_is"
    return "text"


def write_cell(cell: Any, value: Any) -> None:
    """Put ``value`` into an openpyxl cell as ``cell_kind`` says (text through ``write_text_cell``)."""
    kind = cell_kind(value)
    if kind == "empty":
        cell.value = None
    elif kind == "zoned":
        write_text_cell(cell, value.isoformat())
    elif kind == "as_is":
        cell.value = value
    else:
        write_text_cell(cell, value)


def csv_text(value: Any) -> str:
    """A value for a CSV file a spreadsheet will open: formula-like text gets a leading ``'``."""
    text = safe_text(value)
    return "'" + text if looks_like_formula(text) else text


#: XlsxWriter's options for a workbook of text people typed, written row by row: no text is turned into a number,
#: a formula or a link, and rows go to a temporary file as they are written (a list of a million rows costs little
#: memory).
TEXT_WORKBOOK: dict[str, bool] = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


class TextCells:
    """Writes text into an XlsxWriter workbook's sheets as text, whatever was typed.

    Never a formula: a string cell, quote-prefixed when a spreadsheet would read it as one. Never markup: XlsxWriter
    writes a string that starts with ``<r>`` and ends with ``</r>`` into the sheet's XML as it is (it takes it for
    a rich string it made), so such a value, which anybody can type, goes through ``write_rich_string``, which
    escapes it.
    """

    def __init__(self, wb: Any) -> None:
        self.quoted = wb.add_format({"quote_prefix": True})
        self.plain = wb.add_format()
        self._wb = wb
        self._dates: dict[str, Any] = {}

    def heading_format(self, properties: dict[str, Any]) -> Any:
        """A format for headings (bold, shaded...): quote-prefixed, so that a heading is never read as a formula
        (a heading can be a name from the settings)."""
        return self._wb.add_format({**properties, "quote_prefix": True})

    def heading(self, ws: Any, row: int, col: int, value: Any, style: Any) -> None:
        """A heading cell in ``style`` (from ``heading_format``, so quote-prefixed): text, whatever it looks like,
        markup included."""
        self.text(ws, row, col, value, style)

    def value(self, ws: Any, row: int, col: int, value: Any, blank: Any = None) -> None:
        """What ``write_cell`` does in an openpyxl cell: numbers, dates and booleans as they are, empty as empty
        (a cell of format ``blank`` when one is given), a time with a time zone as its ISO text, anything else as
        text."""
        kind = cell_kind(value)
        if kind == "empty":
            if blank is not None:
                ws.write_blank(row, col, None, blank)
        elif kind == "zoned":
            self.text(ws, row, col, value.isoformat())
        elif kind == "as_is" and isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif kind == "as_is" and isinstance(value, numbers.Real):
            ws.write_number(row, col, float(value))
        elif kind == "as_is" and isinstance(value, dt.datetime | dt.date | dt.time):
            ws.write_datetime(row, col, value, self._date_format(value))
        else:  # text, or something with an ISO form that is no date XlsxWriter knows
            self.text(ws, row, col, value)

    def _date_format(self, value: dt.datetime | dt.date | dt.time) -> Any:
        """The number format openpyxl gives such a value (a date shows as a date, not a serial number)."""
        if isinstance(value, dt.datetime):
            shown = "yyyy-mm-dd h:mm:ss"
        elif isinstance(value, dt.date):
            shown = "yyyy-mm-dd"
        else:
            shown = "h:mm:ss"
        if shown not in self._dates:
            self._dates[shown] = self._wb.add_format({"num_format": shown})
        return self._dates[shown]

    def text(self, ws: Any, row: int, col: int, value: Any, style: Any = None) -> None:
        """``value`` as text; in ``style`` when given (a quote-prefixed format), else quote-prefixed when a
        spreadsheet would read it as a formula."""
        text = safe_text(value)
        if not text:
            return
        formats = [style] if style is not None else [self.quoted] if looks_like_formula(text) else []
        if text.startswith("<r>") and text.endswith("</r>"):
            ws.write_rich_string(row, col, text[:1], self.plain, text[1:], *formats)
        else:
            ws.write_string(row, col, text, *formats)
