"""A file's validation kept between nights, reused when tonight's checks would give its rows the same verdicts.

A file whose staged rows are those of an earlier night (``standardize_cache``: its manifest's ``content`` names the
rows) need not be checked again: the failures, metrics and per-file counts of its validated part(s) are kept in a
cache beside the standardize cache, under a key made of everything the checks read for those files but the as-of
date and the invoices a payment is looked up in: the files and their rows, the sources file, the quality settings,
the sentinels, the code of the checks (``transforms/quality`` and the validate stage), the versions of Great
Expectations and the data libraries, and whether Data Docs are written.

A file checked in pieces (more than ``validate_stage.PART_ROWS`` staged rows) is also kept piece by piece, in
``pieces/`` of the cache, each piece under a key made of the same settings and a digest of what its checks read:
its staged rows and their field issues (but the night's stamp and the file's checksum), its payments' duplicate
flags, and what the night's invoices say of the invoices they name. A file that changed since (a journal that grew,
a few rows retyped) misses its whole entry but finds the pieces whose rows did not change: only the others are
checked. A reused piece's date rules are checked again as a group's are, on its own rows (``recheck_dates``).

Three things are kept beside an entry rather than in its key, so that a later night may still reuse it:

- the as-of date: two rules compare a date with it (``transforms.quality.as_of_window``). A night that reuses an
  entry of another night checks again, for those two rules, the few rows whose verdict may have moved between
  the two dates (a contact turning stale, a birth date reached), and corrects the kept counts by the difference;
  the entry is then kept again as tonight's;
- the invoices a payment is checked against (known, issued before the payment) come from every file of the night:
  the entry keeps the document numbers its payments name and a digest of what the night's invoices said of them,
  and is reused only when tonight's invoices say the same;
- the run: reused failures and metrics get tonight's ``as_of`` and ``run_id``, and the part's manifest says
  which night they come from. Its Data Docs are that night's pages, copied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.extract.files import file_sha256
from transforms.pipeline.catalog import RunCatalog, write_parquet
from transforms.pipeline.standardize_cache import FILE_CHECKSUM, chunk_digest, library_versions, restamped

log = logging.getLogger(__name__)

#: Bump when what an entry holds changes shape (the checks' code is in the key already).
VALIDATE_VERSION = "1"
#: The libraries whose answers are part of a verdict.
LIBRARIES = ("great_expectations", "numpy", "pandas", "pyarrow")
#: The file that makes a folder of the cache an entry; written last, in a folder renamed into place.
ENTRY_FILE = "entry.json"
#: The document keys the entry's payments name (``frames.invoice_keys``).
INVOICE_KEYS_FILE = "invoice_keys.parquet"
#: A validated part's tables.
PART_TABLES = ("failure", "metric", "per_file")
#: The folder of the cache that holds the pieces of files checked in pieces, each an entry of one part.
PIECES_FOLDER = "pieces"
#: What a piece's digest leaves out of its staged rows: the night's stamp and the file's checksum, which the
#: checks do not read (a failure names its row by where it is, not by the file's checksum).
UNREAD = ("as_of", "run_id", FILE_CHECKSUM)
#: What a verdict depends on beyond the rows and settings: the checks, what they call (tax ids, sentinels, fields,
#: lineage, the settings' models), the stage that feeds them, this cache and the recheck, and the tables' DDL the
#: failures and metrics are shaped by.
_TRANSFORMS = Path(__file__).resolve().parents[1]
_CODE = [
    *sorted((_TRANSFORMS / "quality").glob("*.py")),
    *sorted((_TRANSFORMS / "standardize").glob("*.py")),
    *sorted((_TRANSFORMS / "settings").glob("*.py")),
    _TRANSFORMS / "lineage.py",
    *(_TRANSFORMS / "pipeline" / name for name in ("validate_stage.py", "staged_rows.py")),
    *(_TRANSFORMS / "pipeline" / name for name in ("validate_cache.py", "validate_recheck.py")),
    *sorted((_TRANSFORMS.parent / "sql" / "warehouse" / "dq").glob("*.sql")),
]


@dataclasses.dataclass(frozen=True)
class GroupFile:
    """One file of a validated group: its key, its source, its name and what identifies its staged rows."""

    key: str
    source_name: str
    display: str
    content: str


@dataclasses.dataclass(frozen=True)
class CachedValidation:
    """One group's validated parts in the cache, with the night that wrote them."""

    folder: Path
    as_of: dt.date
    run_id: str
    #: Each part's name after the group's (``""`` for a part of its own, ``__chunk0001`` ... for pieces) and its
    #: manifest as that night wrote it.
    parts: dict[str, dict[str, Any]]
    invoice_digest: str | None

    def part_folder(self, suffix: str) -> Path:
        """Where one part's tables and Data Docs are kept."""
        return self.folder / "parts" / (suffix or "whole")


