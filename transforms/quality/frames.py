"""Validation frames: the night's staged tables, one row per source row, with the columns the suites test.

Every frame keeps the row's lineage (source, file, sheet, row number, record id, responsible) and a
``_row`` position, so a failing row found by Great Expectations maps back to the cell a person must fix.
Checks on values as written (e-mail and phone format, sentinels, mandatory presence) use the written
value; checks on meaning (dates, tax ids, amounts, payments against invoices) use the standardized one
plus the issues standardization recorded in ``staging.field_issue``. Nothing here calls ``today()``:
every date rule is relative to the run's as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from transforms.lineage import RECORD_LINEAGE
from transforms.quality.settings import QualitySettings
from transforms.settings.sources import CUSTOMER_FIELDS, SourcesFile
from transforms.standardize._data import load_table, string_list
from transforms.standardize.fields import standard_column
from transforms.standardize.sentinels import SentinelRegistry
from transforms.standardize.tax_ids import validate_inn, validate_nip

ROW = "_row"
#: Contact fields that can hold a sentinel (every customer field but who is responsible).
SENTINEL_FIELDS: tuple[str, ...] = tuple(f for f in CUSTOMER_FIELDS if f != "responsible")
INVOICE_SENTINEL_FIELDS = ("invoice_number", "customer_code", "issue_date", "due_date", "amount", "currency")
PAYMENT_SENTINEL_FIELDS = ("payment_id", "invoice_number", "customer_code", "payment_date", "amount", "currency")
#: Date issues that mean "not a real date of birth" (ambiguous ones are a real date, read two ways).
IMPOSSIBLE_DATE_ISSUES = ("unparseable", "impossible", "out_of_range")
#: A field is mapped by a source when it maps the field itself or one of these (split at standardization).
MAPPED_VIA = {
    "given_name": ("full_name",),
    "surname": ("full_name",),
    "patronymic": ("full_name",),
    "street": ("address",),
    "city": ("address",),
    "postcode": ("address",),
}
MIN_BIRTH_DATE = dt.date(1900, 1, 1)
#: A phone as written, after a leading label such as "tel." is dropped (phone_labels.yml): letters anywhere,
#: or fewer than 7 / more than 15 digits, fail ([^\W\d_] is any letter of any script).
PHONE_PATTERN = r"^(?!.*[^\W\d_])(?:\D*\d){7,15}\D*$"
_US_EIN = re.compile(r"^\s*\d{2}-\d{7}\s*$")


def _phone_label_re() -> re.Pattern[str]:
    """A label written before a number ("tel.", "kom:", "тел."), the same list standardization drops."""
    words = string_list(load_table("phone_labels.yml")["labels"], "phone_labels.yml: labels")
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"^\s*(?:{alternatives})\s*[.:]?\s*", re.IGNORECASE)


_PHONE_LABEL = _phone_label_re()


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text; None for missing and blank.

    A column of text (what staging mostly holds) is stripped column-wise: the validation frames of a night call
    this on tens of millions of values. Anything else (dates, numbers) is turned into text value by value.
    """
    as_object = values.astype("object")
    if pd.api.types.infer_dtype(as_object, skipna=True) in ("string", "empty"):
        missing = as_object.isna()
        stripped = as_object.where(~missing, "").str.strip().astype("object")
        stripped[stripped.eq("").to_numpy()] = None
        return stripped

    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        text = str(v).strip()
        return text or None

    return as_object.map(one).astype("object")


