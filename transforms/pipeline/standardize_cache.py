"""A file's standardized rows kept between nights, reused when tonight would standardize them the same.

Most of a night's files (past months' journals, workbooks nobody touched) are those of the night before. Their
staged tables are kept in a cache beside the extract's, under a key made of everything standardization reads for
the file but the as-of date: its extracted rows (the bytes of its records and quarantine), the source's settings
(and the defaults, sentinels and regions it inherits), the company's vocabulary, the bundled word lists, the
versions of the libraries that read names, phones and tax ids, and ``STANDARDIZE_VERSION``.

The as-of date is kept beside the entry rather than in the key, because a later night may still reuse it: a
two-digit year pivots on the as-of year and a bare year ("1984") is told from an Excel serial by the years up to
the as-of, so the year must be the same; a date after the as-of is refused where the field allows none (a birth
date, a payment, a journal entry), so the entry must be from this night, or from an earlier one and tonight's as-of
before every date that night refused for being after its own (a birth date typed 2062 stays refused; a payment
dated tomorrow would be read tomorrow). Then no value is read differently. The reused rows get tonight's ``as_of``
and ``run_id``.

A file that changed since (a journal that grew by a day's calls, a workbook with a few rows edited) misses that
entry, but most of its rows are still those of the night before. The file is standardized ``CHUNK_ROWS`` rows at
a time and an entry says, for each chunk, a digest of its extracted rows (every column but the file's checksum,
which changes with any byte of the file) and how many staged rows of each table it gave. A later night finds the
entry the same file last wrote under the same settings (``latest_for_file``) and takes from it, restamped, the
staged rows of every chunk whose digest it finds again, when the file's countries (which every chunk's phones are
read in) are the same and the as-of rule above holds for that chunk's own refused dates; only the other chunks
are standardized. A row's standardization depends on nothing else of its file, so the staged tables are those a
night without a cache gives, in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.extract.files import file_sha256
from transforms.settings import SourcesFile, SourceSpec
from transforms.standardize.records import DatesAfterAsOf, ReadingRules
from transforms.standardize.sentinels import SentinelRegistry

log = logging.getLogger(__name__)

#: Bump when the standardization rules change (in code), so that no entry written before is reused.
STANDARDIZE_VERSION = "2"

#: The libraries whose answers are part of a staged row (a new release may read a phone or a name differently).
LIBRARIES = (
    "anyascii",
    "jellyfish",
    "numpy",
    "pandas",
    "phonenumbers",
    "pyarrow",
    "pypinyin",
    "python-stdnum",
    "rapidfuzz",
)

#: The file that makes a folder of the cache an entry; written last, in a folder renamed into place.
ENTRY_FILE = "entry.json"
#: The folder of the cache that says, per file and settings, which entry the file last wrote.
LATEST_FOLDER = "files"
#: The extracted column left out of a chunk's digest: the file's checksum, the same on every row of a file and
#: changed by any byte of it; a reused chunk's staged rows get tonight's.
FILE_CHECKSUM = "file_sha256"
#: Days after which an entry no night has written or reused is removed: a file that changes every night (a growing
#: journal) leaves one entry a night, which no later night can use.
UNUSED_DAYS = 14

_BUNDLED = Path(__file__).resolve().parents[1] / "standardize" / "data"


@dataclasses.dataclass(frozen=True)
class CachedChunk:
    """One chunk of a file's extracted rows as an entry keeps it: the digest of its rows, how many staged rows of
    each table it gave (in the order of the file's chunks, which is how its rows are found in the tables) and the
    dates it refused for being after the as-of."""

    digest: str
    rows: dict[str, int]
    dates_after_as_of: int = 0
    first_date_after_as_of: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        first = self.first_date_after_as_of
        return {
            "digest": self.digest,
            "rows": self.rows,
            "dates_after_as_of": self.dates_after_as_of,
            "first_date_after_as_of": first.isoformat() if first else None,
        }


@dataclasses.dataclass(frozen=True)
class ChunkPlan:
    """How a file was cut into chunks and the countries its phones were read in: a later night reuses a chunk's
    rows only when both are the same."""

    chunk_rows: int
    regions: tuple[str, ...]
    chunks: tuple[CachedChunk, ...] = ()


@dataclasses.dataclass(frozen=True)
class CachedFile:
    """One file's staged tables in the cache, with the night that wrote them."""

    folder: Path
    as_of: dt.date
    first_date_after_as_of: dt.date | None
    rows_in: int
    tables: tuple[str, ...]
    #: The chunks the file was standardized in (None: an entry of a file whose chunks were not recorded).
    plan: ChunkPlan | None = None

    def table(self, name: str) -> Path | None:
        """The cached Parquet file of one staged table (None: the file gave it no rows)."""
        return self.folder / f"{name}.parquet" if name in self.tables else None

    def reusable_chunks(self, plan: ChunkPlan, as_of: dt.date) -> dict[str, tuple[int, CachedChunk]]:
        """The chunks whose staged rows a night as of ``as_of`` cutting the file as ``plan`` does may take from
        this entry, by digest: each with where its rows start in the entry's tables (chunk number, chunk)."""
        mine = self.plan
        if mine is None or (mine.chunk_rows, mine.regions) != (plan.chunk_rows, plan.regions):
            return {}
        return {
            c.digest: (i, c)
            for i, c in enumerate(mine.chunks)
            if may_reuse(self.as_of, c.first_date_after_as_of, as_of)
        }

    def chunk_rows(self, index: int, table: str) -> Iterator[pa.Table]:
        """The staged rows of table ``table`` that chunk number ``index`` gave, a row group at a time."""
        assert self.plan is not None
        path = self.table(table)
        count = self.plan.chunks[index].rows.get(table, 0)
        if path is None or not count:
            return iter(())
        start = sum(c.rows.get(table, 0) for c in self.plan.chunks[:index])
        return row_range(path, start, start + count)


def may_reuse(cached_as_of: dt.date, first_date_after_as_of: dt.date | None, as_of: dt.date) -> bool:
    """Whether rows standardized as of ``cached_as_of`` (which refused dates after it from
    ``first_date_after_as_of`` on, None: none) are those ``as_of`` would give (see the module's text)."""
    if cached_as_of == as_of:
        return True
    if cached_as_of.year != as_of.year or as_of < cached_as_of:
        return False
    return first_date_after_as_of is None or as_of < first_date_after_as_of


def standardize_key(extracted: Sequence[Path], settings: str) -> str:
    """The cache key of one file's standardization: everything it reads but the as-of date (its extracted rows and
    ``settings``, the key of ``settings_key``)."""
    payload = {"extracted": [file_sha256(p) for p in extracted], "settings": settings}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def file_key(settings: str, source_name: str, source_file: str) -> str:
    """What names one file of one source standardized under one key of settings, night after night, whatever its
    rows: where ``latest_for_file`` looks."""
    text = json.dumps([settings, source_name, source_file], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def settings_key(
    *,
    spec: SourceSpec,
    sources: SourcesFile,
    rules: ReadingRules,
    sentinels: SentinelRegistry,
) -> str:
    """Everything a file's standardization reads but its rows and the as-of date, as one key."""
    rule_fields = {
        f.name: getattr(rules, f.name)
        for f in dataclasses.fields(rules)
        if f.name not in ("as_of", "vocabulary", "after_as_of")
    }
    payload = {
        "version": STANDARDIZE_VERSION,
        "source": spec.model_dump(mode="json", exclude={"description"}),
        "effective": sources.effective(spec),
        "defaults": sources.defaults.model_dump(mode="json"),
        "rules": rule_fields,
        "vocabulary": rules.words().model_dump(mode="python"),
        "sentinels": {"entries": dict(sentinels.entries), "exempt": dict(sentinels.exempt)},
        "bundled": _bundled_data(),
        "libraries": library_versions(LIBRARIES),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=_canonical)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _canonical(value: object) -> Any:
    """Values JSON has no word for, written the same in every process (sets sorted)."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot key the standardize cache on {type(value).__name__}")


@lru_cache(maxsize=1)
def _bundled_data() -> dict[str, str]:
    """The bundled word lists (names, streets, sentinels, months ...), each file's hash."""
    return {p.name: file_sha256(p) for p in sorted(_BUNDLED.iterdir()) if p.is_file()}


@lru_cache(maxsize=4)
def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each of these distributions ("absent" when not installed): part of a cache key,
    since a new release may read a value, or judge one, differently."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def find_cached(cache_dir: Path, key: str, as_of: dt.date) -> CachedFile | None:
    """The cached standardization of a file, if there is one tonight may reuse."""
    cached = _read_entry(cache_dir / key)
    if cached is None:
        return None
    return cached if may_reuse(cached.as_of, cached.first_date_after_as_of, as_of) else None


def latest_for_file(cache_dir: Path, file: str) -> CachedFile | None:
    """The entry the file named ``file`` (``file_key``) last wrote, whatever its rows then: the chunks of it that
    did not change since are taken from there (``CachedFile.reusable_chunks``). None when there is none whole."""
    key = _pointed_key(cache_dir / LATEST_FOLDER / f"{file}.json")
    if key is None:
        return None
    cached = _read_entry(cache_dir / key)
    return cached if cached is not None and cached.plan is not None else None


def _pointed_key(pointer: Path) -> str | None:
    """The entry a file's pointer names (None: no pointer, or one that cannot be read)."""
    try:
        return str(json.loads(pointer.read_text("utf-8"))["key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unchanged(cached: CachedFile) -> bool:
    """Whether an entry is still the one read as ``cached``: another night may have written the same key again
    while tonight read its rows, which may then come from two nights."""
    return _read_entry(cached.folder) == cached


def _read_entry(folder: Path) -> CachedFile | None:
    """An entry of the cache, when it is there whole."""
    entry = folder / ENTRY_FILE
    if not entry.exists():
        return None
    try:
        data = json.loads(entry.read_text("utf-8"))
        plan = data.get("plan")
        cached = CachedFile(
            folder=folder,
            as_of=dt.date.fromisoformat(data["as_of"]),
            first_date_after_as_of=_date_or_none(data["first_date_after_as_of"]),
            rows_in=int(data["rows_in"]),
            tables=tuple(data["tables"]),
            plan=None if plan is None else _plan(plan),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("%s: unreadable cache entry, the file is standardized again", folder)
        return None
    if not all((cached.folder / f"{t}.parquet").exists() for t in cached.tables):
        return None
    return cached


def _plan(data: Mapping[str, Any]) -> ChunkPlan:
    chunks = tuple(
        CachedChunk(
            digest=str(c["digest"]),
            rows={str(t): int(n) for t, n in c["rows"].items()},
            dates_after_as_of=int(c["dates_after_as_of"]),
            first_date_after_as_of=_date_or_none(c["first_date_after_as_of"]),
        )
        for c in data["chunks"]
    )
    return ChunkPlan(chunk_rows=int(data["chunk_rows"]), regions=tuple(data["regions"]), chunks=chunks)


def _date_or_none(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def chunk_digest(rows: pa.RecordBatch | pa.Table, leave_out: Sequence[str] = (FILE_CHECKSUM,)) -> str:
    """A digest of a chunk of rows: every column but ``leave_out`` (for extracted rows, the file's checksum), in
    Arrow's stream format. Equal digests are equal rows; the same rows read another way (a buffer laid out
    otherwise) may digest otherwise, which costs their reuse, never a wrong one."""
    table = pa.Table.from_batches([rows]) if isinstance(rows, pa.RecordBatch) else rows
    if dropped := [c for c in leave_out if c in table.schema.names]:
        table = table.drop_columns(dropped)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue()).hexdigest()


def row_range(path: Path, start: int, stop: int) -> Iterator[pa.Table]:
    """Rows ``start`` to ``stop`` (excluded) of a Parquet file, a row group at a time: only the row groups that
    hold them are read."""
    file = pq.ParquetFile(path)
    first = 0
    for i in range(file.num_row_groups):
        count = file.metadata.row_group(i).num_rows
        last = first + count
        if last > start and first < stop:
            group = file.read_row_group(i)
            yield group.slice(max(start - first, 0), min(stop, last) - max(start, first))
        if last >= stop:
            return
        first = last


def save_cached(
    cache_dir: Path,
    key: str,
    tables: Mapping[str, str | None],
    *,
    as_of: dt.date,
    after_as_of: DatesAfterAsOf,
    rows_in: int,
    plan: ChunkPlan | None = None,
    file: str | None = None,
) -> None:
    """Keep a file's staged tables under ``key``: copied into a folder of its own, renamed into place when whole,
    so that a night killed while writing leaves no entry (only a ``.tmp`` folder, never read). With ``plan``, the
    chunks they came from, and the entry becomes the one ``latest_for_file`` finds for ``file``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f"{key}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()
    try:
        kept = []
        for name, path in tables.items():
            if path:
                shutil.copyfile(path, tmp / f"{name}.parquet")
                kept.append(name)
        first = after_as_of.earliest.isoformat() if after_as_of.earliest else None
        entry = {
            "as_of": as_of.isoformat(),
            "dates_after_as_of": after_as_of.count,
            "first_date_after_as_of": first,
            "rows_in": rows_in,
        }
        if plan is not None:
            entry["plan"] = {
                "chunk_rows": plan.chunk_rows,
                "regions": list(plan.regions),
                "chunks": [c.as_json() for c in plan.chunks],
            }
        (tmp / ENTRY_FILE).write_text(json.dumps({**entry, "tables": kept}), "utf-8")
        final = cache_dir / key
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
        if plan is not None and file is not None:
            _replace_json(cache_dir / LATEST_FOLDER / f"{file}.json", {"key": key})
    except OSError:  # another night wrote the same entry meanwhile, or the disk is full: the night goes on
        log.warning("%s: the file's standardized rows could not be kept for later nights", key, exc_info=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write a small JSON file whole: beside it under a unique name, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data), "utf-8")
    tmp.replace(path)


def restamped(path: Path, *, as_of: dt.date, run_id: str) -> Iterator[pa.Table]:
    """A cached table's row groups, one at a time, with tonight's ``as_of`` and ``run_id``."""
    file = pq.ParquetFile(path)
    for i in range(file.num_row_groups):
        yield stamp(file.read_row_group(i), {"as_of": as_of, "run_id": run_id})


def stamp(part: pa.Table, values: Mapping[str, object]) -> pa.Table:
    """``part`` with each of these columns (where it has them) set to one value on every row."""
    if part.num_rows == 0:  # nothing to stamp (and a column of an empty frame may have no type at all)
        return part
    for name, value in values.items():
        at = part.schema.get_field_index(name)
        if at >= 0:
            column = part.schema.field(at)
            part = part.set_column(at, column, pa.repeat(pa.scalar(value, type=column.type), part.num_rows))
    return part


def mark_used(cached: CachedFile) -> None:
    """Note that tonight reused an entry, so that ``prune`` keeps it."""
    (cached.folder / ENTRY_FILE).touch()


def prune(cache_dir: Path, stage: str) -> None:
    """Remove a cache's entries unused for ``UNUSED_DAYS`` (``prune_entries``), saying how many in the stage's log;
    a cache that cannot be cleaned up costs disk, never the night."""
    try:
        if pruned := prune_entries(cache_dir, ENTRY_FILE, UNUSED_DAYS):
            log.info("%s: %d cache entries unused for %d days removed (%s)", stage, pruned, UNUSED_DAYS, cache_dir)
        _prune_pointers(cache_dir)
    except OSError:
        log.warning("%s: the cache %s could not be cleaned up", stage, cache_dir, exc_info=True)


def _prune_pointers(cache_dir: Path) -> None:
    """Remove the files' pointers (``latest_for_file``) to entries no longer there."""
    folder = cache_dir / LATEST_FOLDER
    if not folder.is_dir():
        return
    for pointer in folder.glob("*.json"):
        key = _pointed_key(pointer)
        if not key or not (cache_dir / key / ENTRY_FILE).exists():
            pointer.unlink(missing_ok=True)


def prune_entries(cache_dir: Path, entry_file: str, unused_days: int, *, now: float | None = None) -> int:
    """Remove a cache's entries (folders holding ``entry_file``) that no night has written or reused for
    ``unused_days``, and the folders of writes a killed night left (``.tmp``) older than a day; how many were
    removed. A night reading an entry this removes had not used it for that long: it finds the entry gone or
    incomplete and does the work again."""
    if not cache_dir.is_dir():
        return 0
    clock = time.time() if now is None else now
    removed = 0
    for folder in cache_dir.iterdir():
        if not folder.is_dir():
            continue
        killed = folder.name.endswith(".tmp")
        marker = folder if killed else folder / entry_file
        try:
            age = clock - marker.stat().st_mtime
        except OSError:  # not an entry, or removed meanwhile
            continue
        if age > (86_400 if killed else unused_days * 86_400):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
