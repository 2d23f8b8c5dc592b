"""The columns that say where a row came from; every staged row carries them to the warehouse."""

from __future__ import annotations

#: Source, file, sheet, row (1-based under the header), physical row, file checksum and who answers for it.
LINEAGE_COLUMNS: tuple[str, ...] = (
    "source_name",
    "source_kind",
    "source_file",
    "sheet",
    "row_number",
    "physical_row",
    "file_sha256",
    "responsible",
)
