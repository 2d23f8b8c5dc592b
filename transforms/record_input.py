"""One record sent as JSON to ``crm-etl check-record`` or ``crm-etl match`` (a form, a script): read within limits.

A form posts what its user typed, and anyone can post anything: a 50 MB surname, an object nested 100,000 deep.
Such input is refused before it is parsed, cheaply and with a message that says which limit it broke, so that
checking one record never costs gigabytes of memory or a crash. The limits are generous for a person's record
(README, "Checking a record before it is saved").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from transforms.extract.jsonl_reader import MAX_DEPTH, too_deep

#: The whole record as sent, in bytes (UTF-8).
MAX_RECORD_BYTES = 64 * 1024
#: One field's value, in characters (a long note fits; a pasted document does not).
MAX_FIELD_CHARS = 4_000
#: Fields (keys, attributes included) in one record.
MAX_FIELDS = 200


class RecordTooLargeError(ValueError):
    """The input breaks a size limit: refused unread."""


def read_record_text(file: Path | None) -> str:
    """The JSON text of one record from ``file`` or standard input, refused past ``MAX_RECORD_BYTES``."""
    if file is not None:
        with file.open("rb") as fh:
            raw = fh.read(MAX_RECORD_BYTES + 1)
    elif hasattr(sys.stdin, "buffer"):
        raw = sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
    else:  # a text stream put in its place (an embedding program, a test)
        raw = sys.stdin.read(MAX_RECORD_BYTES + 1).encode("utf-8")
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordTooLargeError(
            f"the record is larger than {MAX_RECORD_BYTES // 1024} KiB, the most one record may be; "
            "send one customer's fields only"
        )
    return raw.decode("utf-8", errors="replace")


def parse_record(text: str) -> Any:
    """The JSON value of ``text``, refused when nested deeper than the readers accept or too many/too long fields."""
    if too_deep(text):
        raise RecordTooLargeError(f"the record nests objects or lists more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the record is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (RecursionError, ValueError) as exc:  # a number too long to convert, and the like
        raise ValueError(f"the record is not readable JSON ({type(exc).__name__})") from None
    check_sizes(value)
    return value


def check_sizes(record: Any) -> None:
    """Refuse a record with more than ``MAX_FIELDS`` fields or a value longer than ``MAX_FIELD_CHARS``."""
    if not isinstance(record, dict):
        return
    fields = [(str(k), v) for k, v in record.items()]
    nested = record.get("attributes")
    if isinstance(nested, dict):
        fields += [(f"attributes.{k}", v) for k, v in nested.items()]
    if len(fields) > MAX_FIELDS:
        raise RecordTooLargeError(f"the record has {len(fields)} fields; at most {MAX_FIELDS} are accepted")
    for key, value in fields:
        if len(key) > MAX_FIELD_CHARS:
            raise RecordTooLargeError(f"a field name is longer than {MAX_FIELD_CHARS} characters")
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        if isinstance(text, str) and len(text) > MAX_FIELD_CHARS:
            raise RecordTooLargeError(
                f"field {key[:100]!r} holds {len(text):,} characters; at most {MAX_FIELD_CHARS:,} are accepted"
            )
