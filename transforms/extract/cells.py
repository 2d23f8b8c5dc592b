"""Turn any cell a reader meets into text, losing nothing the standardizer needs.

Staged extracts keep every value as written, as a string: an Excel date becomes its ISO form
(unambiguous, unlike the text dates people type), a phone stored as a number keeps all its digits
(``48601234567.0`` becomes ``48601234567``), and nested JSON stays JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from transforms.standardize.text import fold_label


def cell_text(value: Any) -> str | None:
    """The text of a cell, or None when the cell is empty."""
    if value is None:
        return None
    if type(value) is str:  # the common case first: most cells are text
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def normalize_header(value: Any) -> str:
    """A header as compared with the sources file: case, width and spacing do not matter."""
    text = cell_text(value) or ""
    return fold_label(text)
