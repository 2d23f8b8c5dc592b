"""Streaming, byte-reproducible .xlsx writing on top of openpyxl's write-only mode.

openpyxl stamps the current time into the workbook properties and into every zip entry, so two runs
with the same seed would differ. Here the properties get a fixed date and the archive a fixed entry
time; write-only mode keeps memory flat for sheets with hundreds of thousands of rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from devkit.generator.config import FIXED_TIMESTAMP

_ZIP_TIME = (FIXED_TIMESTAMP.year, FIXED_TIMESTAMP.month, FIXED_TIMESTAMP.day, 0, 0, 0)
#: Excel's limit is 1,048,576 rows; a sheet spills into a continuation sheet before it.
MAX_SHEET_ROWS = 1_048_000


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry the same timestamp and permissions."""

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(
        self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any, compress_type: Any = None, compresslevel: Any = None
    ) -> None:
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        super().writestr(self._info(name), data)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        with Path(filename).open("rb") as src, self.open(self._info(str(arcname)), "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def new_workbook() -> Workbook:
    """A write-only workbook with fixed document properties."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "Domtech"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "Domtech"
    return wb


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps so identical content gives identical bytes."""
    if not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = FIXED_TIMESTAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    archive = _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()


def date_cell(ws: WriteOnlyWorksheet, value: dt.date, number_format: str) -> WriteOnlyCell:
    """A date-typed cell shown in the sheet owner's format (DD.MM.YYYY, M/D/YYYY ...)."""
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell
