"""Find the header row below a sheet's title rows, by looking for the headers the sources file declares.

People put a company name, a date and a blank line above their table; some tables have no title at
all. The declared column names are the only reliable landmark, so the header is the first row among
the top ones that matches the most of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from transforms.extract.cells import cell_text, normalize_header

SCAN_ROWS = 30


def detect_header(rows: Sequence[Sequence[Any]], declared: Sequence[str]) -> int | None:
    """Index (0-based) of the row that best matches the declared headers, or None if none matches any."""
    wanted = {normalize_header(h) for h in declared}
    best, best_score = None, 0
    for i, row in enumerate(rows[:SCAN_ROWS]):
        score = sum(1 for c in row if normalize_header(c) in wanted)
        if score > best_score:
            best, best_score = i, score
    return best


def unique_headers(row: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Header names made unique (a repeated name gets ' (2)'), and notes on what was renamed."""
    seen: dict[str, int] = {}
    out, notes = [], []
    for i, c in enumerate(row):
        name = (cell_text(c) or "").strip() or f"column_{i + 1}"
        key = normalize_header(name)
        if key in seen:
            seen[key] += 1
            new = f"{name} ({seen[key]})"
            notes.append(f"duplicate header {name!r} in column {i + 1}: kept as {new!r}, not mapped")
            out.append(new)
        else:
            seen[key] = 1
            out.append(name)
    return out, notes
