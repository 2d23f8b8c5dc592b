"""Standardize staged extracts record by record: one function per kind of source.

These functions only compose the field-level standardizers (phones, e-mails, dates, names ...)
over whole columns and collect every value that could not be used as written into an issues
frame, so data quality and linkage see the same nulls for the same reasons. Inputs are never
modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from transforms.lineage import LINEAGE_COLUMNS, RECORD_LOCATION, RUN_STAMP
from transforms.settings.sources import CUSTOMER_FIELDS
from transforms.standardize.addresses import country_to_iso2, normalize_postcode, normalize_street, split_address
from transforms.standardize.amounts import parse_amounts
from transforms.standardize.businesses import read_billing_names
from transforms.standardize.dates import MAX_DATE, parse_dates
from transforms.standardize.emails import email_in_text, standardize_emails
from transforms.standardize.names import ParsedName, name_key, split_full_name
from transforms.standardize.phones import standardize_phones
from transforms.standardize.sentinels import SentinelRegistry
from transforms.standardize.tax_ids import standardize_tax_ids
from transforms.standardize.text import normalize_text, to_latin
from transforms.standardize.vectorize import map_unique
from transforms.standardize.vocab import code_document_type, code_sex
from transforms.standardize.vocabulary import (
    VocabularySettings,
    code_leading_flag,
    interaction_kinds,
    load_vocabulary_file,
    recognise_complaints,
    standardize_channels,
)
from transforms.warehouse.table_schemas import columns_except

#: Where an issue was found: the source row and who answers for it.
ISSUE_ROW = [*RECORD_LOCATION, "responsible"]
#: staging.field_issue as standardization writes it (the night's stamp is added when it is written).
ISSUE_COLUMNS = list(columns_except("staging.field_issue", RUN_STAMP))
LINEAGE = list(LINEAGE_COLUMNS)
#: The lineage an invoice or payment row keeps in the warehouse (its kind is implied by the table).
ACCOUNTING_LINEAGE = [c for c in LINEAGE_COLUMNS if c != "source_kind"]
#: The contact fields that are cleaned as text before any parsing (every customer field but who is responsible).
TEXT_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "responsible")


@dataclass
class DatesAfterAsOf:
    """The dates a file wrote after the as-of date, refused by a field that allows none ("no date after tonight"):
    how many, and the earliest. A later night of the same year reads every value of the file as this night did
    as long as its as-of is before that earliest date, which is what lets it reuse the file's standardized rows."""

    count: int = 0
    earliest: dt.date | None = None

    def add(self, dates: pd.Series) -> None:
        """Count refused dates (``datetime.date`` values, None for a value that gave none)."""
        found = [d for d in dates if isinstance(d, dt.date)]
        if found:
            self.merge(len(found), min(found))

    def merge(self, count: int, earliest: dt.date | None) -> None:
        """Add what another count found (a chunk of the file's rows, counted apart)."""
        self.count += count
        if earliest is not None:
            self.earliest = earliest if self.earliest is None else min(self.earliest, earliest)


@dataclass(frozen=True)
class ReadingRules:
    """How one source's values are to be read (from the sources file)."""

    phone_region: str
    date_order: Literal["DMY", "MDY", "YMD"]
    country: str | None = None
    currency: str = "PLN"
    date_format: str | None = None
    as_of: dt.date | None = None  # the run's date: two-digit years pivot on it; no birth date after it
    #: The other countries the company deals with: a phone valid in none of the row's own regions is read there.
    other_regions: tuple[str, ...] = ()
    vocabulary: VocabularySettings | None = None  # complaints, kinds, channels (None: the bundled words)
    #: Where the dates refused for being after the as-of are counted (None: not counted).
    after_as_of: DatesAfterAsOf | None = field(default=None, compare=False)

    def words(self) -> VocabularySettings:
        """The company's vocabulary, or the bundled one."""
        return self.vocabulary or load_vocabulary_file()

    def dates(self, values: pd.Series, *, not_after_as_of: bool = False) -> pd.DataFrame:
        """Parse a date column the way this source writes dates."""
        if self.as_of is None:
            return parse_dates(values, order=self.date_order, fmt=self.date_format)
        latest = self.as_of if not_after_as_of else MAX_DATE
        parsed = parse_dates(values, order=self.date_order, fmt=self.date_format, today=self.as_of, max_date=latest)
        if not_after_as_of and self.after_as_of is not None:
            refused = parsed["issue"].eq("out_of_range").to_numpy()
            if refused.any():
                # Read again without the as-of as the latest date: a refused value that then gives a date gave
                # one after the as-of (not one before the earliest date allowed, still refused).
                again = parse_dates(values[refused], order=self.date_order, fmt=self.date_format, today=self.as_of)
                self.after_as_of.add(again["date"])
        return parsed


