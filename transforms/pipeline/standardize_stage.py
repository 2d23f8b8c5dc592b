"""The standardize task: the run's extracts become staged tables (contact, interaction, invoice, payment)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.standardize.sentinels import load_sentinels
from transforms.standardize.source_files import TABLES, reading_rules, standardize_file
from transforms.standardize.vocabulary import load_vocabulary

log = logging.getLogger(__name__)


def run_standardize(ctx: RunContext) -> StageResult:
    """Standardize every extracted file and write one Parquet file per staged table."""
    sources = ctx.load_sources()
    sentinels = load_sentinels(sources.defaults.sentinels or None)
    vocabulary, origin = load_vocabulary(ctx.settings_file)
    origin = ctx.shown(origin)
    log.info("vocabulary of complaints, kinds and channels: %s", origin)
    run = ctx.catalog
    manifest = run.manifest("extract")
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    rows_in = 0
    for f in manifest["files"]:
        if f["status"] != "ok":
            continue
        spec = sources.source(f["source_name"])
        raw = pq.read_table(f["records_path"]).to_pandas()
        rows_in += len(raw)
        if len(raw):
            for table, frame in standardize_file(
                spec.kind, raw, reading_rules(sources, spec, ctx.as_of_date, vocabulary), sentinels
            ).items():
                parts[table].append(frame)
        parts["quarantine"].append(pq.read_table(f["quarantine_path"]).to_pandas())
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
