"""The extract stage: read every declared file into run-scoped Parquet, each row with its lineage.

Every row under a header ends in exactly one place: the file's records or its quarantine, with
the reason. A file that cannot be read at all is reported with its error and the other files go
on. Unchanged files (same bytes, same declaration) are not parsed again: their staged output is
reused from a cache keyed on both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.extract.csv_reader import read_csv_sheet
from transforms.extract.errors import SourceFileError
from transforms.extract.files import SourceFile, file_sha256, resolve_files
from transforms.extract.jsonl_reader import read_jsonl_sheet
from transforms.extract.rows import map_row, plan_columns
from transforms.extract.tables import RawSheet
from transforms.extract.xlsx_reader import read_xlsx_sheets
from transforms.lineage import LINEAGE_COLUMNS, RUN_STAMP
from transforms.settings.sources import KIND_FIELDS, SourcesFile, SourceSpec
from transforms.warehouse.table_schemas import columns_except

log = logging.getLogger(__name__)

#: Bump when the staged layout or the reading rules change, so cached extracts are not reused.
EXTRACT_VERSION = "2"

#: Where a file's staged rows go: (the file's key, "records" or "quarantine") -> the Parquet file.
Placement = Callable[[str, str], Path]

#: Rows held in Python lists before they are written as one row group: a file of millions of rows is never held
#: whole (a row's text as Python strings costs several times its Arrow size).
BATCH_ROWS = 100_000

#: staging.quarantine as the extract writes it: the row's lineage, then what was set aside and why.
QUARANTINE_COLUMNS = columns_except("staging.quarantine", RUN_STAMP)
_INT_COLUMNS = {"row_number", "physical_row"}


def extract_fields(kind: str) -> tuple[str, ...]:
    """The logical columns a kind's staged extract always has (responsible travels with the lineage)."""
    return tuple(f for f in KIND_FIELDS[kind] if f != "responsible")


def record_schema(kind: str) -> pa.Schema:
    """The Parquet schema of one kind's staged extract."""
    cols = [*LINEAGE_COLUMNS, *extract_fields(kind), "attributes"]
    return pa.schema([(c, pa.int64() if c in _INT_COLUMNS else pa.string()) for c in cols])


QUARANTINE_SCHEMA = pa.schema([(c, pa.int64() if c in _INT_COLUMNS else pa.string()) for c in QUARANTINE_COLUMNS])


@dataclass
class FileReport:
    """What happened to one file: the reconciliation line and everything an operator needs to fix it."""

    source_name: str
    source_kind: str
    source_file: str
    status: str = "ok"  # ok | failed | missing
    error: str | None = None
    file_sha256: str | None = None
    rows_read: int = 0
    rows_physical: int | None = 0  # lines or sheet rows under the header(s); None when a reader cannot tell
    rows_extracted: int = 0
    rows_quarantined: int = 0
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns_missing: list[str] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)
    records_path: str | None = None
    quarantine_path: str | None = None
    reused: bool = False


