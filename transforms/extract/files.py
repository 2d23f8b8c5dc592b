"""Find the files a source declares and fingerprint them, so every row can name the exact bytes it came from."""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from transforms.settings.sources import SourceSpec

_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One file matched by a source: where it is and how the sources file refers to it."""

    path: Path
    display: str  # the path as the sources file gives it (relative to the sources file's folder)


def resolve_files(spec: SourceSpec) -> list[SourceFile]:
    """Every file a source's path or glob matches, sorted so runs are reproducible."""
    pattern = spec.pattern
    matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207 - absolute patterns, which Path.glob refuses if glob.has_magic(pattern) else [pattern]
    base = Path(spec.base_dir) if spec.base_dir else None
    out = []
    for m in matches:
        p = Path(m)
        if glob.has_magic(pattern) and not p.is_file():
            continue
        display = str(p)
        if base is not None:
            # Relative even when the file lies outside the sources file's folder (``../shared/...``): the name is
            # part of every row's id, which must not change when the whole tree is moved or mounted elsewhere.
            try:
                display = Path(os.path.relpath(p.resolve(), base.resolve())).as_posix()
            except ValueError:  # another drive
                display = str(p)
        out.append(SourceFile(path=p, display=display))
    return out


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes: the lineage key and the cache key for unchanged files."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()
