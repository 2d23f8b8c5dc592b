"""The segments task: every linked customer's features, tonight's segments, and who moved since last night.

Reads the golden records and links (link), the staged journals and contacts (standardize), settled invoices and
reliability (receivables) from the run catalog, and last night's segments from the warehouse; the segments are
made by ``transforms.segments.night``. Writes marts.customer_feature, customer_segment, segment_profile,
segment_channel and segment_movement as Parquet, the model's record, and the analysts' rule views for publish.
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from transforms.pipeline.catalog import RunCatalog, dataset
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.segments.night import INPUT_COLUMNS, read_previous_night, segment_night
from transforms.segments.rules import compile_rule_views, dialect_of
from transforms.segments.settings import load_segments
from transforms.standardize.vocabulary import load_vocabulary
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

#: The dataset each input of the segments is read from.
_INPUTS = {
    "customers": "link.customer",
    "links": "link.customer_source_record",
    "interactions": "standardize.interaction",
    "contacts": "standardize.contact",
    "invoices": "receivables.invoice",
    "reliability": "receivables.customer_reliability",
}
#: The segment tables written when there are customers enough to group, by the SegmentResult field of each.
_SEGMENT_TABLES = {
    "segments.customer_segment": "assignments",
    "segments.segment_profile": "profiles",
    "segments.segment_channel": "channels",
    "segments.segment_movement": "movements",
}


def read_inputs(run: RunCatalog) -> dict[str, pd.DataFrame]:
    """The earlier stages' tables (only the columns used); empty when a stage wrote none tonight."""
    for name in _INPUTS.values():
        if dataset(name).stage == "link" and not run.exists(name):
            raise FileNotFoundError(f"{run.path(name)} is missing: run the link stage of this run first")
    return {role: run.read(name, INPUT_COLUMNS[role], fill=True) for role, name in _INPUTS.items()}


def run_segments(ctx: RunContext) -> StageResult:
    """Compute tonight's features and segments and write them for publishing."""
    run = ctx.catalog
    settings, origin = load_segments(ctx.settings_file)
    origin = ctx.shown(origin)
    base_currency = settings.features.base_currency or ctx.load_sources().defaults.currency
    inputs = read_inputs(run)
    engine = make_engine(ctx.warehouse_url)
    try:
        previous = read_previous_night(engine, ctx.as_of_date)
    finally:
        engine.dispose()
    night = segment_night(
        inputs,
        settings,
        previous,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        base_currency=base_currency,
        vocabulary=load_vocabulary(ctx.settings_file)[0],
        choose_k=ctx.full_relink,
    )
    run.stage_folder("segments")
    run.write("segments.customer_feature", night.features)
    written = ["segments.customer_feature"]
    if night.result is not None:
        for name, field in _SEGMENT_TABLES.items():
            run.write(name, getattr(night.result, field))
        run.write_text("segments.model", json.dumps(night.model, indent=2, ensure_ascii=False, default=str))
        written += list(_SEGMENT_TABLES)
    summary = {"settings": origin, **night.summary}
    views = [sql for _, sql in compile_rule_views(settings, dialect_of(ctx.warehouse_url))]
    log.info(
        "segments: %d customers, k=%s, movements %s", len(night.features), summary.get("k"), summary.get("movements")
    )
    manifest = run.write_manifest("segments", {**summary, "publish": run.publish_section(written), "views": views})
    return StageResult(manifest, rows_in=len(night.features), rows_out=len(night.features))