def _cache_key(spec: SourceSpec, sha: str) -> str:
    payload = json.dumps(
        {"v": EXTRACT_VERSION, "sha": sha, "spec": spec.model_dump(mode="json", exclude={"description"})},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def read_sheets(sf: SourceFile, spec: SourceSpec, sources: SourcesFile) -> tuple[list[RawSheet], list[str]]:
    """Open one file with the reader its format needs."""
    opts = sources.effective(spec)
    declared = list(spec.columns)
    if spec.responsible and spec.responsible.column:
        declared.append(spec.responsible.column)
    fmt = spec.file_format
    if fmt == "xlsx":
        return read_xlsx_sheets(
            sf.path,
            source_file=sf.display,
            selector=spec.sheets,
            include_hidden=spec.include_hidden_sheets,
            header_row=spec.header_row,
            declared=declared,
        )
    if fmt == "jsonl":
        return [read_jsonl_sheet(sf.path, source_file=sf.display, encoding=opts["encoding"])], []
    return [
        read_csv_sheet(
            sf.path,
            source_file=sf.display,
            encoding=opts["encoding"],
            delimiter=spec.delimiter,
            header_row=spec.header_row,
            declared=declared,
        )
    ], []


def in_folder(folder: Path) -> Placement:
    """Every file's staged rows side by side in one folder: ``<key>.records.parquet``, ``<key>.quarantine.parquet``."""
    return lambda key, part: folder / f"{key}.{part}.parquet"


def extract_file(sf: SourceFile, spec: SourceSpec, sources: SourcesFile, place: Placement, sha: str) -> FileReport:
    """Read one file and write its records and quarantine as Parquet where ``place`` says."""
    report = FileReport(spec.name, spec.kind, sf.display, file_sha256=sha)
    default_resp = (spec.responsible.employee if spec.responsible else None) or sources.defaults.responsible
    sheets, notes = read_sheets(sf, spec, sources)
    report.notes += notes
    stem = _cache_key(spec, sha)
    rec_path = place(stem, "records")
    q_path = place(stem, "quarantine")
    with (
        _BatchWriter(rec_path, record_schema(spec.kind)) as records,
        _BatchWriter(q_path, QUARANTINE_SCHEMA) as quarantine,
    ):
        _extract_sheets(sheets, sf, spec, report, default_resp=default_resp, out=(records, quarantine))
    report.records_path, report.quarantine_path = str(rec_path), str(q_path)
    return report


class _BatchWriter:
    """Rows of one Parquet file collected column by column and written a row group at a time."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema, self.rows = path, schema, BATCH_ROWS
        self.columns: dict[str, list[Any]] = {c: [] for c in schema.names}
        self.held = 0
        self.writer = pq.ParquetWriter(path, schema)

    def __getitem__(self, column: str) -> list[Any]:
        return self.columns[column]

    def row_added(self) -> None:
        """Count a row whose every column has been appended; write the batch when it is full."""
        self.held += 1
        if self.held >= self.rows:
            self.flush()

    def flush(self) -> None:
        if self.held:
            self.writer.write_table(pa.Table.from_pydict(self.columns, schema=self.schema))
            for values in self.columns.values():
                values.clear()
            self.held = 0

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.flush()
        finally:
            self.writer.close()
            if exc[0] is not None:  # a file that could not be read leaves no half-written rows behind
                self.path.unlink(missing_ok=True)


def _extract_sheets(
    sheets: list[RawSheet],
    sf: SourceFile,
    spec: SourceSpec,
    report: FileReport,
    *,
    default_resp: str | None,
    out: tuple[_BatchWriter, _BatchWriter],
) -> None:
    """Every row of the file's sheets into its records or its quarantine, counted in ``report``."""
    records, quarantine = out
    sha = report.file_sha256
    fields = extract_fields(spec.kind)
    missing_everywhere: set[str] | None = None
    for sheet in sheets:
        report.sheets.append(sheet.sheet)
        if report.rows_physical is not None:
            report.rows_physical = None if sheet.physical_rows is None else report.rows_physical + sheet.physical_rows
        report.notes += [f"[{sheet.sheet}] {n}" if sheet.sheet else n for n in sheet.notes]
        plan = plan_columns(sheet.header, spec)
        fatal = _fatal_missing(plan.missing_targets, spec)
        if fatal:
            raise SourceFileError(
                f"{sf.display} [sheet {sheet.sheet}]" if sheet.sheet else sf.display,
                _missing_message(fatal, sheet),
                row=sheet.header_physical_row or None,
                field=next(iter(fatal)),
            )
        missing_everywhere = set(plan.missing) if missing_everywhere is None else missing_everywhere & set(plan.missing)
        report.unmapped_headers += [h for h in plan.unmapped if h not in report.unmapped_headers]
        for row in sheet.rows:
            report.rows_read += 1
            mapped = map_row(row, plan, tabular=sheet.tabular)
            responsible = mapped.responsible or default_resp
            lineage = (spec.name, spec.kind, sf.display, sheet.sheet, row.row_number, row.physical_row, sha)
            if mapped.reason is not None:
                for col, val in zip(LINEAGE_COLUMNS, (*lineage, responsible), strict=True):
                    quarantine[col].append(val)
                quarantine["stage"].append("extract")
                quarantine["field"].append(mapped.reason_field)
                quarantine["reason"].append(mapped.reason)
                quarantine["raw_value"].append(mapped.raw)
                quarantine.row_added()
                report.rows_quarantined += 1
                continue
            for col, val in zip(LINEAGE_COLUMNS, (*lineage, responsible), strict=True):
                records[col].append(val)
            for f in fields:
                records[f].append(mapped.values.get(f))
            records["attributes"].append(
                json.dumps(mapped.attributes, ensure_ascii=False, sort_keys=True) if mapped.attributes else None
            )
            records.row_added()
            report.rows_extracted += 1
    report.columns_missing = sorted(missing_everywhere or [])


def _fatal_missing(missing: dict[str, tuple[str, ...]], spec: SourceSpec) -> dict[str, tuple[str, ...]]:
    """The missing targets that fail the file.

    With one layout, every declared column must be there. When the map lists several layouts (some field
    declared under two headers), a file may hold only one of them: a column of one layout alone may be
    absent (it is reported), a field that every layout declares may not.
    """
    declared = Counter(spec.columns.values())
    if not any(n > 1 for n in declared.values()):
        return missing
    return {target: hs for target, hs in missing.items() if len(hs) > 1}


def _missing_message(missing: dict[str, tuple[str, ...]], sheet: RawSheet) -> str:
    """Which declared columns the header lacks; the header's own cells are not repeated (they may be data)."""
    what = "; ".join(f"{' / '.join(repr(h) for h in hs)} ({target})" for target, hs in missing.items())
    where = "the keys of the JSON lines" if not sheet.tabular else f"the header ({len(sheet.header)} columns)"
    return (
        f"declared column(s) not found in {where}: {what}; the file is not read, "
        "so that no field is loaded empty (fix the export, or the column map in the sources file)"
    )


def planned_files(sources: SourcesFile) -> list[tuple[SourceSpec, SourceFile | None]]:
    """Every file the night reads, in the sources file's order, with its source; a source that matches no file
    appears once with None, so that it is reported missing."""
    out: list[tuple[SourceSpec, SourceFile | None]] = []
    for spec in sources.sources:
        files = resolve_files(spec)
        if not files or (len(files) == 1 and not files[0].path.exists()):
            out.append((spec, None))
        else:
            out += [(spec, sf) for sf in files]
    return out


def extract_planned(
    spec: SourceSpec,
    sf: SourceFile | None,
    sources: SourcesFile,
    out: Path | Placement,
    *,
    cache_dir: Path | None = None,
) -> FileReport:
    """Extract one file of ``planned_files`` into the folder ``out`` (or where ``out`` places its rows); a source
    that matches no file (``sf`` None) is reported missing."""
    if isinstance(out, Path):
        out.mkdir(parents=True, exist_ok=True)
    if sf is None:
        shown = missing_display(spec)
        return FileReport(
            spec.name,
            spec.kind,
            shown,
            status="missing",
            error=f"{shown}: no file matches {spec.path!r} (source {spec.name!r})",
        )
    return _extract_one(sf, spec, sources, in_folder(out) if isinstance(out, Path) else out, cache_dir)


def missing_display(spec: SourceSpec) -> str:
    """How a source that matches no file is named in its report: its path, as the sources file resolves it."""
    files = resolve_files(spec)
    return files[0].display if files else spec.path


def extract_sources(sources: SourcesFile, out: Path | Placement, *, cache_dir: Path | None = None) -> list[FileReport]:
    """Extract every declared source into the folder ``out`` (or where ``out`` places each file's rows); returns
    one report per file (or per missing source)."""
    return [extract_planned(spec, sf, sources, out, cache_dir=cache_dir) for spec, sf in planned_files(sources)]


def _extract_one(
    sf: SourceFile, spec: SourceSpec, sources: SourcesFile, place: Placement, cache_dir: Path | None
) -> FileReport:
    try:
        sha = file_sha256(sf.path)
    except OSError as exc:
        return FileReport(spec.name, spec.kind, sf.display, status="failed", error=f"{sf.display}: {exc.strerror}")
    key = _cache_key(spec, sha)
    if cache_dir is not None:
        cached = cache_dir / key
        if (cached / "report.json").exists():
            report = FileReport(**json.loads((cached / "report.json").read_text("utf-8")))
            for name in ("records", "quarantine"):
                shutil.copyfile(cached / f"{name}.parquet", place(key, name))
            report.records_path = str(place(key, "records"))
            report.quarantine_path = str(place(key, "quarantine"))
            report.reused = True
            log.info("%s unchanged since a previous run: staged extract reused", sf.display)
            return report
    try:
        report = extract_file(sf, spec, sources, place, sha)
    except SourceFileError as exc:
        log.error("%s", exc)
        return FileReport(spec.name, spec.kind, sf.display, status="failed", error=str(exc), file_sha256=sha)
    except OSError as exc:
        msg = f"{sf.display}: cannot read the file ({exc.strerror or exc})"
        log.error("%s", msg)
        return FileReport(spec.name, spec.kind, sf.display, status="failed", error=msg, file_sha256=sha)
    except Exception as exc:  # one hostile file must not end the night; the others go on
        # the exception's text may quote a cell, so only its kind is told; the traceback goes to the debug log
        msg = f"{sf.display}: cannot read the file ({type(exc).__name__} in the reader); the other files go on"
        log.error("%s", msg)
        log.debug("%s", sf.display, exc_info=True)
        return FileReport(spec.name, spec.kind, sf.display, status="failed", error=msg, file_sha256=sha)
    if cache_dir is not None:
        cached = cache_dir / key
        tmp = cache_dir / f"{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        shutil.copyfile(report.records_path or "", tmp / "records.parquet")
        shutil.copyfile(report.quarantine_path or "", tmp / "quarantine.parquet")
        (tmp / "report.json").write_text(json.dumps(asdict(report), ensure_ascii=False), "utf-8")
        shutil.rmtree(cached, ignore_errors=True)
        tmp.rename(cached)
    return report