@dataclass
class Issues:
    """Collects the values that could not be used as written."""

    frames: list[pd.DataFrame] = field(default_factory=list)

    def add(self, base: pd.DataFrame, mask: pd.Series, fieldname: str, issue: pd.Series | str, raw: pd.Series) -> None:
        """Record ``issue`` for ``fieldname`` on the rows of ``base`` where ``mask`` holds."""
        if not mask.any():
            return
        part = base.loc[mask, ISSUE_ROW].copy()
        part["field"] = fieldname
        part["issue"] = issue[mask].to_numpy() if isinstance(issue, pd.Series) else issue
        part["raw_value"] = raw[mask].to_numpy()
        self.frames.append(part)

    def frame(self) -> pd.DataFrame:
        """All issues as one frame with the documented columns."""
        if not self.frames:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row_number" else "object") for c in ISSUE_COLUMNS})
        return pd.concat(self.frames, ignore_index=True)[ISSUE_COLUMNS]


def record_ids(raw: pd.DataFrame) -> pd.Series:
    """Stable id of a source row, the same every night for the same file, sheet and row."""
    keys = (
        raw["source_name"].astype(str)
        + "\x1f"
        + raw["source_file"].astype(str)
        + "\x1f"
        + raw["sheet"].astype(str)
        + "\x1f"
        + raw["row_number"].astype(str)
    )
    return keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:20])


def _map_unique(values: pd.Series, fn: Callable[[Any], object]) -> pd.Series:
    """Apply a scalar function once per distinct present value; missing values stay None."""
    return map_unique(values, lambda v: None if v is None or pd.isna(v) else fn(v))


def _blank(values: pd.Series, mask: pd.Series) -> pd.Series:
    """A copy of ``values`` with None where ``mask`` holds."""
    out = values.astype("object").copy()
    out[mask] = None
    return out


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].astype("object")
    return pd.Series([None] * len(raw), index=raw.index, dtype="object")


def clean_text_columns(
    raw: pd.DataFrame, fields: tuple[str, ...], sentinels: SentinelRegistry, issues: Issues, base: pd.DataFrame
) -> dict[str, pd.Series]:
    """Normalize text, then null out 'unavailable' markers, recording each with its reason."""
    out: dict[str, pd.Series] = {}
    for f in fields:
        written = _col(raw, f)
        text = _map_unique(written, normalize_text)
        reason = sentinels.match_series(text, f)
        is_sentinel = reason.notna()
        issues.add(base, is_sentinel, f, reason, written)
        out[f] = _blank(text, is_sentinel)
    return out


def _given_or_initial(parsed: ParsedName) -> str | None:
    """The given name, or where only initials were written ("IVANOV I.P.", "S. Staton") the first of them, which
    linkage compares with a given name that starts with it."""
    if parsed.given_name or not parsed.initials:
        return parsed.given_name
    return f"{parsed.initials[0]}."


def written_regions(written: pd.Series, sentinels: SentinelRegistry) -> tuple[str, ...]:
    """The countries a file's rows write (their ISO codes, sorted): where a phone without its own country may be.

    A file standardized a chunk at a time hands its whole column's regions to each chunk (in
    ``ReadingRules.other_regions``), so a phone is read the same whichever chunk its row falls in.
    """
    text = _map_unique(written, normalize_text)
    text = _blank(text, sentinels.match_series(text, "country").notna())
    iso = _map_unique(text, country_to_iso2)
    return tuple(sorted(c for c in iso.dropna().unique() if isinstance(c, str)))


