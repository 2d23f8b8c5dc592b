"""Benchmark figures written into docs/benchmarks.md between marker comments, so a rerun replaces its own block."""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The begin and end comments of block ``name``."""
    return f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"


def replace_block(doc: Path, begin: str, end: str, block: str) -> None:
    """Put ``block`` (which starts with ``begin`` and ends with ``end``) in place of the old one in ``doc``, or
    append it when ``doc`` has none."""
    text = doc.read_text("utf-8") if doc.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, "utf-8")


def write_block(doc: Path, name: str, body: str) -> str:
    """Put ``body`` between the markers of block ``name`` in ``doc`` (appended when absent); returns the block."""
    begin, end = markers(name)
    block = f"{begin}\n{body.strip()}\n{end}"
    replace_block(doc, begin, end, block)
    return block
