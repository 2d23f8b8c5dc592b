"""The standardize task: the run's extracts become staged tables (contact, interaction, invoice, payment)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import night_file, read_night_files
from transforms.pipeline.manifest import read_manifest, write_manifest
from transforms.pipeline.tracking import StageResult
from transforms.settings import SourcesFile, SourceSpec
from transforms.standardize.records import (
    ReadingRules,
    standardize_contacts,
    standardize_interactions,
    standardize_invoices,
    standardize_payments,
)
from transforms.standardize.sentinels import SentinelRegistry, load_sentinels
from transforms.standardize.vocabulary import VocabularySettings, load_vocabulary

log = logging.getLogger(__name__)

#: Which staged table holds the loaded rows of each kind of source (the reconciliation counts these).
LOADED_TABLE = {
    "journal": "contact",
    "spreadsheet": "contact",
    "accounting_customers": "contact",
    "invoices": "invoice",
    "payments": "payment",
}
TABLES = ("contact", "interaction", "invoice", "payment", "field_issue", "quarantine")
#: Where each file's staged tables wait for ``combine_standardized`` (one folder per file, named by its part).
FILE_TABLES = "files"


def reading_rules(
    sources: SourcesFile, spec: SourceSpec, as_of: dt.date, vocabulary: VocabularySettings | None = None
) -> ReadingRules:
    """The reading rules of one source, defaults filled in."""
    eff = sources.effective(spec)
    return ReadingRules(
        phone_region=eff["phone_region"],
        date_order=eff["date_order"],
        country=eff["country"],
        currency=eff["currency"],
        date_format=spec.date_format,
        as_of=as_of,
        vocabulary=vocabulary,
        other_regions=sources.regions(),
    )


def _standardize_file(
    kind: str, raw: pd.DataFrame, rules: ReadingRules, sentinels: SentinelRegistry
) -> dict[str, pd.DataFrame]:
    if kind in ("journal", "spreadsheet", "accounting_customers"):
        contacts, issues = standardize_contacts(raw, rules=rules, sentinels=sentinels)
        out = {"contact": contacts, "field_issue": issues}
        if kind == "journal":
            out["interaction"], journal_issues = standardize_interactions(raw, rules=rules)
            out["field_issue"] = pd.concat([issues, journal_issues], ignore_index=True)
        return out
    fn: Callable[..., tuple[pd.DataFrame, pd.DataFrame]] = (
        standardize_invoices if kind == "invoices" else standardize_payments
    )
    rows, issues = fn(raw, rules=rules, sentinels=sentinels)
    return {LOADED_TABLE[kind]: rows, "field_issue": issues}


def run_standardize(ctx: RunContext) -> StageResult:
    """Standardize every extracted file and write one Parquet file per staged table."""
    shutil.rmtree(ctx.stage_dir("standardize") / FILE_TABLES, ignore_errors=True)
    for f in read_night_files(ctx.run_dir):
        standardize_file(ctx, f.key)
    return combine_standardized(ctx)


def standardize_file(ctx: RunContext, key: str) -> StageResult:
    """Standardize one of the night's extracted files into standardize/files/<part>/ (a table a Parquet file)."""
    f = night_file(ctx.run_dir, key)
    extracted = read_manifest(Path(ctx.run_dir) / "extract" / "manifest.json")["files"][int(f.part)]
    out_dir = ctx.stage_dir("standardize") / FILE_TABLES / f.part
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
            _standardize_file(spec.kind, raw, reading_rules(sources, spec, ctx.as_of_date, vocabulary), sentinels)
            if len(raw)
            else {}
        )
        tables["quarantine"] = pq.read_table(extracted["quarantine_path"]).to_pandas()
        for table, frame in tables.items():
            if len(frame):
                _write(frame, out_dir / f"{table}.parquet")
                written[table] = str(out_dir / f"{table}.parquet")
                rows_out += len(frame) if table in ("contact", "invoice", "payment") else 0
    path = write_manifest(out_dir / "manifest.json", {"key": key, "rows_in": rows_in, "tables": written})
    return StageResult(path, rows_in=rows_in, rows_out=rows_out)


def combine_standardized(ctx: RunContext) -> StageResult:
    """The night's staged tables: every file's, in the night's order, with the run's as-of date and id."""
    out_dir = ctx.stage_dir("standardize")
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    rows_in = 0
    for f in read_night_files(ctx.run_dir):
        done = read_manifest(out_dir / FILE_TABLES / f.part / "manifest.json")
        rows_in += int(done["rows_in"])
        for table, path in done["tables"].items():
            if path:
                parts[table].append(pq.read_table(path).to_pandas())
    outputs: dict[str, Any] = {}
    rows_out = 0
    for table, found in parts.items():
        frames = [f for f in found if len(f)]
        path = out_dir / f"{table}.parquet"
        if frames:
            frame = pd.concat(frames, ignore_index=True)
            frame["as_of"] = ctx.as_of_date
            frame["run_id"] = ctx.run_id
            _write(frame, path)
            outputs[table] = {"path": str(path), "rows": len(frame)}
            if table in ("contact", "invoice", "payment"):
                rows_out += len(frame)
        else:
            path.unlink(missing_ok=True)
            outputs[table] = {"path": None, "rows": 0}
        log.info("staged %s: %d rows", table, outputs[table]["rows"])
    manifest_path = write_manifest(out_dir / "manifest.json", {"tables": outputs})
    return StageResult(manifest_path, rows_in=rows_in, rows_out=rows_out)


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path)