def standardize_contacts(
    raw: pd.DataFrame, *, rules: ReadingRules, sentinels: SentinelRegistry
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Standardized contact records (names, Latin keys, phone, e-mail, dates, address, tax id) and their issues."""
    base = raw[LINEAGE].copy()
    base["record_id"] = record_ids(raw)
    issues = Issues()
    t = clean_text_columns(raw, TEXT_FIELDS, sentinels, issues, base)

    given, surname, patronymic = t["given_name"].copy(), t["surname"].copy(), t["patronymic"].copy()
    company = t["company"].copy()
    needs_split = t["full_name"].notna() & given.isna() & surname.isna()
    person = t["full_name"].copy()
    if needs_split.any():
        # A business in the name field stays the company; only a sole trader's own name is split as a person's.
        billing = read_billing_names(t["full_name"][needs_split])
        company[needs_split] = company[needs_split].fillna(billing["company"])
        person[needs_split] = billing["person"].to_numpy()
        needs_split &= person.notna()
    if needs_split.any():
        parsed = _map_unique(person[needs_split], split_full_name)
        given[needs_split] = parsed.map(_given_or_initial)
        surname[needs_split] = parsed.map(lambda p: p.surname)
        patronymic[needs_split] = patronymic[needs_split].fillna(parsed.map(lambda p: p.patronymic))

    out = base.copy()
    out["customer_code"] = t["customer_code"]
    out["given_name"], out["surname"], out["patronymic"], out["full_name"] = given, surname, patronymic, t["full_name"]
    out["given_name_latin"] = _map_unique(given, to_latin)
    out["surname_latin"] = _map_unique(surname, to_latin)
    out["surname_key"] = _map_unique(surname, name_key)
    out["sex"] = _map_unique(t["sex"], code_sex)
    unknown_sex = t["sex"].notna() & out["sex"].isna()
    issues.add(base, unknown_sex, "sex", "unrecognised", t["sex"])

    dob = rules.dates(t["date_of_birth"], not_after_as_of=True)
    issues.add(base, dob["issue"].notna(), "date_of_birth", dob["issue"], t["date_of_birth"])
    out["date_of_birth"] = dob["date"].to_numpy()
    upd = rules.dates(t["last_updated"], not_after_as_of=True)
    issues.add(base, upd["issue"].notna(), "last_updated", upd["issue"], t["last_updated"])
    out["last_updated_on"] = upd["date"].to_numpy()

    # A phone is read in the row's own country first (a country column, the billing country), then in the
    # source's region, then in the company's other countries, those of this file's rows among them.
    written_country = _map_unique(t["country"], country_to_iso2)
    regions = written_country.map(lambda c: (c, rules.phone_region))
    others = (*rules.other_regions, *sorted(c for c in written_country.dropna().unique() if isinstance(c, str)))
    out["phone"] = _col(raw, "phone")
    phones = standardize_phones(t["phone"], regions, tuple(dict.fromkeys(others)))
    issues.add(base, phones["phone_issue"].notna(), "phone", phones["phone_issue"], t["phone"])
    out["phone_e164"] = phones["phone_e164"].to_numpy()

    # A journal entry without an e-mail of its own may carry one in its comment ("просит ответ на jan@wp.pl"): it
    # is the record's e-mail, reported as taken from the notes; the comment itself stays as written.
    in_notes = _map_unique(_col(raw, "notes"), email_in_text)
    from_notes = t["email"].isna() & in_notes.notna() & raw["source_kind"].eq("journal")
    emails = standardize_emails(t["email"].where(~from_notes, in_notes))
    issues.add(base, emails["email_issue"].notna() & ~from_notes, "email", emails["email_issue"], t["email"])
    issues.add(base, from_notes & emails["email"].notna(), "email", "taken_from_notes", in_notes)
    out["email"] = emails["email"].to_numpy()
    out["email_key"] = emails["email_key"].to_numpy()

    street, city, postcode = t["street"].copy(), t["city"].copy(), t["postcode"].copy()
    one_field = t["address"].notna() & street.isna()
    if one_field.any():
        parts = _map_unique(t["address"][one_field], split_address)
        street[one_field] = parts.map(lambda p: p.street)
        city[one_field] = city[one_field].fillna(parts.map(lambda p: p.city))
        postcode[one_field] = postcode[one_field].fillna(parts.map(lambda p: p.postcode))
    country = written_country
    unknown_country = t["country"].notna() & country.isna()
    issues.add(base, unknown_country, "country", "unrecognised", t["country"])
    country = country.fillna(rules.country) if rules.country else country
    out["street"] = _map_unique(street, normalize_street)
    out["city"] = city
    out["postcode"] = pd.Series(
        [normalize_postcode(p, c) if p is not None else None for p, c in zip(postcode, country, strict=True)],
        index=raw.index,
        dtype="object",
    )
    out["country"] = country

    tax = standardize_tax_ids(t["tax_id"], country)
    out["tax_id"] = tax["tax_id"].to_numpy()
    out["tax_id_kind"] = tax["tax_id_kind"].to_numpy()
    out["is_tax_id_valid"] = tax["tax_id_is_valid"].astype("object").to_numpy()
    issues.add(base, out["is_tax_id_valid"].eq(False), "tax_id", "checksum", t["tax_id"])

    out["company"] = company
    out["channel"] = standardize_channels(t["channel"], vocabulary=rules.words())
    out["channel_as_written"] = t["channel"]
    out["attributes"] = _col(raw, "attributes")
    return out, issues.frame()


def standardize_interactions(raw: pd.DataFrame, *, rules: ReadingRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Journal entries (when, what kind, score, complaint, notes), one row per journal row, and their issues."""
    base = raw[LINEAGE].copy()
    base["record_id"] = record_ids(raw)
    issues = Issues()
    out = base[list(RECORD_LOCATION)].copy()
    when = _map_unique(_col(raw, "interaction_at"), normalize_text)
    stamps = pd.to_datetime(when, errors="coerce", format="ISO8601")
    missing = stamps.isna() & when.notna()
    if missing.any():
        dates = rules.dates(when[missing].str.slice(0, 10), not_after_as_of=True)
        stamps[missing] = pd.to_datetime(dates["date"].to_numpy(), errors="coerce")
        issue = dates["issue"].fillna("unparseable")
        unusable = pd.Series(False, index=raw.index)
        unusable[missing] = stamps[missing].isna().to_numpy()
        issues.add(base, unusable, "interaction_at", issue.reindex(raw.index), when)
    out["interaction_at"] = stamps
    out["interaction_type"] = _map_unique(_col(raw, "interaction_type"), normalize_text)
    out["interaction_type"] = out["interaction_type"].fillna(raw["source_name"].astype(str))
    out["interaction_kind"] = interaction_kinds(
        out["interaction_type"], raw["source_name"].astype(str), vocabulary=rules.words()
    )
    score_text = _col(raw, "survey_score")
    out["survey_score"] = parse_amounts(score_text)
    issues.add(base, score_text.notna() & out["survey_score"].isna(), "survey_score", "unparseable", score_text)
    written = _map_unique(_col(raw, "complaint"), normalize_text)
    flag = _map_unique(written, code_leading_flag)
    out["is_complaint"] = recognise_complaints(
        flag, written, out["interaction_type"], _col(raw, "tags"), vocabulary=rules.words()
    ).astype("object")
    out["notes"] = _col(raw, "notes")
    out["tags"] = _col(raw, "tags")
    out["preferences"] = _col(raw, "preferences")
    return out, issues.frame()


def standardize_invoices(
    raw: pd.DataFrame, *, rules: ReadingRules, sentinels: SentinelRegistry
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and credit notes with parsed dates and amounts, and their issues."""
    base = raw[LINEAGE].copy()
    base["record_id"] = record_ids(raw)
    issues = Issues()
    fields = ("invoice_number", "document_type", "customer_code", "issue_date", "due_date", "amount", "currency")
    t = clean_text_columns(raw, (*fields, "corrects_invoice"), sentinels, issues, base)
    out = base[["record_id", *ACCOUNTING_LINEAGE]].copy()
    out["invoice_number"] = t["invoice_number"]
    doc = _map_unique(t["document_type"], code_document_type)
    inferred = pd.Series(np.where(t["corrects_invoice"].notna(), "credit_note", "invoice"), index=doc.index)
    doc = doc.fillna(inferred)
    out["document_type"] = doc
    out["customer_code"] = t["customer_code"]
    for src, dst in (("issue_date", "issued_on"), ("due_date", "due_on")):
        parsed = rules.dates(t[src])
        issues.add(base, parsed["issue"].notna(), src, parsed["issue"], t[src])
        out[dst] = parsed["date"].to_numpy()
    out["amount"] = parse_amounts(t["amount"])
    issues.add(base, t["amount"].notna() & out["amount"].isna(), "amount", "unparseable", t["amount"])
    out["currency"] = t["currency"].map(lambda v: v.upper() if isinstance(v, str) else v).fillna(rules.currency)
    out["corrects_invoice"] = t["corrects_invoice"]
    return out, issues.frame()


def standardize_payments(
    raw: pd.DataFrame, *, rules: ReadingRules, sentinels: SentinelRegistry
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Payments with parsed dates and amounts, and their issues."""
    base = raw[LINEAGE].copy()
    base["record_id"] = record_ids(raw)
    issues = Issues()
    fields = ("payment_id", "invoice_number", "customer_code", "payment_date", "amount", "currency")
    t = clean_text_columns(raw, fields, sentinels, issues, base)
    out = base[["record_id", *ACCOUNTING_LINEAGE]].copy()
    out["payment_id"] = t["payment_id"]
    out["invoice_number"] = t["invoice_number"]
    out["customer_code"] = t["customer_code"]
    parsed = rules.dates(t["payment_date"], not_after_as_of=True)
    issues.add(base, parsed["issue"].notna(), "payment_date", parsed["issue"], t["payment_date"])
    out["paid_on"] = parsed["date"].to_numpy()
    out["amount"] = parse_amounts(t["amount"])
    issues.add(base, t["amount"].notna() & out["amount"].isna(), "amount", "unparseable", t["amount"])
    out["currency"] = t["currency"].map(lambda v: v.upper() if isinstance(v, str) else v).fillna(rules.currency)
    return out, issues.frame()
