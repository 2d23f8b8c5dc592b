"""The columns that say where a row came from; every staged row carries them to the warehouse.

Named once here and used by every stage that keeps, checks or points back at a source row; a test holds them
to the warehouse tables (sql/warehouse) that carry them.
"""

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
#: Where a row is, as a person finds it: the source, the file, the sheet and the row under the header.
ROW_LOCATION: tuple[str, ...] = ("source_name", "source_file", "sheet", "row_number")
#: A source row as derived tables point back at it: its stable id and where it is.
RECORD_LOCATION: tuple[str, ...] = ("record_id", *ROW_LOCATION)
#: A staged record as the checks and roll-ups read it: its id, its lineage but the file's physical row and
#: checksum (which only the extract and the reconciliation need).
RECORD_LINEAGE: tuple[str, ...] = (
    "record_id",
    *(c for c in LINEAGE_COLUMNS if c not in ("physical_row", "file_sha256")),
)
#: Which night and which run wrote a row: every table a night publishes ends with them.
RUN_STAMP: tuple[str, ...] = ("as_of", "run_id")