def validation_key(
    files: Sequence[GroupFile],
    *,
    sources: Mapping[str, Any],
    settings: Mapping[str, Any],
    sentinels: Mapping[str, Any],
    part_rows: int,
    data_docs: bool,
) -> str:
    """The cache key of one group's validation: everything the checks read but the as-of date and the invoices."""
    payload = {
        "version": VALIDATE_VERSION,
        "files": [dataclasses.asdict(f) for f in files],
        "sources": sources,
        "settings": settings,
        "sentinels": sentinels,
        "part_rows": part_rows,
        "data_docs": data_docs,
        "code": _code_hashes(),
        "libraries": library_versions(LIBRARIES),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def piece_key(
    settings: str,
    rows: pa.Table,
    *,
    issues: pd.DataFrame | None,
    repeats: np.ndarray | None,
    invoices: str | None,
) -> str:
    """The cache key of one piece of a file: ``settings`` (``validation_key`` of no files: everything the checks
    read but the rows) and what the piece's checks read of the night: its staged rows, their field issues, its
    payments' duplicate flags and what the night's invoices say of those its payments name (``invoice_digest``)."""
    h = hashlib.sha256(settings.encode("utf-8"))
    h.update(chunk_digest(rows, UNREAD).encode("ascii"))
    if issues is not None:
        issue_rows = pa.Table.from_pandas(issues.reset_index(drop=True), preserve_index=False)
        h.update(b"issues" + chunk_digest(issue_rows, UNREAD).encode("ascii"))
    h.update(b"repeats" + (np.asarray(repeats, dtype=bool).tobytes() if repeats is not None else b"-"))
    h.update(b"invoices" + (invoices or "-").encode("ascii"))
    return h.hexdigest()[:32]


@lru_cache(maxsize=1)
def _code_hashes() -> dict[str, str]:
    hashes = {str(p.relative_to(_TRANSFORMS.parent)): file_sha256(p) for p in _CODE}
    return {**hashes, "python": sys.version}


def invoice_digest(issued: pd.Series, keys: pd.Series) -> str:
    """What the night's invoices (``frames.invoice_issued_on``) say of these document keys: known or not, issued
    when."""
    index = pd.Index(keys, dtype="object")
    looked = issued.reindex(index)
    h = hashlib.sha256()
    h.update("\x1f".join(keys).encode("utf-8"))
    # Known with no issue date and not known both read NaT: whether each is known is hashed apart.
    h.update(index.isin(issued.index).tobytes())
    h.update(pd.to_datetime(looked).to_numpy(dtype="datetime64[ns]").view("int64").tobytes())
    return h.hexdigest()


def find_cached(cache_dir: Path, key: str) -> CachedValidation | None:
    """The cached validation of a group, if there is a whole one (the invoices not yet compared)."""
    entry = cache_dir / key / ENTRY_FILE
    if not entry.exists():
        return None
    try:
        data = json.loads(entry.read_text("utf-8"))
        cached = CachedValidation(
            folder=entry.parent,
            as_of=dt.date.fromisoformat(data["as_of"]),
            run_id=str(data["run_id"]),
            parts={str(k): dict(v) for k, v in data["parts"].items()},
            invoice_digest=data["invoice_digest"],
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("%s: unreadable cache entry, the files are validated again", entry.parent)
        return None
    whole = all((cached.part_folder(s) / f"{t}.parquet").exists() for s in cached.parts for t in PART_TABLES)
    if not whole or (cached.invoice_digest is not None and not (cached.folder / INVOICE_KEYS_FILE).exists()):
        return None
    return cached


def invoices_agree(cached: CachedValidation, issued: Callable[[], pd.Series]) -> bool:
    """Whether tonight's invoices say of the entry's payments' invoices what they said on its night (``issued``
    is only read when the entry has payments)."""
    if cached.invoice_digest is None:
        return True
    keys = pq.read_table(cached.folder / INVOICE_KEYS_FILE).column("key").to_pandas()
    return invoice_digest(issued(), keys) == cached.invoice_digest


def group_parts(run: RunCatalog, part: str, mark: str) -> list[str]:
    """The validated parts of one group: the part itself, or its pieces (``<part><mark>0001`` ...)."""
    root = run.path("validate.parts")
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p.name == part or p.name.startswith(part + mark)))