def _issues_by_field(issues: pd.DataFrame, record_ids: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """The issue and raw value recorded for ``field`` on each row (first one when several), aligned to rows."""
    part = issues[issues["field"] == field].drop_duplicates("record_id")
    issue = part.set_index("record_id")["issue"]
    raw = part.set_index("record_id")["raw_value"]
    return (
        pd.Series(record_ids.map(issue).to_numpy(), index=record_ids.index, dtype="object"),
        pd.Series(record_ids.map(raw).to_numpy(), index=record_ids.index, dtype="object"),
    )


def _group_written(parts: list[pd.Series]) -> pd.Series:
    """What was written in a group's fields (sentinels and unusable values), joined with " | "; None if nothing."""
    out = _text(parts[0])
    for part in parts[1:]:
        more = _text(part)
        both = out.notna() & more.notna()
        joined = out.where(~both, out.astype(str) + " | " + more.astype(str))
        out = joined.where(joined.notna(), more).astype("object")
    return out


def _only(values: pd.Series, cond: pd.Series) -> pd.Series:
    """``values`` where ``cond`` holds, None elsewhere (object dtype)."""
    out = values.astype("object").copy()
    out[~cond.astype(bool).to_numpy()] = None
    return out


def _is_sentinel(issue: pd.Series) -> pd.Series:
    """Whether standardization recorded a sentinel ("n/a", "brak danych" ...) for the row: read only where it
    recorded something, a few rows in a hundred."""
    out = pd.Series(False, index=issue.index)
    noted = issue.notna().to_numpy()
    if noted.any():
        out[noted] = issue[noted].astype(str).str.startswith("sentinel").to_numpy()
    return out


def _mapped(sources: SourcesFile | None, source_name: str, field: str) -> bool:
    """Whether a source maps ``field`` (or a column it is split from); unknown sources count as mapping it."""
    if sources is None:
        return True
    try:
        spec = sources.source(source_name)
    except (KeyError, ValueError):
        return True
    targets = set(spec.columns.values())
    return field in targets or any(alt in targets for alt in MAPPED_VIA.get(field, ()))


def _attribute(values: pd.Series, name: str) -> pd.Series:
    def one(v: object) -> object:
        if not isinstance(v, str) or not v:
            return None
        try:
            data = json.loads(v)
        except ValueError:
            return None
        return data.get(name) if isinstance(data, dict) else None

    return _text(values.map(one))


def _written_field(
    contacts: pd.DataFrame, issues: pd.DataFrame, field: str, sentinels: SentinelRegistry
) -> tuple[pd.Series, pd.Series]:
    """(present value or None, what was written when it is not a value) for one field on every contact row.

    A value is present when standardization kept it, or when something other than a sentinel was written
    (an impossible date is present but wrong: the date rule reports it, not the mandatory one).
    """
    if field.startswith("attributes."):
        raw = _attribute(contacts["attributes"], field.removeprefix("attributes."))
        marker = sentinels.match_series(raw, field.removeprefix("attributes."))
        is_marker = marker.notna()
        return _only(raw, ~is_marker), _only(raw, is_marker)
    column = standard_column(field)
    value = (
        _text(contacts[column]) if column in contacts.columns else pd.Series(None, index=contacts.index, dtype=object)
    )
    issue, raw = _issues_by_field(issues, contacts["record_id"], field)
    sentinel = _is_sentinel(issue)
    other = issue.notna() & ~sentinel
    present = value.where(value.notna(), _only(_text(raw), other))
    if field == "given_name" and "full_name" in contacts.columns:
        # "KOWALSKI J.": the given name is written, as an initial the name splitter does not keep.
        full = _text(contacts["full_name"])
        initial = full.map(lambda v: isinstance(v, str) and len(v.split()) > 1)
        present = present.where(present.notna() | ~initial.astype(bool), full)
    return present.astype("object"), _only(_text(raw), sentinel)


def _tax_id_ok(contacts: pd.DataFrame, raw: pd.Series) -> pd.Series:
    """False where a NIP/INN fails its check digit; True where it holds; None where there is nothing to check.

    Standardization reads a ten-digit id by the customer's country; a Russian company's INN or a US EIN
    filed under the default country is not a mistyped NIP, so an id fails only when no NIP/INN reading of
    its digits holds and it is not written as an EIN.
    """
    flagged = contacts["is_tax_id_valid"].astype("object")
    out = pd.Series(None, index=contacts.index, dtype="object")
    out[flagged.eq(True)] = True
    for i in contacts.index[flagged.eq(False)]:
        written = raw.get(i) if isinstance(raw.get(i), str) else contacts.at[i, "tax_id"]
        digits = "".join(c for c in str(written or "") if c.isdigit())
        if _US_EIN.match(str(written or "")):
            out[i] = None
        elif (len(digits) == 10 and validate_nip(digits)) or (len(digits) in (10, 12) and validate_inn(digits)):
            out[i] = True
        else:
            out[i] = False
    return out


def contact_frame(
    contacts: pd.DataFrame,
    issues: pd.DataFrame,
    *,
    settings: QualitySettings,
    sentinels: SentinelRegistry,
    sources: SourcesFile | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The contact rows of every journal, spreadsheet and accounting customer file, ready for the suites."""
    c = contacts.reset_index(drop=True)
    out = c[list(RECORD_LINEAGE)].copy()
    out.insert(0, ROW, np.arange(len(c), dtype="int64"))
    mand = settings.mandatory
    in_kind = c["source_kind"].isin(mand.applies_to)
    names = c["source_name"].astype(str)
    wanted = list(dict.fromkeys([*mand.single_fields, *(f for g in mand.one_of for f in g)]))
    present: dict[str, pd.Series] = {}
    written: dict[str, pd.Series] = {}
    for f in wanted:
        present[f], written[f] = _written_field(c, issues, f, sentinels)
    company = _text(c["company"]).notna() | _text(c["tax_id"]).notna()
    for f in mand.single_fields:
        mapped = names.map({n: _mapped(sources, n, f) for n in names.unique()}).astype(bool)
        exempt = company if f in mand.not_for_companies else pd.Series(False, index=c.index)
        out[f"inscope__{f}"] = in_kind & mapped & ~exempt
        out[f"present__{f}"] = present[f]
        out[f"written__{f}"] = written[f]
    for f in SENTINEL_FIELDS:
        issue, raw = _issues_by_field(issues, c["record_id"], f)
        out[f"sentinel__{f}"] = _only(_text(raw), _is_sentinel(issue)).astype("object")

    email_issue, email_raw = _issues_by_field(issues, c["record_id"], "email")
    email = _text(email_raw).where(email_issue.notna() & ~_is_sentinel(email_issue), _text(c["email"]))
    out["email_written"] = email.astype("object")
    out["email_checked"] = email.map(
        lambda v: re.sub(r"^mailto:", "", v.strip(), flags=re.IGNORECASE) if isinstance(v, str) else None
    ).astype("object")

    phone_issue, phone_raw = _issues_by_field(issues, c["record_id"], "phone")
    out["phone_written"] = _only(_text(c["phone"]), ~_is_sentinel(phone_issue)).astype("object")
    out["phone_checked"] = (
        out["phone_written"]
        .map(lambda v: _PHONE_LABEL.sub("", v, count=1) if isinstance(v, str) else None)
        .astype("object")
    )
    out["phone_not_valid"] = _only(_text(phone_raw), phone_issue.eq("invalid")).astype("object")

    # A group such as [phone, email] needs one *usable* value: an e-mail or phone that breaks its format
    # rule (or is no real number) does not reach the customer, so it does not satisfy the group.
    usable = dict(present)
    if "email" in usable:
        good = out["email_checked"].str.contains(settings.email_pattern, regex=True, na=False)
        usable["email"] = _only(present["email"], good.astype(bool))
    if "phone" in usable:
        fmt = out["phone_checked"].str.contains(PHONE_PATTERN, regex=True, na=True).astype(bool)
        usable["phone"] = _only(present["phone"], fmt & out["phone_not_valid"].isna())
    for group in mand.one_of:
        key = "_or_".join(group)
        mapped = names.map({n: any(_mapped(sources, n, f) for f in group) for n in names.unique()}).astype(bool)
        out[f"inscope__{key}"] = in_kind & mapped
        first = usable[group[0]]
        for f in group[1:]:
            first = first.where(first.notna(), usable[f])
        out[f"present__{key}"] = first.astype("object")
        out[f"written__{key}"] = _group_written([written[f].where(written[f].notna(), present[f]) for f in group])

    dob_issue, dob_raw = _issues_by_field(issues, c["record_id"], "date_of_birth")
    dob_present, _ = _written_field(c, issues, "date_of_birth", sentinels)
    out["dob_written"] = dob_present
    # Standardization already refuses these dates (as of the run); the range is checked again here so the
    # rule holds whatever the staged table says.
    parsed = pd.to_datetime(c["date_of_birth"], errors="coerce")
    latest = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max
    out_of_range = parsed.notna() & ((parsed < pd.Timestamp(MIN_BIRTH_DATE)) | (parsed > latest))
    bad_dob = dob_issue.isin(IMPOSSIBLE_DATE_ISSUES)
    out["dob_not_a_date"] = (
        _text(dob_raw).where(bad_dob, _only(_text(c["date_of_birth"]), out_of_range)).astype("object")
    )

    out["last_updated_ts"] = pd.to_datetime(c["last_updated_on"], errors="coerce")
    out["last_updated_written"] = _text(c["last_updated_on"])

    _, tax_raw = _issues_by_field(issues, c["record_id"], "tax_id")
    out["tax_id_ok"] = _tax_id_ok(c, tax_raw)
    out["tax_id_written"] = _text(tax_raw).where(tax_raw.notna(), _text(c["tax_id"])).astype("object")
    return out


def _document_key(number: object) -> str | None:
    """A document number reduced to prefix, 4-digit year and sequence: FV-2023-000012 = fv/23/12 = FV/2023/000012."""
    if not isinstance(number, str):
        return None
    parts = re.findall(r"[^\W\d_]+|\d+", number.upper())
    letters = "".join(p for p in parts if not p.isdigit())
    digits = [p for p in parts if p.isdigit()]
    if len(digits) != 2:
        return number.strip().upper() or None
    year, seq = digits
    if len(year) == 2:
        year = "20" + year
    return f"{letters}/{int(year)}/{int(seq)}"


def _sentinel_columns(
    frame: pd.DataFrame, rows: pd.DataFrame, issues: pd.DataFrame, fields: tuple[str, ...]
) -> pd.DataFrame:
    for f in fields:
        issue, raw = _issues_by_field(issues, rows["record_id"], f)
        frame[f"sentinel__{f}"] = _only(_text(raw), _is_sentinel(issue)).astype("object")
    return frame


def invoice_frame(invoices: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """Invoices and credit notes: number, type, amount as the suites test them."""
    v = invoices.reset_index(drop=True)
    out = v[[c for c in RECORD_LINEAGE if c in v.columns]].copy()
    out.insert(0, ROW, np.arange(len(v), dtype="int64"))
    out["source_kind"] = "invoices"
    out["invoice_number"] = _text(v["invoice_number"])
    out["document_type"] = v["document_type"].astype("object")
    out["amount"] = pd.to_numeric(v["amount"], errors="coerce").astype("float64")
    out["amount_written"] = out["amount"].map(lambda a: None if pd.isna(a) else f"{a:.2f}").astype("object")
    return _sentinel_columns(out, v, issues, INVOICE_SENTINEL_FIELDS)


#: The columns that make a payment row the same as an earlier one of its file and sheet (``repeated_payments``).
PAYMENT_IDENTITY = (
    "source_name",
    "source_file",
    "sheet",
    "payment_id",
    "invoice_number",
    "customer_code",
    "paid_on",
    "amount",
    "currency",
)


def invoice_issued_on(invoices: pd.DataFrame) -> pd.Series:
    """The earliest issue date of each document number (by ``_document_key``), what a payment is checked against.

    Computed once from the night's invoices (invoice_number, issued_on), however many pieces the payments are
    checked in."""
    if not len(invoices):
        return pd.Series(dtype="datetime64[ns]")
    inv = pd.DataFrame(
        {
            "key": invoices["invoice_number"].map(_document_key),
            "issued": pd.to_datetime(invoices["issued_on"], errors="coerce"),
        }
    ).dropna(subset=["key"])
    return inv.groupby("key")["issued"].min()


def invoice_keys(numbers: pd.Series) -> pd.Series:
    """The document key of each invoice number a payment names (what it is looked up by in ``invoice_issued_on``)."""
    return _text(numbers).map(_document_key)


def repeated_payments(columns: Iterable[pd.Series]) -> np.ndarray:
    """Whether each payment row repeats an earlier row on every ``PAYMENT_IDENTITY`` column (as text).

    Takes the columns one at a time (each reduced to integer codes at once), so the flag of a file of millions
    of payments costs one column as text, not all of them."""
    codes = {i: pd.factorize(column.astype(str))[0] for i, column in enumerate(columns)}
    if not codes:
        return np.zeros(0, dtype=bool)
    return pd.DataFrame(codes).duplicated(keep="first").to_numpy()


def payment_frame(
    payments: pd.DataFrame,
    issued: pd.Series,
    issues: pd.DataFrame,
    *,
    repeats: np.ndarray | None = None,
) -> pd.DataFrame:
    """Payments, each with what the invoice export says about the invoice it pays (``issued``: the earliest issue
    date per document number, ``invoice_issued_on``).

    ``repeats`` is the duplicate flag of these rows when it was computed over more rows than these (the whole
    file, when the file is checked in pieces); by default it is computed over ``payments``."""
    p = payments.reset_index(drop=True)
    out = p[[c for c in RECORD_LINEAGE if c in p.columns]].copy()
    out.insert(0, ROW, np.arange(len(p), dtype="int64"))
    out["source_kind"] = "payments"
    out["invoice_number"] = _text(p["invoice_number"])
    key = invoice_keys(p["invoice_number"])
    out["invoice_known"] = key.map(lambda k: None if k is None else bool(k in issued.index)).astype("object")
    paid = pd.to_datetime(p["paid_on"], errors="coerce")
    invoice_issued = pd.to_datetime(key.map(issued), errors="coerce")
    out["days_after_invoice"] = (paid - invoice_issued).dt.days.astype("float64")
    out["paid_on_written"] = _text(p["paid_on"])
    if repeats is None:
        repeats = repeated_payments(p[c] for c in PAYMENT_IDENTITY if c in p.columns)
    if len(repeats) != len(p):
        raise ValueError(f"a duplicate flag for {len(repeats)} payments given with {len(p)} payments")
    out["repeats_earlier_row"] = pd.Series(repeats, dtype=bool).astype("object")
    out["payment_id_written"] = _text(p["payment_id"]) if "payment_id" in p.columns else None
    return _sentinel_columns(out, p, issues, PAYMENT_SENTINEL_FIELDS)


def cutoff(as_of: dt.date, days: int) -> dt.date:
    """The day before which a record counts as stale."""
    return as_of - dt.timedelta(days=days)


def frames_for_run(
    tables: Mapping[str, pd.DataFrame],
    *,
    settings: QualitySettings,
    sentinels: SentinelRegistry,
    sources: SourcesFile | None = None,
    as_of: dt.date | None = None,
    invoice_issued: pd.Series | None = None,
    payment_repeats: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """One validation frame per staged table that has rows: contact, invoice, payment.

    What a row is checked against beyond itself can come from more rows than ``tables`` hold: a payment is
    checked against ``invoice_issued`` (``invoice_issued_on`` of the night's every invoice) when given, and
    ``payment_repeats`` is its duplicate flag computed over its whole file when given (``tables`` holding some of
    the night's files, or a piece of one file)."""
    issues = tables.get("field_issue", pd.DataFrame(columns=["record_id", "field", "issue", "raw_value"]))
    out: dict[str, pd.DataFrame] = {}
    if len(tables.get("contact", ())):
        out["contact"] = contact_frame(
            tables["contact"], issues, settings=settings, sentinels=sentinels, sources=sources, as_of=as_of
        )
    invoices = tables.get("invoice", pd.DataFrame(columns=["invoice_number", "issued_on"]))
    if len(invoices):
        out["invoice"] = invoice_frame(invoices, issues)
    if len(tables.get("payment", ())):
        issued = invoice_issued_on(invoices) if invoice_issued is None else invoice_issued
        out["payment"] = payment_frame(tables["payment"], issued, issues, repeats=payment_repeats)
    return out
