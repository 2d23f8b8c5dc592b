"""Read delimited text files into a RawSheet, keeping each record's line number."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from transforms.extract.encoding import decode_bytes
from transforms.extract.errors import SourceFileError
from transforms.extract.header import detect_header, unique_headers
from transforms.extract.tables import RawRow, RawSheet

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_CANDIDATES = ",;\t|"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATES).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in _CANDIDATES}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv_sheet(
    path: Path,
    *,
    source_file: str,
    encoding: str,
    delimiter: str | None,
    header_row: int | str,
    declared: Sequence[str],
) -> RawSheet:
    """Parse a CSV file. Rows whose column count differs from the header are marked broken, not dropped."""
    decoded = decode_bytes(path.read_bytes(), encoding, source_file=source_file)
    text = decoded.text
    notes = [decoded.note] if decoded.note else []
    if "\x00" in text:
        notes.append("null bytes removed")
        text = text.replace("\x00", "")
    if not text.strip():
        raise SourceFileError(source_file, "the file is empty")
    delim = delimiter if delimiter not in (None, "auto") else sniff_delimiter(text)
    if delimiter in (None, "auto"):
        notes.append(f"delimiter guessed: {delim!r}")

    records = _records(text, delim, source_file)
    head: list[tuple[int, list[str]]] = []
    for rec in records:
        head.append(rec)
        if len(head) >= 30:
            break
    if isinstance(header_row, int):
        idx = next((i for i, (line, _) in enumerate(head) if line >= header_row), None)
        if idx is None:
            raise SourceFileError(source_file, f"header_row {header_row} is past the end of the file")
    else:
        found = detect_header([cells for _, cells in head], declared)
        if found is None:
            first = head[0][1] if head else []
            raise SourceFileError(
                source_file,
                f"none of the declared columns were found in the first 30 lines; the first line holds {first[:12]}",
                field="header",
            )
        idx = found
    header_line, header_cells = head[idx]
    header, dup_notes = unique_headers(header_cells)
    notes += dup_notes

    def rows() -> Iterator[RawRow]:
        buffered = head[idx + 1 :]
        for line, parsed in _chain(buffered, records):
            number = line - header_line
            cells = parsed
            if len(cells) != len(header) and any(c.strip() for c in cells):
                if len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :]):
                    cells = cells[: len(header)]
                else:
                    yield RawRow(
                        number,
                        line,
                        cells,
                        broken=f"has {len(cells)} fields where the header has {len(header)} "
                        f"(a delimiter other than {delim!r} or an unquoted {delim!r} in a value?)",
                        raw=delim.join(cells),
                    )
                    continue
            yield RawRow(number, line, cells)

    return RawSheet(sheet="", header=header, header_physical_row=header_line, rows=rows(), notes=notes)


def _chain(
    first: list[tuple[int, list[str]]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield from first
    yield from rest


def _records(text: str, delim: str, source_file: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each record; a quoted value may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceFileError(source_file, f"cannot parse CSV: {exc}", row=reader.line_num) from exc
        yield start, cells
        start = reader.line_num + 1
