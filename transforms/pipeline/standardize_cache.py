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
STANDARDIZE_VERSION = "1"

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
#: Days after which an entry no night has written or reused is removed: a file that changes every night (a growing
#: journal) leaves one entry a night, which no later night can use.
UNUSED_DAYS = 14

_BUNDLED = Path(__file__).resolve().parents[1] / "standardize" / "data"


@dataclasses.dataclass(frozen=True)
class CachedFile:
    """One file's staged tables in the cache, with the night that wrote them."""

    folder: Path
    as_of: dt.date
    first_date_after_as_of: dt.date | None
    rows_in: int
    tables: tuple[str, ...]

    def table(self, name: str) -> Path | None:
        """The cached Parquet file of one staged table (None: the file gave it no rows)."""
        return self.folder / f"{name}.parquet" if name in self.tables else None


def may_reuse(cached_as_of: dt.date, first_date_after_as_of: dt.date | None, as_of: dt.date) -> bool:
    """Whether rows standardized as of ``cached_as_of`` (which refused dates after it from
    ``first_date_after_as_of`` on, None: none) are those ``as_of`` would give (see the module's text)."""
    if cached_as_of == as_of:
        return True
    if cached_as_of.year != as_of.year or as_of < cached_as_of:
        return False
    return first_date_after_as_of is None or as_of < first_date_after_as_of


def standardize_key(
    extracted: Sequence[Path],
    *,
    spec: SourceSpec,
    sources: SourcesFile,
    rules: ReadingRules,
    sentinels: SentinelRegistry,
) -> str:
    """The cache key of one file's standardization: everything it reads but the as-of date."""
    rule_fields = {
        f.name: getattr(rules, f.name)
        for f in dataclasses.fields(rules)
        if f.name not in ("as_of", "vocabulary", "after_as_of")
    }
    payload = {
        "version": STANDARDIZE_VERSION,
        "extracted": [file_sha256(p) for p in extracted],
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
    entry = cache_dir / key / ENTRY_FILE
    if not entry.exists():
        return None
    try:
        data = json.loads(entry.read_text("utf-8"))
        cached = CachedFile(
            folder=entry.parent,
            as_of=dt.date.fromisoformat(data["as_of"]),
            first_date_after_as_of=_date_or_none(data["first_date_after_as_of"]),
            rows_in=int(data["rows_in"]),
            tables=tuple(data["tables"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("%s: unreadable cache entry, the file is standardized again", entry.parent)
        return None
    if not all((cached.folder / f"{t}.parquet").exists() for t in cached.tables):
        return None
    return cached if may_reuse(cached.as_of, cached.first_date_after_as_of, as_of) else None


def _date_or_none(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def save_cached(
    cache_dir: Path,
    key: str,
    tables: Mapping[str, str | None],
    *,
    as_of: dt.date,
    after_as_of: DatesAfterAsOf,
    rows_in: int,
) -> None:
    """Keep a file's staged tables under ``key``: copied into a folder of its own, renamed into place when whole,
    so that a night killed while writing leaves no entry (only a ``.tmp`` folder, never read)."""
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
        (tmp / ENTRY_FILE).write_text(json.dumps({**entry, "tables": kept}), "utf-8")
        final = cache_dir / key
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
    except OSError:  # another night wrote the same entry meanwhile, or the disk is full: the night goes on
        log.warning("%s: the file's standardized rows could not be kept for later nights", key, exc_info=True)
        shutil.rmtree(tmp, ignore_errors=True)


def restamped(path: Path, *, as_of: dt.date, run_id: str) -> Iterator[pa.Table]:
    """A cached table's row groups, one at a time, with tonight's ``as_of`` and ``run_id``."""
    file = pq.ParquetFile(path)
    for i in range(file.num_row_groups):
        part = file.read_row_group(i)
        if part.num_rows == 0:  # nothing to stamp (and a column of an empty frame may have no type at all)
            yield part
            continue
        for name, value in (("as_of", as_of), ("run_id", run_id)):
            at = part.schema.get_field_index(name)
            if at >= 0:
                column = part.schema.field(at)
                part = part.set_column(at, column, pa.repeat(pa.scalar(value, type=column.type), part.num_rows))
        yield part


def mark_used(cached: CachedFile) -> None:
    """Note that tonight reused an entry, so that ``prune`` keeps it."""
    (cached.folder / ENTRY_FILE).touch()


def prune(cache_dir: Path, stage: str) -> None:
    """Remove a cache's entries unused for ``UNUSED_DAYS`` (``prune_entries``), saying how many in the stage's log;
    a cache that cannot be cleaned up costs disk, never the night."""
    try:
        if pruned := prune_entries(cache_dir, ENTRY_FILE, UNUSED_DAYS):
            log.info("%s: %d cache entries unused for %d days removed (%s)", stage, pruned, UNUSED_DAYS, cache_dir)
    except OSError:
        log.warning("%s: the cache %s could not be cleaned up", stage, cache_dir, exc_info=True)


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
