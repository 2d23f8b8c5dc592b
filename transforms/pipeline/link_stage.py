"""The link task: tonight's contact records become customers with stable ids and golden records.

Reads the staged contacts and interactions from the run catalog, and last night's record-to-customer links and the
stewards' decisions from the warehouse; the customers are made by ``transforms.customers.consolidate``. Writes the
core tables and the golden records' data-quality rows for publish, the review workbook, the model's diagnostics
page, the fitted model and the on-entry matcher's index. Nothing is written to the warehouse here: publish loads
the run's tables in one transaction.
"""

from __future__ import annotations

import gc
import json
import logging
from typing import Any

from transforms.customers.consolidate import consolidate_customers, read_previous
from transforms.customers.decisions import load_decisions
from transforms.customers.review import write_review_workbook
from transforms.customers.settings import load_survivorship
from transforms.linkage import load_linkage_settings, write_diagnostics
from transforms.linkage.matcher import write_match_index
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.quality.settings import settings_for_sources
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

#: The datasets of the core and dq tables this stage writes, by the Customers field that fills each.
_TABLES = {
    "link.customer": "customers",
    "link.customer_source_record": "links",
    "link.customer_field_provenance": "provenance",
    "link.match_review": "review",
    "link.interaction": "interactions",
    "link.customer_id_history": "id_history",
    "link.customer_failure": "failures",
    "link.customer_metric": "metrics",
}


def run_link(ctx: RunContext) -> StageResult:
    """Link tonight's records into customers and write the core tables, the review workbook and diagnostics."""
    run = ctx.catalog
    run.manifest("standardize")  # the stage has run
    contacts = run.read("standardize.contact")
    interactions = run.read("standardize.interaction")
    run.stage_folder("link")

    engine = make_engine(ctx.warehouse_url)
    try:
        previous, next_number = read_previous(engine)
        stored = load_decisions(engine)
    finally:
        engine.dispose()
    settings = load_linkage_settings(ctx.settings_file)
    survivorship, survivorship_from = load_survivorship(ctx.settings_file)
    survivorship_from = ctx.shown(survivorship_from)
    quality, _ = settings_for_sources(ctx.settings_file)
    night = consolidate_customers(
        contacts,
        interactions,
        linkage=settings,
        survivorship=survivorship,
        quality=quality,
        default_responsible=ctx.load_sources().defaults.responsible,
        previous=previous,
        next_number=next_number,
        stored_decisions=stored,
        stamp={"as_of": ctx.as_of_date, "run_id": ctx.run_id},
    )
    # The staged frames as read are done with (the night keeps its own contacts): freed before the writing.
    del contacts, interactions
    gc.collect()

    workbook = write_review_workbook(
        night.result.review,
        night.contacts,
        run.output("link.review_workbook", as_of=ctx.as_of),
        run_id=ctx.run_id,
        as_of=ctx.as_of_date,
    )
    diagnostics = write_diagnostics(night.result, run.output("link.diagnostics"))
    run.write_text("link.model", json.dumps(night.result.model.to_dict(), indent=2))
    settings_json = settings.model_dump(mode="json", by_alias=True)
    run.write_text("link.linkage_settings", json.dumps(settings_json, indent=2))
    for name, field in _TABLES.items():
        run.write(name, getattr(night, field))
    # The steward's console shows each review pair's comparison levels, which core.match_review does not keep.
    levels = [c for c in night.review.columns if c.startswith("cmp_")]
    run.write("link.review_levels", night.review[["record_id_l", "record_id_r", *levels]])

    events = night.id_history["event"].value_counts().to_dict() if len(night.id_history) else {}
    summary: dict[str, Any] = {
        "records": len(night.contacts),
        "customers": len(night.customers),
        "candidate_pairs": int(night.result.stats.get("candidate_pairs", len(night.result.pairs))),
        "review_pairs": len(night.review),
        "decisions_applied": len(night.decisions),
        "id_events": {str(k): int(v) for k, v in events.items()},
        "review_workbook": str(workbook),
        "diagnostics": str(diagnostics),
        "survivorship_settings": survivorship_from,
        "customer_failures": len(night.failures),  # source rows behind the failing golden records
        "customer_failing_values": night.failing_values,  # failing values on golden records (customer, rule, field)
    }
    log.info(
        "linked %d records into %d customers; %d pairs for review; id events %s",
        len(night.contacts),
        len(night.customers),
        len(night.review),
        summary["id_events"],
    )
    # The on-entry matcher (crm-etl match) answers from tonight's records and model.
    summary["match_index"] = str(write_match_index(run.root))
    manifest = run.write_manifest("link", {**summary, "publish": run.publish_section(list(_TABLES))})
    return StageResult(manifest, rows_in=len(night.contacts), rows_out=len(night.customers))
