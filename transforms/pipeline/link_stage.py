"""The link task: tonight's contact records become customers with stable ids and golden records.

Reads the staged contacts and interactions from the run catalog, and last night's record-to-customer links and the
stewards' decisions from the warehouse; the customers are made by ``transforms.customers.consolidate``. Writes the
core tables and the golden records' data-quality rows for publish, the review workbook, the model's diagnostics
page, the fitted model and the on-entry matcher's index. Nothing is written to the warehouse here: publish loads
the run's tables in one transaction.

A night links only what changed since the last published night (``transforms.linkage.incremental``) when that
night's run folder kept its linkage state, unless a full relink is due (``full_relink_reason``: asked for, the
linkage settings changed, too many records changed, the last full relink too old); the manifest says which kind
of night it was and why. Each night writes the state the next one starts from (``link.state`` and the kept pairs,
record keys and decisions).
"""

from __future__ import annotations

import gc
import html
import json
import logging
from typing import Any

import pandas as pd

from transforms.customers.consolidate import changed_share, consolidate_customers, read_previous, with_fingerprints
from transforms.customers.decisions import load_decisions
from transforms.customers.golden import GOLDEN_COLUMNS, PROVENANCE_COLUMNS
from transforms.customers.golden_reuse import KeptGolden
from transforms.customers.review import write_review_workbook
from transforms.customers.settings import load_survivorship
from transforms.linkage import FittedModel, LinkageSettings, LinkResult, load_linkage_settings, write_diagnostics
from transforms.linkage.incremental import (
    STATE_VERSION,
    KeptLinkage,
    full_relink_reason,
    kept_pairs,
    settings_hash,
)
from transforms.linkage.matcher import write_match_index
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.memory import release_memory
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


#: What a night keeps in its run folder for the next one to link incrementally.
_KEPT = ("link.state", "link.model", "link.kept_pairs", "link.record_keys", "link.decisions")


def _last_night(ctx: RunContext, previous: pd.DataFrame | None) -> tuple[RunCatalog | None, dict[str, Any] | None]:
    """The run folder of the published night tonight follows, and its linkage state (None when it kept none)."""
    if previous is None or previous.empty or "run_id" not in previous.columns:
        return None, None
    last = RunCatalog.of_run(ctx.data_dir, str(previous["run_id"].iloc[0]))
    if not all(last.exists(name) for name in _KEPT) or last.root == ctx.catalog.root:
        return None, None
    state: dict[str, Any] = last.read_json("link.state")
    return last, state


def _kept(last: RunCatalog, previous: pd.DataFrame) -> KeptLinkage:
    return KeptLinkage(
        model=FittedModel.from_dict(last.read_json("link.model")),
        pairs=last.read("link.kept_pairs"),
        record_keys=last.read("link.record_keys"),
        customers=previous,  # record_id, customer_id, match_probability are read (no copy of a million rows)
        decisions=last.read("link.decisions"),
        prepared=last.read("link.prepared") if last.exists("link.prepared") else None,
    )


