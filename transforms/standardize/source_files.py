"""A source file's extracted rows become staged tables: which standardization each kind of source gets.

A journal gives contacts and interactions, a spreadsheet or an accounting customer list gives contacts, an
invoice or payment export gives its documents; every kind also gives the values it could not use as written
(field issues). ``LOADED_TABLE`` says which staged table holds the loaded rows of each kind, which is what the
night's reconciliation counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from transforms.settings import SourcesFile, SourceSpec
from transforms.standardize.records import (
    ReadingRules,
    standardize_contacts,
    standardize_interactions,
    standardize_invoices,
    standardize_payments,
)
from transforms.standardize.sentinels import SentinelRegistry
from transforms.standardize.vocabulary import VocabularySettings

#: Which staged table holds the loaded rows of each kind of source (the reconciliation counts these).
LOADED_TABLE = {
    "journal": "contact",
    "spreadsheet": "contact",
    "accounting_customers": "contact",
    "invoices": "invoice",
    "payments": "payment",
}
#: The staged tables, each filled from every file that gives it rows.
TABLES = ("contact", "interaction", "invoice", "payment", "field_issue", "quarantine")


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


def standardize_file(
    kind: str, raw: pd.DataFrame, rules: ReadingRules, sentinels: SentinelRegistry
) -> dict[str, pd.DataFrame]:
    """One file's extracted rows as staged tables (by name)."""
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
