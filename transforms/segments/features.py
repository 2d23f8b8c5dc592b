"""One row of behaviour per customer (marts.customer_feature): what segments are made of and rules are written on.

Everything is computed from the night's tables as plain DataFrames (the stage reads them from the run folder),
so the features can be tested on small hand-made frames. Dates are measured against the run's as-of date,
never the clock, so a rerun of a night gives the same features.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import pandas as pd

from transforms.segments.columns import FEATURE_COLUMNS
from transforms.segments.settings import FeatureSettings
from transforms.standardize.text import fold_label
from transforms.standardize.vectorize import map_unique
from transforms.standardize.vocabulary import (
    VocabularySettings,
    interaction_kinds,
    load_vocabulary_file,
    recognise_complaints,
    standardize_channels,
)

#: Invoice statuses that stand for a real sale (cancelled, duplicate and unusable rows are left out).
SALE_STATUSES = ("paid", "overdue", "open")


def _fold(value: str | None) -> str | None:
    return None if value is None else fold_label(value, invisible=True)


def _norm_text(values: pd.Series) -> pd.Series:
    """Each label folded as written labels are compared (``fold_label``: NFKC, no zero-width characters, case
    folded, single spaces), once per distinct value; missing stays missing."""
    return map_unique(values.astype("string"), _fold).astype("string")


def normalize_channels(written: pd.Series, channels: dict[str, list[str]]) -> pd.Series:
    """Written acquisition channels (any language) as channel names; 'other' when unknown, 'unknown' when empty."""
    lookup = {_fold(str(w)): name for name, words in channels.items() for w in [name, *words]}
    norm = _norm_text(written)
    out = norm.map(lookup).astype("object")
    out[norm.notna() & (norm != "") & out.isna()] = "other"
    out[norm.isna() | (norm == "")] = "unknown"
    return out.astype(str)


def classify_interactions(types: pd.Series, words: Mapping[str, list[str]]) -> pd.Series:
    """call, visit or other, by the words each journal's type holds (a journal named call_log is calls)."""
    norm = _norm_text(types).fillna("")
    out = pd.Series("other", index=types.index, dtype="object")
    for kind in ("visit", "call"):  # call wins when a type names both
        pattern = "|".join(_escape(w) for w in words.get(kind, []))
        if pattern:
            out[norm.str.contains(pattern, regex=True).fillna(False).astype(bool)] = kind
    return out


def _escape(word: str) -> str:
    return re.escape(fold_label(word, invisible=True))


def _days_before(as_of: dt.date, dates: pd.Series) -> pd.Series:
    """Whole days from each date to the as-of date (empty stays empty)."""
    d = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(as_of) - d).dt.days.astype("Float64")