def _kept_golden(last: RunCatalog, before: dict[str, Any]) -> KeptGolden | None:
    """Last night's golden records with what tells whether each can be reused (None: it kept no keys)."""
    kept = ("link.golden_keys", "link.customer", "link.customer_field_provenance")
    if not all(last.exists(name) for name in kept) or not before.get("golden_hash"):
        return None

    def read(reused: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        # Rows picked before they become frames: a tenth of the customers changed leaves nine tenths to read.
        golden = last.read("link.customer", list(GOLDEN_COLUMNS), matching={"customer_id": reused})
        provenance = last.read(
            "link.customer_field_provenance", list(PROVENANCE_COLUMNS), matching={"customer_id": reused}
        )
        return golden, provenance

    return KeptGolden(settings_hash=str(before["golden_hash"]), row_keys=last.read("link.golden_keys"), read=read)


def _night_state(
    ctx: RunContext, settings: LinkageSettings, reason: str | None, before: dict[str, Any] | None, share: float
) -> dict[str, Any]:
    """What tonight tells the next night: its kind and why, the settings hash and the last full relink."""
    if reason is None and before is not None:
        return {
            "version": STATE_VERSION,
            "night": "incremental",
            "reason": f"{share:.1%} of the records changed since the last night",
            "settings_hash": before["settings_hash"],
            "last_full_as_of": before["last_full_as_of"],
            "model_run_id": before["model_run_id"],
        }
    return {
        "version": STATE_VERSION,
        "night": "full",
        "reason": reason,
        "settings_hash": settings_hash(settings),
        "last_full_as_of": ctx.as_of,
        "model_run_id": ctx.run_id,
    }


class _LinkageOutputs:
    """What only the linkage itself leaves, written as soon as the records are linked (``consolidate_customers``'
    ``on_linked``): the model and its settings, the diagnostics page, and what the next night starts from (the
    scored pairs it keeps, each record's evidence key, the prepared records). The result handed back no longer
    holds the scored pairs nor the prepared records: at a million customers they are gigabytes the golden records
    and the tables do not need."""

    def __init__(self, ctx: RunContext, settings: LinkageSettings, state: dict[str, Any]) -> None:
        self.ctx, self.settings, self.state = ctx, settings, state
        self.candidate_pairs = 0
        self.diagnostics = ctx.catalog.output("link.diagnostics")

    def __call__(self, result: LinkResult) -> LinkResult:
        run, state = self.ctx.catalog, self.state
        if state["night"] == "incremental" and result.stats.get("night") == "full":
            # The incremental linkage found too much changed and linked everything: the night is a full relink.
            state.update(_night_state(self.ctx, self.settings, str(result.stats.get("full_reason")), None, 1.0))
        # An incremental night's page shows the kept model and only the pairs it compared or kept.
        kind = (
            f"<p>A full relink ({html.escape(str(state['reason']))}): every record compared, the model fitted "
            "tonight.</p>"
            if state["night"] == "full"
            else f"<p>An incremental night ({html.escape(str(state['reason']))}): only new and changed records "
            f"were compared, scored with the model fitted by run {html.escape(str(state['model_run_id']))} (the "
            f"last full relink, {html.escape(str(state['last_full_as_of']))}); the match weights are those of "
            "the pairs compared tonight and of the pairs kept from last night at or above the review "
            "threshold.</p>"
        )
        self.diagnostics = write_diagnostics(result, self.diagnostics, extra=[kind])
        run.write_text("link.model", json.dumps(result.model.to_dict(), indent=2))
        settings_json = self.settings.model_dump(mode="json", by_alias=True)
        run.write_text("link.linkage_settings", json.dumps(settings_json, indent=2))
        run.write("link.kept_pairs", kept_pairs(result.pairs, self.settings))
        if result.record_keys is not None:
            run.write("link.record_keys", result.record_keys)
        if result.prepared is not None:
            run.write("link.prepared", result.prepared)
        self.candidate_pairs = int(result.stats.get("candidate_pairs", len(result.pairs)))
        # Dropped from the result itself, which nothing else holds them by, and the memory handed back before the
        # golden records are made (a copy: a slice of no rows would still hold every pair's arrays).
        result.pairs, result.prepared = result.pairs.iloc[:0].copy(), None
        release_memory()
        return result


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
    contacts = with_fingerprints(contacts)
    share = changed_share(contacts, previous)
    last, before = _last_night(ctx, previous)
    reason = full_relink_reason(
        asked=ctx.full_relink,
        settings=settings,
        as_of=ctx.as_of_date,
        state=before,
        has_previous=previous is not None and not previous.empty,
        changed_share=share,
    )
    kept = _kept(last, previous) if reason is None and last is not None and previous is not None else None
    state = _night_state(ctx, settings, None if kept is not None else reason, before, share)
    log.info("link: a%s night: %s", "n incremental" if kept is not None else " full", state["reason"])
    written = _LinkageOutputs(ctx, settings, state)
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
        kept=kept,
        kept_golden=_kept_golden(last, before) if kept is not None and last is not None and before else None,
        on_linked=written,
    )
    state["golden_hash"] = night.golden_hash
    # The staged frames as read and last night's links are done with (the night keeps its own contacts): freed
    # before the writing.
    del contacts, interactions, previous, kept
    gc.collect()

    workbook = write_review_workbook(
        night.result.review,
        night.contacts,
        run.output("link.review_workbook", as_of=ctx.as_of),
        run_id=ctx.run_id,
        as_of=ctx.as_of_date,
    )
    for name, field in _TABLES.items():
        run.write(name, getattr(night, field))
    # What the next night starts from (after the tables: a night stopped before here is linked in full).
    if night.row_keys is not None:
        run.write("link.golden_keys", night.row_keys)
    run.write("link.decisions", night.decisions[["record_id_l", "record_id_r", "is_match"]].reset_index(drop=True))
    run.write_json("link.state", state)
    # The steward's console shows each review pair's comparison levels, which core.match_review does not keep.
    levels = [c for c in night.review.columns if c.startswith("cmp_")]
    run.write("link.review_levels", night.review[["record_id_l", "record_id_r", *levels]])

    events = night.id_history["event"].value_counts().to_dict() if len(night.id_history) else {}
    figures = night.result.stats
    summary: dict[str, Any] = {
        "night": state["night"],
        "night_reason": state["reason"],
        "changed_share": round(share, 4),
        "last_full_relink": state["last_full_as_of"],
        **{k: figures[k] for k in ("changed_records", "removed_records", "touched_records") if k in figures},
        "golden_records_reused": night.golden_reused,
        "records": len(night.contacts),
        "customers": len(night.customers),
        "candidate_pairs": written.candidate_pairs,
        "review_pairs": len(night.review),
        "decisions_applied": len(night.decisions),
        "id_events": {str(k): int(v) for k, v in events.items()},
        "review_workbook": str(workbook),
        "diagnostics": str(written.diagnostics),
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
    rows_in, rows_out = len(night.contacts), len(night.customers)
    # The on-entry matcher (crm-etl match) answers from tonight's records and model, built once the night's
    # frames are freed: from the prepared records written above, not from another preparing of every contact.
    del night
    release_memory()
    prepared = run.read("link.prepared") if run.exists("link.prepared") else None
    summary["match_index"] = str(write_match_index(run.root, prepared=prepared))
    manifest = run.write_manifest("link", {**summary, "publish": run.publish_section(list(_TABLES))})
    return StageResult(manifest, rows_in=rows_in, rows_out=rows_out)
