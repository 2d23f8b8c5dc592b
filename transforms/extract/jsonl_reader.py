"""Read JSON-lines journals whose schema changed over time: nested objects are flattened to dotted keys."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from transforms.extract.encoding import decode_bytes
from transforms.extract.errors import SourceFileError
from transforms.extract.tables import RawRow, RawSheet

#: Deeper JSON is no customer record; refused before parsing, which would exhaust the stack.
MAX_DEPTH = 64
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def too_deep(line: str) -> bool:
    """Whether the line nests objects or lists more than MAX_DEPTH deep (strings skipped)."""
    if line.count("{") + line.count("[") <= MAX_DEPTH:
        return False
    depth = 0
    for m in _BRACKETS.finditer(line):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif tok in "]}":
            depth -= 1
    return False


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"contact": {"first_name": "Ann"}}`` becomes ``{"contact.first_name": "Ann"}``; lists stay whole."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def read_jsonl_sheet(path: Path, *, source_file: str, encoding: str) -> RawSheet:
    """One row per line; a line that is not a JSON object is a broken row, kept for the quarantine."""
    decoded = decode_bytes(path.read_bytes(), encoding, source_file=source_file)
    # split on line feeds only: str.splitlines() also breaks at U+2028, U+0085 and other characters that
    # valid JSON may hold unescaped inside a string, which would cut one record in two
    lines = [ln.removesuffix("\r") for ln in decoded.text.replace("\x00", "").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SourceFileError(source_file, "the file is empty")
    header: dict[str, None] = {}
    parsed: list[tuple[int, dict[str, Any] | None, str | None, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            parsed.append((number, {}, None, line))
            continue
        if too_deep(line):
            parsed.append((number, None, f"nested more than {MAX_DEPTH} levels deep", line[:1000]))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.append((number, None, f"not valid JSON ({exc.msg} at column {exc.colno})", line))
            continue
        except (RecursionError, ValueError) as exc:  # numbers too long to convert, and the like
            parsed.append((number, None, f"not readable JSON ({type(exc).__name__})", line[:1000]))
            continue
        if not isinstance(obj, dict):
            parsed.append((number, None, f"a JSON {type(obj).__name__} where an object was expected", line))
            continue
        flat = flatten(obj)
        for key in flat:
            header.setdefault(key, None)
        parsed.append((number, flat, None, line))
    keys = list(header)
    rows = [
        RawRow(n, n, [obj.get(k) for k in keys] if obj is not None else [], broken=why, raw=line if why else None)
        for n, obj, why, line in parsed
    ]
    notes = [decoded.note] if decoded.note else []
    return RawSheet(
        sheet="", header=keys, header_physical_row=0, rows=rows, notes=notes, tabular=False, physical_rows=len(lines)
    )
