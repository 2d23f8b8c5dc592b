"""Every workbook cell the project writes goes through transforms.reporting.sheet_cells."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "transforms"
# A cell's value set directly, a row appended, or a value passed to ws.cell(...) (openpyxl), or a text, row or
# column written into an XlsxWriter sheet: all bypass the formula guard.
_DIRECT = re.compile(
    r"\bcell\.value\s*=(?!=)|\bws\w*\.append\(|\.cell\([^)]*\bvalue\s*="
    r"|\b\w*(?:ws|sheet)\w*\.write(_string|_rich_string|_row|_column)?\("
)


def test_no_module_writes_a_cell_without_the_helper() -> None:
    found = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in PACKAGE.rglob("*.py")
        if p.name != "sheet_cells.py"
        for n, line in enumerate(p.read_text("utf-8").splitlines(), start=1)
        if _DIRECT.search(line)
    ]
    assert found == []
