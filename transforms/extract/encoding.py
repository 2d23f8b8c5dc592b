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


#: A guess whose decoded text is noisier than this is not trusted (charset_normalizer's mess ratio).
_MAX_CHAOS = 0.2
#: Multi-byte encodings are guessed for single-byte text that is too short to tell; trusted only when the text reads.
_MULTIBYTE_GUESSES = frozenset({"big5", "gb2312", "gb18030", "gbk", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949"})
_MIN_COHERENCE = 0.1
_SINGLE_BYTE_SKIP = ("utf_8", "utf_16", "utf_32")


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
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        guess = _guess(data, source_file=source_file)
        raise SourceFileError(
            source_file,
            f"not valid {declared} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            f"it looks like {guess.encoding}: set 'encoding: {guess.encoding}' or 'encoding: auto'",
            row=_line_of(data, exc.start),
        ) from exc
    _refuse_mixed(data, encoding, source_file=source_file)
    return DecodedText(text, encoding)


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
    if best.chaos > _MAX_CHAOS or (name in _MULTIBYTE_GUESSES and best.coherence < _MIN_COHERENCE):
        raise SourceFileError(
            source_file,
            f"cannot tell the text encoding with confidence (best guess {name}, {best.chaos:.0%} of the text "
            "garbled); declare it in the sources file ('encoding: cp1251', 'encoding: cp1250' ...)",
        )
    _refuse_mixed(data, name, source_file=source_file)
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            source_file, f"guessed encoding {name} fails at offset {exc.start}; declare the encoding"
        ) from exc
    return DecodedText(text, name, f"encoding guessed: {name}")


def _refuse_mixed(data: bytes, encoding: str, *, source_file: str) -> None:
    """A file whose lines are partly UTF-8 and partly another encoding cannot be decoded with either.

    Decoding it with the other encoding turns its UTF-8 lines into mojibake (``РЎРјРёСҖРҪРҫРІ``) that would be
    published as names; so such a file stops, naming one line of each kind.
    """
    if codecs.lookup(encoding).name.startswith(_SINGLE_BYTE_SKIP):
        return
    utf8_line = other_line = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_line = other_line or number
        else:
            utf8_line = utf8_line or number
        if utf8_line and other_line:
            raise SourceFileError(
                source_file,
                f"the file mixes encodings: line {utf8_line} is UTF-8, line {other_line} is not "
                f"(read as {encoding}); re-export it in one encoding",
                row=min(utf8_line, other_line),
            )
