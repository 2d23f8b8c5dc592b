"""Tonight's contact records become customers: linked, given stable ids, each with its golden record.

The records are linked (``transforms.linkage``), each cluster keeps last night's customer id where the evidence is
unchanged (``identity``), the stewards' decisions hold, and every customer gets a golden record (``golden``) with
the provenance of each field. The consolidated customers get their own data-quality suite; a golden record's
failure is handed to the source rows that can fix it. ``read_previous`` reads what the warehouse remembers of last
night; nothing here writes a file or the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, inspect

from transforms.customers.decisions import decisions_for_records
from transforms.customers.fingerprint import fingerprints
from transforms.customers.golden import GOLDEN_COLUMNS, golden_inputs, record_dates
from transforms.customers.golden_reuse import KeptGolden, golden_records, golden_settings_hash, row_keys
from transforms.customers.identity import IdAssignment, assign_customer_ids, id_number
from transforms.customers.settings import SurvivorshipSettings
from transforms.lineage import RUN_STAMP
from transforms.linkage import LinkageSettings, LinkResult, link_records
from transforms.linkage.incremental import KeptLinkage, link_incremental
from transforms.quality.customer_rows import golden_failures_to_rows
from transforms.quality.customer_suite import customer_suite_failures
from transforms.quality.settings import QualitySettings, settings_for_sources
from transforms.standardize.fields import standard_column
from transforms.warehouse.frames import read_frame
from transforms.warehouse.table_schemas import columns_except

#: core.customer_source_record's columns that tonight's links add to the staged contact's.
_LINK_COLUMNS = ("customer_id", "match_probability", *RUN_STAMP)


def read_previous(engine: Engine) -> tuple[pd.DataFrame | None, int]:
    """Last published night's record links, and the first customer number never given."""
    insp = inspect(engine)
    if not insp.has_table("customer_source_record", schema="core"):
        return None, 1
    with engine.connect() as conn:
        prev = read_frame(
            conn,
            "select record_id, record_fingerprint, customer_id, match_probability, run_id"
            " from core.customer_source_record",
        )
        ids = prev["customer_id"]
        if insp.has_table("customer_id_history", schema="core"):
            hist = read_frame(conn, "select customer_id, related_customer_id from core.customer_id_history")
            ids = pd.concat([ids, hist["customer_id"], hist["related_customer_id"]])
    highest = id_number(ids.dropna()).max()
    return prev, 1 if pd.isna(highest) else int(highest) + 1


def changed_share(contacts: pd.DataFrame, previous: pd.DataFrame | None) -> float:
    """New, edited (another fingerprint) and removed records since last night, as a share of tonight's records:
    what decides whether a night may link incrementally (``contacts`` carries record_fingerprint)."""
    if previous is None or previous.empty:
        return 1.0
    before = previous.drop_duplicates("record_id").set_index("record_id")["record_fingerprint"]
    was = contacts["record_id"].map(before)
    edited = int((was.isna() | (was != contacts["record_fingerprint"])).sum())
    removed = int((~before.index.isin(contacts["record_id"])).sum())
    return (edited + removed) / max(len(contacts), 1)


def golden_requirements(settings: QualitySettings) -> list[tuple[str, ...]]:
    """The mandatory fields of the company's standard as groups of golden-record columns (for completeness)."""
    groups: list[tuple[str, ...]] = [(f,) for f in settings.mandatory.single_fields]
    groups += [tuple(g) for g in settings.mandatory.one_of]
    out = []
    for g in groups:
        cols = tuple(standard_column(f) for f in g)
        cols = tuple(c for c in cols if c in GOLDEN_COLUMNS)  # a field the golden record does not keep is not counted
        if cols:
            out.append(cols)
    return out


def requirements(sources_file: str) -> list[tuple[str, ...]]:
    """The mandatory fields of quality.yml (beside ``sources_file``) as groups of golden-record columns."""
    settings, _ = settings_for_sources(sources_file)
    return golden_requirements(settings)


def link_customers(
    contacts: pd.DataFrame,
    settings: LinkageSettings,
    *,
    previous: pd.DataFrame | None,
    next_number: int,
    decisions: pd.DataFrame | None = None,
    kept: KeptLinkage | None = None,
) -> tuple[LinkResult, pd.DataFrame, IdAssignment]:
    """Link the records and give each cluster its customer id (last night's where the evidence is unchanged).

    ``contacts`` carries record_fingerprint. With ``kept`` (what last night kept), only what changed is linked
    (``transforms.linkage.incremental``); without, everything. Returns the linkage result, every record's cluster
    with its match probability (records the model left out are clusters of their own), and the id assignment.
    """
    given = decisions if decisions is not None and len(decisions) else None
    if kept is not None:
        result = link_incremental(contacts, settings, kept, decisions=given)
    else:
        result = link_records(contacts, settings, decisions=given)
    clusters = result.clusters.merge(contacts[["record_id", "record_fingerprint"]], on="record_id", how="right")
    lonely = clusters["cluster"].isna()
    start = int(clusters["cluster"].max()) + 1 if (~lonely).any() else 0
    clusters.loc[lonely, "cluster"] = range(start, start + int(lonely.sum()))
    clusters["match_probability"] = clusters["match_probability"].fillna(1.0)
    ids = assign_customer_ids(clusters, previous, next_number=next_number)
    return result, clusters, ids


def with_fingerprints(contacts: pd.DataFrame) -> pd.DataFrame:
    """The staged contacts with each record's fingerprint: a copy with the column added, or ``contacts`` itself
    when it has one already (a night of a million customers would otherwise hold a second frame of contacts)."""
    if "record_fingerprint" in contacts.columns:
        return contacts
    out = contacts.copy()
    out["record_fingerprint"] = fingerprints(out)
    return out


