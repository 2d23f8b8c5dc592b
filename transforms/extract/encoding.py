"""Decode a text file with the declared encoding, or guess it (and say so) when the sources file says auto."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

from transforms.extract.errors import SourceFileError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class DecodedText:
    """A file's text and how it was decoded."""

    text: str
    encoding: str
    note: str | None = None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_bytes(data: bytes, declared: str, *, source_file: str) -> DecodedText:
    """Decode ``data``; a wrong declared encoding is an error that names the line and a likely fix."""
    if declared == "auto":
        return _guess(data, source_file=source_file)
    encoding = declared
    if declared == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        return DecodedText(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        guess = _guess(data, source_file=source_file)
        raise SourceFileError(
            source_file,
            f"not valid {declared} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            f"it looks like {guess.encoding}: set 'encoding: {guess.encoding}' or 'encoding: auto'",
            row=_line_of(data, exc.start),
        ) from exc


def _guess(data: bytes, *, source_file: str) -> DecodedText:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return DecodedText(data.decode(name), name, f"encoding guessed from byte-order mark: {name}")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", "encoding guessed: utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise SourceFileError(source_file, "cannot tell the text encoding; declare it in the sources file")
    name = best.encoding
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            source_file, f"guessed encoding {name} fails at offset {exc.start}; declare the encoding"
        ) from exc
    return DecodedText(text, name, f"encoding guessed: {name}")
