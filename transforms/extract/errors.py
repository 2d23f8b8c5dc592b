"""Errors raised while reading one source file; the run reports them and goes on with the other files."""

from __future__ import annotations


class SourceFileError(Exception):
    """A whole file could not be read. The message names the file (and the row/field when known)."""

    def __init__(self, source_file: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
        self.source_file = source_file
        self.row = row
        self.field = field
        where = source_file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
        self.reason = message
