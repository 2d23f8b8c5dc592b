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

    # physical lines as the csv module counts them (\n, \r\n or \r), so that line numbers agree
    lines = io.StringIO(text, newline="").readlines()
    records = _records(lines, delim, source_file)
    head: list[tuple[int, int, list[str]]] = []
    for rec in records:
        head.append(rec)
        if len(head) >= 30:
            break
    if isinstance(header_row, int):
        idx = next((i for i, (line, _, _) in enumerate(head) if line >= header_row), None)
        if idx is None:
            raise SourceFileError(source_file, f"header_row {header_row} is past the end of the file")
    else:
        found = detect_header([cells for _, _, cells in head], declared)
        if found is None:
            # the lines' cells are not quoted: without its header a file's first line is a customer's data
            widths = sorted({len(cells) for _, _, cells in head})
            raise SourceFileError(
                source_file,
                f"none of the declared columns ({', '.join(repr(h) for h in declared[:12])}) were found in the "
                f"first {len(head)} lines, which have {'/'.join(map(str, widths))} fields; "
                "is the header row missing or renamed?",
                field="header",
            )
        idx = found
    header_line, _, header_cells = head[idx]
    header, dup_notes = unique_headers(header_cells)
    notes += dup_notes

    def rows() -> Iterator[RawRow]:
        buffered = head[idx + 1 :]
        for line, end, parsed in _chain(buffered, records):
            if end > line and _swallowed_lines(parsed, lines[line:end], delim, len(header)):
                yield from _split_swallowing_record(
                    lines, line, end, delim=delim, header=header, header_line=header_line
                )
                continue
            yield _row(line - header_line, line, parsed, header, delim)

    last = len(lines)
    while last > header_line and not lines[last - 1].strip():
        last -= 1
    return RawSheet(
        sheet="",
        header=header,
        header_physical_row=header_line,
        rows=rows(),
        notes=notes,
        physical_rows=last - header_line,
    )


def _row(number: int, line: int, cells: list[str], header: list[str], delim: str) -> RawRow:
    """One record as a row, or as a broken row when its field count differs from the header's."""
    if len(cells) != len(header) and any(c.strip() for c in cells):
        if len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :]):
            cells = cells[: len(header)]
        else:
            return RawRow(
                number,
                line,
                cells,
                broken=f"has {len(cells)} fields where the header has {len(header)} "
                f"(a delimiter other than {delim!r} or an unquoted {delim!r} in a value?)",
                raw=delim.join(cells),
            )
    return RawRow(number, line, cells)


def _swallowed_lines(cells: list[str], continuation: list[str], delim: str, width: int) -> bool:
    """A record over several lines whose quote swallowed whole records rather than a note with line breaks.

    It is one when its field count is wrong, or when a line it swallowed reads on its own as a full record.
    """
    if len(cells) != width:
        return True
    return width > 1 and any(len(_parse_line(ln, delim)) == width for ln in continuation)


def _parse_line(line: str, delim: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delim), [])


def _split_swallowing_record(
    lines: list[str], first: int, last: int, *, delim: str, header: list[str], header_line: int
) -> Iterator[RawRow]:
    """The lines of a record that an unclosed quote ran together, each read on its own with its line number.

    The line that opens the quote is quarantined and says which lines the quote ran over; each following line
    is read alone: a full record is loaded, anything else quarantined with its own line number.
    """
    opening = lines[first - 1].rstrip("\r\n")
    yield RawRow(
        first - header_line,
        first,
        [],
        broken=f"a quoted value opened on line {first} is not closed on that line: it ran over lines "
        f"{first + 1}-{last}, which are read on their own",
        raw=opening,
    )
    for line in range(first + 1, last + 1):
        text = lines[line - 1]
        if not text.strip():
            yield RawRow(line - header_line, line, [])
            continue
        yield _row(line - header_line, line, _parse_line(text, delim), header, delim)


def _chain(
    first: list[tuple[int, int, list[str]]], rest: Iterator[tuple[int, int, list[str]]]
) -> Iterator[tuple[int, int, list[str]]]:
    yield from first
    yield from rest


def _records(lines: list[str], delim: str, source_file: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line number, last line number, cells) for each record; a quoted value may span lines."""
    reader = csv.reader(iter(lines), delimiter=delim)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceFileError(source_file, f"cannot parse CSV: {exc}", row=reader.line_num) from exc
        yield start, reader.line_num, cells
        start = reader.line_num + 1
