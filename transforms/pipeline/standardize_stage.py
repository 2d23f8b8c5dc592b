"""The standardize task: the run's extracts become staged tables (contact, interaction, invoice, payment)."""

from __future__ import annotations

import logging
import shutil
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.pipeline.catalog import write_parquet
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import night_file, read_night_files
from transforms.pipeline.tracking import StageResult
from transforms.standardize.sentinels import load_sentinels
from transforms.standardize.source_files import TABLES, reading_rules
from transforms.standardize.source_files import standardize_file as standardize_rows
from transforms.standardize.vocabulary import load_vocabulary

log = logging.getLogger(__name__)


def run_standardize(ctx: RunContext) -> StageResult:
    """Standardize every extracted file and write one Parquet file per staged table."""
    shutil.rmtree(ctx.catalog.path("standardize.files"), ignore_errors=True)
    for f in read_night_files(ctx.run_dir):
        standardize_file(ctx, f.key)
    return combine_standardized(ctx)


def standardize_file(ctx: RunContext, key: str) -> StageResult:
    """Standardize one of the night's extracted files into its own staged tables (``standardize.file_table``)."""
    f = night_file(ctx.run_dir, key)
    run = ctx.catalog
    extracted = run.manifest("extract")["files"][int(f.part)]
    out_dir = run.path("standardize.file", file=f.part)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    written: dict[str, str | None] = dict.fromkeys(TABLES)
    rows_in = rows_out = 0
    if extracted["status"] == "ok":
        sources = ctx.load_sources()
        sentinels = load_sentinels(sources.defaults.sentinels or None)
        vocabulary, origin = load_vocabulary(ctx.settings_file)
        log.info("%s: vocabulary of complaints, kinds and channels: %s", key, ctx.shown(origin))
        spec = sources.source(extracted["source_name"])
        raw = pq.read_table(extracted["records_path"]).to_pandas()
        rows_in = len(raw)
        tables = (
            standardize_rows(spec.kind, raw, reading_rules(sources, spec, ctx.as_of_date, vocabulary), sentinels)
            if len(raw)
            else {}
        )
        tables["quarantine"] = pq.read_table(extracted["quarantine_path"]).to_pandas()
        for table, frame in tables.items():
            if len(frame):
                staged = run.output("standardize.file_table", file=f.part, table=table)
                write_parquet(pa.Table.from_pandas(frame, preserve_index=False), staged)
                written[table] = str(staged)
                rows_out += len(frame) if table in ("contact", "invoice", "payment") else 0
    manifest = run.write_json(
        "standardize.file_manifest", {"key": key, "rows_in": rows_in, "tables": written}, file=f.part
    )
    return StageResult(manifest, rows_in=rows_in, rows_out=rows_out)


def combine_standardized(ctx: RunContext) -> StageResult:
    """The night's staged tables: every file's, in the night's order, with the run's as-of date and id."""
    run = ctx.catalog
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    rows_in = 0
    for f in read_night_files(ctx.run_dir):
        done = run.read_json("standardize.file_manifest", file=f.part)
        rows_in += int(done["rows_in"])
        for table, path in done["tables"].items():
            if path:
                parts[table].append(pq.read_table(path).to_pandas())
    outputs: dict[str, Any] = {}
    rows_out = 0
    for table, found in parts.items():
        frames = [f for f in found if len(f)]
        frame = pd.DataFrame()
        if frames:
            frame = pd.concat(frames, ignore_index=True)
            frame["as_of"] = ctx.as_of_date
            frame["run_id"] = ctx.run_id
            if table in ("contact", "invoice", "payment"):
                rows_out += len(frame)
        path = run.write(f"standardize.{table}", frame)
        outputs[table] = {"path": str(path) if path else None, "rows": len(frame)}
        log.info("staged %s: %d rows", table, outputs[table]["rows"])
    manifest_path = run.write_manifest("standardize", {"tables": outputs})
    return StageResult(manifest_path, rows_in=rows_in, rows_out=rows_out)