def save_cached(
    cache_dir: Path,
    key: str,
    *,
    run: RunCatalog,
    parts: Sequence[str],
    part: str,
    as_of: dt.date,
    run_id: str,
    invoice_keys: pd.Series | None,
    issued: Callable[[], pd.Series],
    kept: CachedValidation | None = None,
) -> None:
    """Keep a group's validated parts under ``key``: copied into a folder of its own, renamed into place when
    whole, so that a night killed while writing leaves no entry (only a ``.tmp`` folder, never read). The document
    keys its payments name are ``invoice_keys``, or those of ``kept`` (an entry of the same rows, reused tonight)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f"{key}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()
    try:
        manifests: dict[str, dict[str, Any]] = {}
        for name in parts:
            suffix = name[len(part) :]
            folder = tmp / "parts" / (suffix or "whole")
            folder.mkdir(parents=True)
            for table in PART_TABLES:
                shutil.copyfile(run.path("validate.part_table", part=name, table=table), folder / f"{table}.parquet")
            docs = run.path("validate.part_data_docs", part=name)
            if docs.is_dir():
                shutil.copytree(docs, folder / "data_docs")
            manifests[suffix] = run.read_json("validate.part_manifest", part=name)
        digest = None
        if kept is not None and kept.invoice_digest is not None:
            shutil.copyfile(kept.folder / INVOICE_KEYS_FILE, tmp / INVOICE_KEYS_FILE)
            digest = kept.invoice_digest  # tonight's invoices agree with it (``invoices_agree``)
        elif invoice_keys is not None and len(invoice_keys):
            write_parquet(pa.table({"key": pa.array(invoice_keys, pa.string())}), tmp / INVOICE_KEYS_FILE)
            digest = invoice_digest(issued(), invoice_keys)
        entry = {
            "as_of": as_of.isoformat(),
            "run_id": run_id,
            "invoice_digest": digest,
            "parts": manifests,
        }
        (tmp / ENTRY_FILE).write_text(json.dumps(entry, ensure_ascii=False), "utf-8")
        final = cache_dir / key
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
    except OSError:  # another night wrote the same entry meanwhile, or the disk is full: the night goes on
        log.warning("%s: the files' validation could not be kept for later nights", key, exc_info=True)
        shutil.rmtree(tmp, ignore_errors=True)


def restore(cached: CachedValidation, run: RunCatalog, part: str, *, as_of: dt.date, run_id: str) -> tuple[int, int]:
    """Write a cached group's parts as tonight's (named after ``part``), with tonight's as-of and run id; the rows
    they checked and their failing values."""
    rows_in = rows_out = 0
    for suffix, manifest in cached.parts.items():
        name = part + suffix
        out_dir = run.path("validate.part", part=name)
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        for table in PART_TABLES:
            source = cached.part_folder(suffix) / f"{table}.parquet"
            pieces = list(restamped(source, as_of=as_of, run_id=run_id))
            schema = pq.read_schema(source)
            write_parquet(pa.concat_tables(pieces) if pieces else schema.empty_table(), out_dir / f"{table}.parquet")
            if table == "failure":
                rows_out += pq.read_metadata(source).num_rows
        docs = run.path("validate.part_data_docs", part=name)
        shutil.rmtree(docs, ignore_errors=True)
        kept_docs = cached.part_folder(suffix) / "data_docs"
        data_docs = None
        if kept_docs.is_dir():
            shutil.copytree(kept_docs, docs)
            data_docs = (docs / "index.html").as_uri() if (docs / "index.html").exists() else None
        reused = {"as_of": cached.as_of.isoformat(), "run_id": cached.run_id}
        docs_night = manifest.get("docs_as_of") or cached.as_of.isoformat()
        written = {k: v for k, v in manifest.items() if k not in ("reused", "dates_checked_again")}
        kept = {**written, "data_docs": data_docs, "docs_as_of": docs_night, "reused": reused}
        run.write_json("validate.part_manifest", kept, part=name)
        rows_in += int(manifest["rows"])
    return rows_in, rows_out


def mark_used(cached: CachedValidation) -> None:
    """Note that tonight reused an entry, so that ``prune`` keeps it."""
    (cached.folder / ENTRY_FILE).touch()


def mark_piece_used(pieces: Path, key: str) -> None:
    """Note that tonight reused a piece's rows within a whole file's entry, so that ``prune`` keeps the piece's
    own entry for the night the file changes (nothing when it is gone)."""
    entry = pieces / key / ENTRY_FILE
    if entry.exists():
        entry.touch()
