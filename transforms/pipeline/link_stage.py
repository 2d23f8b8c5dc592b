"""The link task: tonight's contact records become customers with stable ids and golden records.

Reads the staged contacts, last night's record-to-customer links and the stewards' decisions from the
warehouse, links the records (transforms.linkage), keeps last night's ids where the evidence is unchanged,
builds the golden records, and writes the doubtful pairs to a review workbook and the model's diagnostics
page. Nothing is written to the warehouse here: publish loads the folder's tables in one transaction.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import Engine, inspect, text

from transforms.customers.decisions import decisions_for_records, load_decisions
from transforms.customers.fingerprint import fingerprints
from transforms.customers.golden import GOLDEN_COLUMNS, build_golden, record_dates
from transforms.customers.identity import IdAssignment, assign_customer_ids, id_number
from transforms.customers.review import REVIEW_LEVELS, write_review_workbook
from transforms.customers.settings import load_survivorship
from transforms.lineage import RUN_STAMP
from transforms.linkage import LinkageSettings, LinkResult, link_records, load_linkage_settings, write_diagnostics
from transforms.linkage.matcher import write_match_index
from transforms.pipeline.context import RunContext
from transforms.pipeline.manifest import read_manifest, write_manifest
from transforms.pipeline.outputs import TableOutput, publish_section, table_output
from transforms.pipeline.tracking import StageResult
from transforms.quality.customer_rows import golden_failures_to_rows
from transforms.quality.customer_suite import customer_suite_failures
from transforms.quality.settings import settings_for_sources
from transforms.standardize.fields import standard_column
from transforms.warehouse.engine import make_engine
from transforms.warehouse.table_schemas import columns_except, conform

log = logging.getLogger(__name__)

#: core.customer_source_record's columns that tonight's links add to the staged contact's.
_LINK_COLUMNS = ("customer_id", "match_probability", *RUN_STAMP)


def read_previous(engine: Engine) -> tuple[pd.DataFrame | None, int]:
    """Last published night's record links, and the first customer number never given."""
    insp = inspect(engine)
    if not insp.has_table("customer_source_record", schema="core"):
        return None, 1
    with engine.connect() as conn:
        prev = pd.read_sql(
            text("select record_id, record_fingerprint, customer_id from core.customer_source_record"), conn
        )
        ids = prev["customer_id"]
        if insp.has_table("customer_id_history", schema="core"):
            hist = pd.read_sql(text("select customer_id, related_customer_id from core.customer_id_history"), conn)
            ids = pd.concat([ids, hist["customer_id"], hist["related_customer_id"]])
    highest = id_number(ids.dropna()).max()
    return prev, 1 if pd.isna(highest) else int(highest) + 1


def requirements(sources_file: str) -> list[tuple[str, ...]]:
    """The mandatory fields of quality.yml as groups of golden-record columns (for completeness)."""
    settings, _ = settings_for_sources(sources_file)
    groups: list[tuple[str, ...]] = [(f,) for f in settings.mandatory.single_fields]
    groups += [tuple(g) for g in settings.mandatory.one_of]
    out = []
    for g in groups:
        cols = tuple(standard_column(f) for f in g)
        cols = tuple(c for c in cols if c in GOLDEN_COLUMNS)  # a field the golden record does not keep is not counted
        if cols:
            out.append(cols)
    return out


def link_customers(
    contacts: pd.DataFrame,
    settings: LinkageSettings,
    *,
    previous: pd.DataFrame | None,
    next_number: int,
    decisions: pd.DataFrame | None = None,
) -> tuple[LinkResult, pd.DataFrame, IdAssignment]:
    """Link the records and give each cluster its customer id (last night's where the evidence is unchanged).

    ``contacts`` carries record_fingerprint. Returns the linkage result, every record's cluster with its match
    probability (records the model left out are clusters of their own), and the id assignment.
    """
    given = decisions if decisions is not None and len(decisions) else None
    result = link_records(contacts, settings, decisions=given)
    clusters = result.clusters.merge(contacts[["record_id", "record_fingerprint"]], on="record_id", how="right")
    lonely = clusters["cluster"].isna()
    start = int(clusters["cluster"].max()) + 1 if (~lonely).any() else 0
    clusters.loc[lonely, "cluster"] = range(start, start + int(lonely.sum()))
    clusters["match_probability"] = clusters["match_probability"].fillna(1.0)
    ids = assign_customer_ids(clusters, previous, next_number=next_number)
    return result, clusters, ids


