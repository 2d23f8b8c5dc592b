"""The standardize task: the run's extracts become staged tables (contact, interaction, invoice, payment)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.pipeline.catalog import ParquetParts
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import night_file, read_night_files
from transforms.pipeline.standardize_cache import (
    FILE_CHECKSUM,
    CachedChunk,
    CachedFile,
    ChunkPlan,
    chunk_digest,
    file_key,
    find_cached,
    latest_for_file,
    mark_used,
    prune,
    restamped,
    save_cached,
    settings_key,
    stamp,
    standardize_key,
    unchanged,
)
from transforms.pipeline.tracking import StageResult
from transforms.standardize.records import DatesAfterAsOf, ReadingRules, written_regions
from transforms.standardize.sentinels import SentinelRegistry, load_sentinels
from transforms.standardize.source_files import TABLES, reading_rules
from transforms.standardize.source_files import standardize_file as standardize_rows
from transforms.standardize.vocabulary import load_vocabulary
from transforms.warehouse.table_schemas import conform

log = logging.getLogger(__name__)

#: Rows of an extracted file standardized at once: enough for the per-value caches to pay, small enough that a
#: file of millions of rows costs the memory of one chunk.
CHUNK_ROWS = 100_000


def run_standardize(ctx: RunContext) -> StageResult:
    """Standardize every extracted file and write one Parquet file per staged table."""
    shutil.rmtree(ctx.catalog.path("standardize.files"), ignore_errors=True)
    for f in read_night_files(ctx.run_dir):
        standardize_file(ctx, f.key)
    return combine_standardized(ctx)


def standardize_file(ctx: RunContext, key: str) -> StageResult:
    """Standardize one of the night's extracted files into its own staged tables (``standardize.file_table``).

    The file is read and standardized ``CHUNK_ROWS`` rows at a time, each chunk's tables appended to the file's
    (``ParquetParts``): a file of millions of rows never sits whole in pandas. A row's standardization depends on
    its row only, but for one thing: a phone without a country of its own may be read in any country the file
    writes, so the file's countries are gathered first and handed to every chunk.

    A file whose standardization tonight would give the rows a previous night gave (``standardize_cache``) is not
    standardized again: its cached tables are copied with tonight's stamp, and its manifest says it was reused.
    A file that changed since takes from the entry it last wrote the rows of every chunk that did not change, and
    standardizes the others (its manifest counts both). Either way the manifest's ``content`` names the rows (the
    cache key and the night that standardized them), which the validate cache keys on.
    """
    f = night_file(ctx.run_dir, key)
    run = ctx.catalog
    extracted = run.manifest("extract")["files"][int(f.part)]
    out_dir = run.path("standardize.file", file=f.part)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    written: dict[str, str | None] = dict.fromkeys(TABLES)
    rows_in = rows_out = 0
    reused = False
    cache_key: str | None = None
    content: str | None = None
    chunks: dict[str, int] | None = None
    if extracted["status"] == "ok":
        sources = ctx.load_sources()
        sentinels = load_sentinels(sources.defaults.sentinels or None)
        vocabulary, origin = load_vocabulary(ctx.settings_file)
        log.info("%s: vocabulary of complaints, kinds and channels: %s", key, ctx.shown(origin))
        spec = sources.source(extracted["source_name"])
        after_as_of = DatesAfterAsOf()
        rules = replace(reading_rules(sources, spec, ctx.as_of_date, vocabulary), after_as_of=after_as_of)
        inputs = [Path(extracted["records_path"]), Path(extracted["quarantine_path"])]
        settings = settings_key(spec=spec, sources=sources, rules=rules, sentinels=sentinels)
        cache_key = standardize_key(inputs, settings)
        same_file = file_key(settings, spec.name, str(extracted["source_file"]))
        cached = find_cached(ctx.standardize_cache_dir, cache_key, ctx.as_of_date)
        parts = {t: ParquetParts(run.output("standardize.file_table", file=f.part, table=t)) for t in TABLES}
        plan: ChunkPlan | None = None
        try:
            if cached is not None:
                rows_in, reused, content = cached.rows_in, True, f"{cache_key}@{cached.as_of.isoformat()}"
                mark_used(cached)
                _copy_cached(cached, parts, as_of=ctx.as_of_date, run_id=ctx.run_id)
                log.info("%s: rows and settings unchanged since %s: standardized rows reused", key, cached.as_of)
            else:
                earlier = latest_for_file(ctx.standardize_cache_dir, same_file)
                rows_in, plan, taken = _standardize_chunks(
                    inputs, spec.kind, rules, sentinels, parts=parts, ctx=ctx, earlier=earlier
                )
                if taken and earlier is not None and not unchanged(earlier):
                    log.warning("%s: another night rewrote the cached rows while they were read: read again", key)
                    for part in parts.values():
                        part.abort()
                    parts = {t: ParquetParts(part.path) for t, part in parts.items()}
                    after_as_of = DatesAfterAsOf()
                    rules = replace(rules, after_as_of=after_as_of)
                    rows_in, plan, taken = _standardize_chunks(
                        inputs, spec.kind, rules, sentinels, parts=parts, ctx=ctx, earlier=None
                    )
                content = f"{cache_key}@{ctx.as_of}"
                chunks = {"of": len(plan.chunks), "reused": taken}
                if taken:
                    log.info(
                        "%s: %d of %d chunks of rows unchanged since %s: their standardized rows reused",
                        key,
                        taken,
                        len(plan.chunks),
                        earlier.as_of if earlier else "?",
                    )
        except BaseException:
            for part in parts.values():
                part.abort()
            raise
        for table, part in parts.items():
            path = part.close()
            written[table] = str(path) if path else None
            rows_out += part.rows if table in ("contact", "invoice", "payment") else 0
        if not reused:
            save_cached(
                ctx.standardize_cache_dir,
                cache_key,
                written,
                as_of=ctx.as_of_date,
                after_as_of=after_as_of,
                rows_in=rows_in,
                plan=plan,
                file=same_file,
            )
    manifest = run.write_json(
        "standardize.file_manifest",
        {
            "key": key,
            "rows_in": rows_in,
            "tables": written,
            "reused": reused,
            "cache_key": cache_key,
            "content": content,
            "chunks": chunks,
        },
        file=f.part,
    )
    return StageResult(manifest, rows_in=rows_in, rows_out=rows_out)


def _standardize_chunks(
    inputs: list[Path],
    kind: str,
    rules: ReadingRules,
    sentinels: SentinelRegistry,
    *,
    parts: dict[str, ParquetParts],
    ctx: RunContext,
    earlier: CachedFile | None = None,
) -> tuple[int, ChunkPlan, int]:
    """Standardize a file's records (and stamp its quarantine) a chunk at a time into ``parts``: its rows read,
    its chunks, and how many of them were taken from ``earlier`` (the entry the file last wrote) rather than
    standardized, their rows unchanged since."""
    records_path, quarantine_path = inputs
    records = pq.ParquetFile(records_path)
    regions: tuple[str, ...] = ()
    if "country" in records.schema_arrow.names:
        written_country = records.read(columns=["country"]).column("country").to_pandas()
        regions = written_regions(written_country, sentinels)
        rules = replace(rules, other_regions=(*rules.other_regions, *regions))
    plan = ChunkPlan(chunk_rows=CHUNK_ROWS, regions=regions)
    reusable = earlier.reusable_chunks(plan, ctx.as_of_date) if earlier is not None else {}
    file_dates = rules.after_as_of
    as_of, run_id = ctx.as_of_date, ctx.run_id
    chunks: list[CachedChunk] = []
    taken = 0
    for batch in records.iter_batches(batch_size=CHUNK_ROWS):
        digest = chunk_digest(batch)
        found = reusable.get(digest)
        stamps = _stamps(batch, as_of=as_of, run_id=run_id)
        if found is not None and earlier is not None and stamps is not None:
            index, chunk = found
            for table, part in parts.items():
                for rows in earlier.chunk_rows(index, table):
                    part.write(stamp(rows, stamps))
            taken += 1
        else:
            before = {t: p.rows for t, p in parts.items()}
            late = DatesAfterAsOf()
            raw = batch.to_pandas()
            for table, frame in standardize_rows(kind, raw, replace(rules, after_as_of=late), sentinels).items():
                parts[table].write(conform(f"staging.{table}", frame.assign(as_of=as_of, run_id=run_id)))
            rows = {t: p.rows - before[t] for t, p in parts.items() if p.rows > before[t]}
            chunk = CachedChunk(digest, rows, late.count, late.earliest)
        chunks.append(chunk)
        if file_dates is not None:
            file_dates.merge(chunk.dates_after_as_of, chunk.first_date_after_as_of)
    quarantine = pq.ParquetFile(quarantine_path)
    for batch in quarantine.iter_batches(batch_size=CHUNK_ROWS):
        rows = batch.to_pandas().assign(as_of=as_of, run_id=run_id)
        parts["quarantine"].write(conform("staging.quarantine", rows))
    return int(records.metadata.num_rows), replace(plan, chunks=tuple(chunks)), taken


def _stamps(batch: pa.RecordBatch, *, as_of: dt.date, run_id: str) -> dict[str, object] | None:
    """What a reused chunk's staged rows get of tonight's: the night's stamp and the file's checksum as tonight's
    rows write it (None: the chunk's rows write several, and its staged rows are made again)."""
    stamps: dict[str, object] = {"as_of": as_of, "run_id": run_id}
    if FILE_CHECKSUM in batch.schema.names:
        values = batch.column(FILE_CHECKSUM).unique()
        if len(values) != 1:
            return None
        stamps[FILE_CHECKSUM] = values[0].as_py()
    return stamps


def _copy_cached(cached: CachedFile, parts: dict[str, ParquetParts], *, as_of: dt.date, run_id: str) -> None:
    """A cached file's staged tables into ``parts``, a row group at a time, with tonight's stamp."""
    for table, part in parts.items():
        path = cached.table(table)
        if path is not None:
            for rows in restamped(path, as_of=as_of, run_id=run_id):
                part.write(rows)


def combine_standardized(ctx: RunContext) -> StageResult:
    """The night's staged tables: every file's, in the night's order (each file's rows already carry the run's
    as-of date and id), copied a row group at a time into one Parquet file per table."""
    run = ctx.catalog
    parts: dict[str, list[str]] = {t: [] for t in TABLES}
    rows_in = reused = 0
    for f in read_night_files(ctx.run_dir):
        done = run.read_json("standardize.file_manifest", file=f.part)
        rows_in += int(done["rows_in"])
        reused += bool(done.get("reused"))
        for table, path in done["tables"].items():
            if path:
                parts[table].append(path)
    outputs: dict[str, Any] = {}
    rows_out = 0
    for table, paths in parts.items():
        path = run.write_parts(f"standardize.{table}", _row_groups(paths))
        rows = pq.read_metadata(path).num_rows if path else 0
        if table in ("contact", "invoice", "payment"):
            rows_out += rows
        outputs[table] = {"path": str(path) if path else None, "rows": rows}
        log.info("staged %s: %d rows", table, rows)
    log.info("standardize: %d file(s) unchanged since a previous night, their standardized rows reused", reused)
    prune(ctx.standardize_cache_dir, "standardize")
    manifest_path = run.write_manifest("standardize", {"tables": outputs, "files_reused": reused})
    return StageResult(manifest_path, rows_in=rows_in, rows_out=rows_out)


def _row_groups(paths: list[str]) -> Iterator[pa.Table]:
    """The row groups of these Parquet files, one at a time, in order."""
    for path in paths:
        file = pq.ParquetFile(path)
        for i in range(file.num_row_groups):
            yield file.read_row_group(i)
