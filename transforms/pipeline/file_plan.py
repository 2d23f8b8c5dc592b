"""The night's files, resolved once by prepare_run: what extract, standardize and validate work through file by file.

A source's path may be a glob, so which files a night reads is only known when it starts. ``prepare_run`` writes
the list into the run folder (the run catalog's ``files`` dataset); every later task reads it there, so a task
retried after a new file arrived still works on the night's files, and a scheduler can hand each file to another
worker (the DAG maps
the per-file tasks over ``keys``). Each file is named by its key (the file as the sources file names it, which
the Airflow UI shows for each mapped task) and stored under its position (``part``: ``0000``, ``0001`` ...), a
name any file system takes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.pipeline.catalog import RunCatalog

if TYPE_CHECKING:  # the readers (pyarrow, openpyxl) are imported when a file is resolved or read, not before
    from transforms.extract.files import SourceFile
    from transforms.settings import SourcesFile, SourceSpec


@dataclass(frozen=True)
class NightFile:
    """One file of the night (or a declared source that matches no file: ``path`` None)."""

    key: str
    part: str
    source_name: str
    display: str
    path: str | None

    def source_file(self) -> SourceFile | None:
        """The file to read, as the extract reader takes it; None for a source that matches no file."""
        from transforms.extract.files import SourceFile

        return None if self.path is None else SourceFile(path=Path(self.path), display=self.display)


def resolve_night_files(sources: SourcesFile) -> list[NightFile]:
    """Every file the sources file declares tonight, in its order, each with a unique key."""
    from transforms.extract.extract import missing_display, planned_files

    out: list[NightFile] = []
    seen: set[str] = set()
    for i, (spec, sf) in enumerate(planned_files(sources)):
        display = sf.display if sf is not None else missing_display(spec)
        key = _unique(display, spec, seen)
        out.append(NightFile(key, f"{i:04d}", spec.name, display, None if sf is None else str(sf.path)))
    return out


def _unique(display: str, spec: SourceSpec, seen: set[str]) -> str:
    """The file's key: its name in the sources file; with the source's name when two sources read one file."""
    key = display if display not in seen else f"{display} ({spec.name})"
    seen.add(key)
    return key


def write_night_files(run_dir: str | Path, files: list[NightFile]) -> Path:
    """Keep the night's files in the run folder (atomically: a retried prepare_run never leaves half a list)."""
    return Path(RunCatalog(run_dir).write_json("files", [asdict(f) for f in files]))


def read_night_files(run_dir: str | Path) -> list[NightFile]:
    """The night's files as prepare_run resolved them."""
    path = RunCatalog(run_dir).path("files")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: prepare the run again (prepare_run lists the night's files)")
    return [NightFile(**entry) for entry in json.loads(path.read_text("utf-8"))]


def night_file(run_dir: str | Path, key: str) -> NightFile:
    """One file of the night, by its key."""
    for f in read_night_files(run_dir):
        if f.key == key:
            return f
    raise KeyError(f"{key!r} is not one of the night's files (see {RunCatalog(run_dir).path('files')})")