def _write(table: str, frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as the Parquet file of warehouse ``table``: its columns, in its order."""
    pq.write_table(conform(table, frame), path)
    return path


def run_link(ctx: RunContext) -> StageResult:
    """Link tonight's records into customers and write the core tables, the review workbook and diagnostics."""
    tables = read_manifest(Path(ctx.run_dir) / "standardize" / "manifest.json")["tables"]
    out_dir = ctx.stage_dir("link")
    contacts = _read(tables["contact"]["path"])
    interactions = _read(tables["interaction"]["path"])
    contacts["record_fingerprint"] = fingerprints(contacts)

    engine = make_engine(ctx.warehouse_url)
    try:
        previous, next_number = read_previous(engine)
        stored = load_decisions(engine)
    finally:
        engine.dispose()
    decisions = decisions_for_records(stored, contacts)
    settings = load_linkage_settings(ctx.settings_file)
    result, clusters, ids = link_customers(
        contacts, settings, previous=previous, next_number=next_number, decisions=decisions
    )

    links = (
        contacts[list(columns_except("core.customer_source_record", _LINK_COLUMNS))]
        .merge(ids.records, on="record_id")
        .merge(clusters[["record_id", "match_probability"]], on="record_id")
    )
    stamp: dict[str, Any] = {"as_of": ctx.as_of_date, "run_id": ctx.run_id}
    links = links.assign(**stamp)

    survivorship, survivorship_from = load_survivorship(ctx.settings_file)
    survivorship_from = ctx.shown(survivorship_from)
    sources = ctx.load_sources()
    records = contacts.merge(ids.records, on="record_id")
    records["record_date"] = record_dates(records, interactions)
    golden, provenance = build_golden(
        records,
        settings=survivorship,
        requirements=requirements(ctx.settings_file),
        unassigned=[*survivorship.unassigned, sources.defaults.responsible],
    )

    customer_of = ids.records.set_index("record_id")["customer_id"]
    review = result.review.copy()
    review["customer_id_l"] = review["record_id_l"].map(customer_of)
    review["customer_id_r"] = review["record_id_r"].map(customer_of)
    workbook = write_review_workbook(
        result.review, contacts, out_dir / f"review_{ctx.as_of}.xlsx", run_id=ctx.run_id, as_of=ctx.as_of_date
    )
    diagnostics = write_diagnostics(result, out_dir / "diagnostics.html")
    (out_dir / "model.json").write_text(json.dumps(result.model.to_dict(), indent=2), "utf-8")
    settings_json = settings.model_dump(mode="json", by_alias=True)
    (out_dir / "linkage_settings.json").write_text(json.dumps(settings_json, indent=2), "utf-8")

    core_interaction = _interactions(interactions, contacts, customer_of)
    # The consolidated customers get their own data-quality suite; its failures join the night's dq tables.
    quality, _ = settings_for_sources(ctx.settings_file)
    dq_failures, dq_metrics = customer_suite_failures(golden.assign(**stamp), quality)
    golden_values = len(dq_failures)
    # A golden record's failure is fixed in the source rows behind it: the row that gave the value, or, for a
    # missing mandatory value, the customer's rows that the company's standard asks to hold it.
    dq_failures = golden_failures_to_rows(
        dq_failures,
        links=links,
        provenance=provenance,
        contacts=contacts,
        mandatory_kinds=quality.mandatory.applies_to,
    )
    tables = {
        "customer": golden,
        "customer_source_record": links,
        "customer_field_provenance": provenance,
        "match_review": review,
        "interaction": core_interaction,
        "customer_id_history": ids.history,
    }
    paths = {
        name: _write(f"core.{name}", frame.assign(**stamp), out_dir / f"{name}.parquet")
        for name, frame in tables.items()
    }
    # The steward's console shows each review pair's comparison levels (not a warehouse column).
    levels = [c for c in review.columns if c.startswith("cmp_")]
    review[["record_id_l", "record_id_r", *levels]].to_parquet(out_dir / REVIEW_LEVELS, index=False)
    outputs: list[TableOutput] = [
        table_output("core", name, path, mode="ledger" if name == "customer_id_history" else "replace")
        for name, path in paths.items()
    ]
    outputs += [
        table_output(
            "dq", "failure", _write("dq.failure", dq_failures, out_dir / "customer_failure.parquet"), mode="history"
        ),
        table_output(
            "dq", "metric", _write("dq.metric", dq_metrics, out_dir / "customer_metric.parquet"), mode="history"
        ),
    ]
    events = ids.history["event"].value_counts().to_dict() if len(ids.history) else {}
    summary: dict[str, Any] = {
        "records": len(contacts),
        "customers": len(golden),
        "candidate_pairs": int(result.stats.get("candidate_pairs", len(result.pairs))),
        "review_pairs": len(review),
        "decisions_applied": len(decisions),
        "id_events": {str(k): int(v) for k, v in events.items()},
        "review_workbook": str(workbook),
        "diagnostics": str(diagnostics),
        "survivorship_settings": survivorship_from,
        "customer_failures": len(dq_failures),  # source rows behind the failing golden records
        "customer_failing_values": golden_values,  # failing values on golden records (customer, rule, field)
    }
    log.info(
        "linked %d records into %d customers; %d pairs for review; id events %s",
        len(contacts),
        len(golden),
        len(review),
        summary["id_events"],
    )
    # The on-entry matcher (crm-etl match) answers from tonight's records and model.
    summary["match_index"] = str(write_match_index(Path(ctx.run_dir)))
    manifest = write_manifest(out_dir / "manifest.json", {**summary, "publish": publish_section(outputs)})
    return StageResult(manifest, rows_in=len(contacts), rows_out=len(golden))


def _read(path: str | None) -> pd.DataFrame:
    return pq.read_table(path).to_pandas() if path else pd.DataFrame()


def _interactions(interactions: pd.DataFrame, contacts: pd.DataFrame, customer_of: pd.Series) -> pd.DataFrame:
    if interactions.empty:
        return pd.DataFrame(columns=["record_id", "customer_id"])
    out = interactions.merge(contacts[["record_id", "responsible"]], on="record_id", how="left")
    out["customer_id"] = out["record_id"].map(customer_of)
    return out