def _attribute_values(contacts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """(record_id, value) for every item listed under one of ``keys`` in the contacts' attributes JSON."""
    if contacts.empty or "attributes" not in contacts or not keys:
        return pd.DataFrame({"record_id": pd.Series(dtype=str), "value": pd.Series(dtype=str)})
    import duckdb

    frame = contacts[["record_id", "attributes"]].dropna()
    paths = ", ".join(f"json_extract_string(attributes, '$.\"{k}\"')" for k in keys)
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        raw = con.execute(f"select record_id, coalesce({paths}) as raw from frame where json_valid(attributes)").df()
    finally:
        con.close()
    raw = raw.dropna(subset=["raw"])
    items = raw["raw"].str.replace(r'[\[\]"]', "", regex=True).str.split(r"\s*[,;]\s*")
    out = raw[["record_id"]].assign(value=items).explode("value")
    out["value"] = out["value"].str.strip()
    return out[out["value"].fillna("") != ""].reset_index(drop=True)


def _top_values(values: pd.DataFrame, top: int) -> pd.Series:
    """Per customer, its ``top`` most mentioned values (ties by name), comma-separated."""
    if values.empty:
        return pd.Series(dtype=str)
    counts = values.groupby(["customer_id", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", "value"], ascending=[True, False, True])
    counts = counts.groupby("customer_id").head(top)
    return counts.groupby("customer_id")["value"].agg(", ".join)


def invoice_features(
    invoices: pd.DataFrame, *, as_of: dt.date, settings: FeatureSettings, base_currency: str
) -> pd.DataFrame:
    """Frequency, spend and recency of each customer's sales within the window.

    Amounts are never added across currencies: an invoice counts in the base currency when it is in it or a
    rate is configured, else in its own. A customer's spend is in its main currency (most invoices), and
    ``spend_rank`` / ``avg_invoice_rank`` place it among the customers of the same currency (0..1), so the
    model compares customers invoiced in different currencies without exchange rates.
    """
    inv = invoices[invoices["customer_id"].notna()].copy()
    if "document_type" in inv:
        inv = inv[inv["document_type"].fillna("invoice") == "invoice"]
    if "status" in inv:
        inv = inv[inv["status"].isin(SALE_STATUSES)]
    inv["issued_on"] = pd.to_datetime(inv["issued_on"], errors="coerce")
    start = pd.Timestamp(as_of) - pd.Timedelta(days=settings.window_days)
    inv = inv[(inv["issued_on"] > start) & (inv["issued_on"] <= pd.Timestamp(as_of))]
    rates = {base_currency: 1.0, **settings.currency_rates}
    written = inv["currency"].fillna(base_currency).astype(str).str.upper()
    rate = written.map(rates)
    inv["money"] = written.where(rate.isna(), base_currency)
    inv["amount"] = pd.to_numeric(inv["amount_due"], errors="coerce") * rate.fillna(1.0)
    recent = pd.Timestamp(as_of) - pd.Timedelta(days=settings.recent_days)
    inv["is_recent"] = inv["issued_on"] > recent
    grouped = inv.groupby("customer_id")
    out = pd.DataFrame(
        {
            "invoices": grouped.size(),
            "invoices_recent": grouped["is_recent"].sum(),
            "first_invoice_on": grouped["issued_on"].min(),
            "last_invoice_on": grouped["issued_on"].max(),
        }
    )
    per_money = inv.groupby(["customer_id", "money"]).agg(n=("amount", "size"), spend=("amount", "sum"))
    per_money = per_money.reset_index()
    per_money["is_base"] = per_money["money"] == base_currency
    main = per_money.sort_values(["customer_id", "n", "is_base", "money"], ascending=[True, False, False, True])
    main = main.drop_duplicates("customer_id").set_index("customer_id")
    out["spend_currency"] = main["money"]
    out["spend"] = main["spend"]
    out["avg_invoice_amount"] = main["spend"] / main["n"]
    typical = out.groupby("spend_currency")["avg_invoice_amount"].transform("median")
    out["avg_invoice_index"] = out["avg_invoice_amount"] / typical.where(typical > 0)
    return out


def interaction_features(
    interactions: pd.DataFrame,
    links: pd.DataFrame,
    *,
    as_of: dt.date,
    settings: FeatureSettings,
    vocabulary: VocabularySettings | None = None,
) -> pd.DataFrame:
    """Calls, visits, complaints and survey scores of each customer, with their recency.

    The kind of each entry and whether it is a complaint come from the standardize stage (vocabulary.yml);
    entries staged without them are read here by the same rules, and segments.yml's own words, if a company
    gives any, are added on top."""
    ints = interactions.merge(links[["record_id", "customer_id"]], on="record_id", how="inner")
    ints["at"] = pd.to_datetime(ints["interaction_at"], errors="coerce")
    ints = ints[ints["at"].isna() | (ints["at"] <= pd.Timestamp(as_of) + pd.Timedelta(days=1))]
    words = vocabulary or load_vocabulary_file()
    kind = _column(ints, "interaction_kind")
    if kind.isna().any():
        source = _column(ints, "source_name").fillna("").astype(str)
        kind = kind.fillna(interaction_kinds(ints["interaction_type"], source, vocabulary=words))
    if settings.interaction_types:
        own = classify_interactions(ints["interaction_type"], settings.interaction_types)
        kind = own.where(own != "other", kind)
    ints["kind"] = kind
    complaint = recognise_complaints(
        _column(ints, "is_complaint"), ints["interaction_type"], _column(ints, "tags"), vocabulary=words
    )
    if settings.complaint_tags and "tags" in ints:
        tags = _norm_text(ints["tags"]).fillna("")
        pattern = "|".join(_escape(w) for w in settings.complaint_tags)
        complaint |= tags.str.contains(pattern, regex=True).astype(bool)
    ints["complaint"] = complaint
    recent = pd.Timestamp(as_of) - pd.Timedelta(days=settings.recent_complaint_days)
    ints["complaint_recent"] = complaint & (ints["at"] > recent)
    ints["complaint_at"] = ints["at"].where(complaint)
    ints["call_at"] = ints["at"].where(ints["kind"] == "call")
    ints["visit_at"] = ints["at"].where(ints["kind"] == "visit")
    ints["is_recent"] = ints["at"] > pd.Timestamp(as_of) - pd.Timedelta(days=settings.recent_days)
    ints["score"] = pd.to_numeric(ints["survey_score"], errors="coerce")
    ints["is_call"] = ints["kind"] == "call"
    ints["is_visit"] = ints["kind"] == "visit"
    g = ints.groupby("customer_id")
    return pd.DataFrame(
        {
            "interactions": g.size(),
            "interactions_recent": g["is_recent"].sum(),
            "calls": g["is_call"].sum(),
            "visits": g["is_visit"].sum(),
            "last_interaction_on": g["at"].max(),
            "last_call_on": g["call_at"].max(),
            "last_visit_on": g["visit_at"].max(),
            "complaints": g["complaint"].sum(),
            "complaints_recent": g["complaint_recent"].sum(),
            "last_complaint_on": g["complaint_at"].max(),
            "surveys": g["score"].count(),
            "mean_survey_score": g["score"].mean(),
        }
    )


def preference_features(
    contacts: pd.DataFrame, interactions: pd.DataFrame, links: pd.DataFrame, *, settings: FeatureSettings
) -> pd.DataFrame:
    """Each customer's most mentioned brands and categories, from contacts' attributes and journal preferences."""
    out = {}
    for column, keys in (
        ("preferred_brands", settings.brand_attributes),
        ("preferred_categories", settings.category_attributes),
    ):
        values = _attribute_values(contacts, keys)
        if "preferences" in interactions:
            prefs = interactions[["record_id"]].assign(attributes=interactions["preferences"])
            values = pd.concat([values, _attribute_values(prefs, keys)], ignore_index=True)
        values = values.merge(links[["record_id", "customer_id"]], on="record_id", how="inner")
        out[column] = _top_values(values, settings.top_preferences)
    return pd.DataFrame(out)


def _written_channels(contacts: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Per customer, the channel as its records most often write it (ties by text)."""
    if "channel_as_written" not in contacts or contacts.empty:
        return pd.Series(dtype="object")
    written = contacts[["record_id", "channel_as_written"]].dropna()
    written = written.merge(links[["record_id", "customer_id"]], on="record_id", how="inner")
    if written.empty:
        return pd.Series(dtype="object")
    counts = written.groupby(["customer_id", "channel_as_written"]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", "channel_as_written"], ascending=[True, False, True])
    return counts.drop_duplicates("customer_id").set_index("customer_id")["channel_as_written"]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an empty one when the input lacks it (a company without channels)."""
    return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype="object")


def build_features(  # noqa: PLR0917 (one frame per input table reads best at the call)
    customers: pd.DataFrame,
    links: pd.DataFrame,
    interactions: pd.DataFrame,
    contacts: pd.DataFrame,
    invoices: pd.DataFrame,
    reliability: pd.DataFrame,
    *,
    as_of: dt.date,
    settings: FeatureSettings,
    base_currency: str,
    vocabulary: VocabularySettings | None = None,
) -> pd.DataFrame:
    """One row per customer of ``customers`` with every column of marts.customer_feature (but as_of, run_id).

    customers: core.customer (customer_id, channel, account_manager, country, first_seen_on, completeness,
    record_count, source_count); links: record_id -> customer_id; interactions: staged journal entries;
    contacts: staged contacts (record_id, attributes, channel_as_written); invoices: core.invoice (customer_id,
    issued_on, amount_due, currency, status, document_type); reliability: marts.customer_reliability.
    """
    base = customers.set_index("customer_id")
    out = pd.DataFrame(index=base.index)
    words = vocabulary or load_vocabulary_file()
    written = _written_channels(contacts, links)
    out["channel_as_written"] = written.reindex(out.index).fillna(_column(base, "channel"))
    channel = standardize_channels(_column(base, "channel"), vocabulary=words)
    if settings.channels:
        own = normalize_channels(out["channel_as_written"], settings.channels)
        channel = own.where(~own.isin(["other", "unknown"]), channel)
    out["channel"] = channel.fillna("unknown").astype(str).to_numpy()
    for col in ("account_manager", "country"):
        out[col] = _column(base, col)
    for col in ("completeness", "record_count", "source_count"):
        out[col] = pd.to_numeric(_column(base, col), errors="coerce")

    inv = invoice_features(invoices, as_of=as_of, settings=settings, base_currency=base_currency)
    ints = interaction_features(interactions, links, as_of=as_of, settings=settings, vocabulary=words)
    prefs = preference_features(contacts, interactions, links, settings=settings)
    out = out.join(inv).join(ints).join(prefs)
    rel_cols = ["reliability_class", "late_payment_risk", "median_days_late", "share_paid_on_time"]
    rel = reliability.dropna(subset=["customer_id"]).drop_duplicates("customer_id").set_index("customer_id")
    out = out.join(rel.reindex(columns=rel_cols))

    first = pd.concat(
        [
            pd.to_datetime(_column(base, "first_seen_on"), errors="coerce"),
            out["first_invoice_on"],
        ],
        axis=1,
    ).min(axis=1)
    out["first_seen_on"] = first.dt.date
    out["tenure_days"] = _days_before(as_of, first).clip(lower=0)
    # counted over at least frequency_min_days: two invoices in a new customer's first month are two a year, not 24
    counted = out["tenure_days"].clip(lower=min(settings.frequency_min_days, settings.window_days))
    years = (counted.clip(upper=settings.window_days) / 365.25).astype(float)
    counts = ("invoices", "invoices_recent", "interactions", "interactions_recent", "calls", "visits", "complaints")
    for col in (*counts, "complaints_recent", "surveys"):
        out[col] = out[col].fillna(0).astype("int64")
    out["invoices_per_year"] = out["invoices"] / years.fillna(settings.window_days / 365.25)
    out["activity_recent"] = out["invoices_recent"] + out["interactions_recent"]
    out["spend"] = out["spend"].fillna(0.0)
    out["days_since_last_invoice"] = _days_before(as_of, out["last_invoice_on"])
    out["days_since_last_interaction"] = _days_before(as_of, out["last_interaction_on"])
    out["days_since_last_activity"] = out[["days_since_last_invoice", "days_since_last_interaction"]].min(axis=1)
    out["days_since_last_call"] = _days_before(as_of, out["last_call_on"])
    out["days_since_last_visit"] = _days_before(as_of, out["last_visit_on"])
    out["reliability_class"] = out["reliability_class"].fillna("no_history")
    for col in ("first_invoice_on", "last_invoice_on", "last_interaction_on", "last_complaint_on"):
        out[col] = pd.to_datetime(out[col], errors="coerce").dt.date
    out = out.reset_index().rename(columns={"index": "customer_id"})
    for col, kind in FEATURE_COLUMNS.items():
        if kind == "number" and col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out[list(FEATURE_COLUMNS)]