def customer_interactions(interactions: pd.DataFrame, contacts: pd.DataFrame, customer_of: pd.Series) -> pd.DataFrame:
    """The journal's interactions with the customer of each and the employee responsible (core.interaction)."""
    if interactions.empty:
        return pd.DataFrame(columns=["record_id", "customer_id"])
    out = interactions.merge(contacts[["record_id", "responsible"]], on="record_id", how="left")
    out["customer_id"] = out["record_id"].map(customer_of)
    return out


@dataclass(frozen=True)
class Customers:
    """A night's consolidated customers, each frame stamped with the night (as_of, run_id) where it is a table."""

    result: LinkResult
    #: The staged contacts with their fingerprints (what the review workbook shows).
    contacts: pd.DataFrame
    customers: pd.DataFrame  # core.customer: the golden records
    links: pd.DataFrame  # core.customer_source_record
    provenance: pd.DataFrame  # core.customer_field_provenance
    review: pd.DataFrame  # core.match_review
    interactions: pd.DataFrame  # core.interaction
    id_history: pd.DataFrame  # core.customer_id_history
    failures: pd.DataFrame  # dq.failure: the source rows behind failing golden records
    metrics: pd.DataFrame  # dq.metric of the golden records' suite
    failing_values: int  # failing values on golden records (customer, rule, field)
    decisions: pd.DataFrame  # the stewards' decisions that apply to tonight's records
    #: record_id, customer_id, row_key: what the next night compares to reuse a customer's golden record.
    row_keys: pd.DataFrame | None = None
    #: The hash of the settings the golden records were built with (``golden_reuse.golden_settings_hash``).
    golden_hash: str = ""
    #: Customers whose golden record was last night's.
    golden_reused: int = 0


def consolidate_customers(
    contacts: pd.DataFrame,
    interactions: pd.DataFrame,
    *,
    linkage: LinkageSettings,
    survivorship: SurvivorshipSettings,
    quality: QualitySettings,
    default_responsible: str,
    previous: pd.DataFrame | None,
    next_number: int,
    stored_decisions: pd.DataFrame,
    stamp: dict[str, Any],
    kept: KeptLinkage | None = None,
    kept_golden: KeptGolden | None = None,
    on_linked: Callable[[LinkResult], LinkResult] | None = None,
) -> Customers:
    """Link tonight's staged contacts into customers with stable ids and golden records, and check them.

    ``previous`` and ``next_number`` come from ``read_previous``, ``stored_decisions`` from the stewards' table;
    ``stamp`` (as_of, run_id) is added to every table. ``kept``: last night's linkage, for an incremental night;
    ``kept_golden``: last night's golden records, reused for the customers whose records did not change.
    ``on_linked``: called with the linkage result as soon as the records are linked, before the golden records
    are made; what it returns stands for the result from then on. The link stage writes there what only the
    linkage needs (scored pairs, prepared records) and hands back the result without them, so that the golden
    records of a large night are not made with every candidate pair still in memory.
    """
    contacts = with_fingerprints(contacts)
    decisions = decisions_for_records(stored_decisions, contacts)
    result, clusters, ids = link_customers(
        contacts, linkage, previous=previous, next_number=next_number, decisions=decisions, kept=kept
    )
    if on_linked is not None:
        result = on_linked(result)

    links = (
        contacts[list(columns_except("core.customer_source_record", _LINK_COLUMNS))]
        .merge(ids.records, on="record_id")
        .merge(clusters[["record_id", "match_probability"]], on="record_id")
    )
    links = links.assign(**stamp)

    customer_of = ids.records.set_index("record_id")["customer_id"]
    # Each contact with its customer and the date it was last known true, as the golden records read them: only
    # the columns they read (a night of a million customers has three million contacts), and the key of each
    # whole row computed from the contacts as they are.
    assigned = contacts["record_id"].map(customer_of)
    dates = record_dates(contacts, interactions)
    keys = row_keys(contacts, {"customer_id": assigned, "record_date": dates})
    inputs = [c for c in golden_inputs(survivorship) if c in contacts.columns]
    records = contacts[inputs].assign(customer_id=assigned, record_date=dates)
    if assigned.isna().any():  # every record gets a customer; one that did not is no customer's
        keys = keys[assigned.notna().to_numpy()].reset_index(drop=True)
        records = records[assigned.notna()]
    requirements = golden_requirements(quality)
    unassigned = [*survivorship.unassigned, default_responsible]
    golden, provenance, reused = golden_records(
        records,
        settings=survivorship,
        requirements=requirements,
        unassigned=unassigned,
        keys=keys,
        kept=kept_golden,
    )
    del records  # the golden records are made

    review = result.review.copy()
    review["customer_id_l"] = review["record_id_l"].map(customer_of)
    review["customer_id_r"] = review["record_id_r"].map(customer_of)

    core_interaction = customer_interactions(interactions, contacts, customer_of)
    # The consolidated customers get their own data-quality suite; its failures join the night's dq tables.
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
    return Customers(
        result=result,
        contacts=contacts,
        customers=golden.assign(**stamp),
        links=links,
        provenance=provenance.assign(**stamp),
        review=review.assign(**stamp),
        interactions=core_interaction.assign(**stamp),
        id_history=ids.history.assign(**stamp),
        failures=dq_failures,
        metrics=dq_metrics,
        failing_values=golden_values,
        decisions=decisions,
        row_keys=keys,
        golden_hash=golden_settings_hash(survivorship, requirements, unassigned),
        golden_reused=reused,
    )
