"""The checks of every suite as plain data: which column of which validation frame, tested how, for which rule.

``transforms.quality.suites`` turns these into Great Expectations expectations; the runner uses the same
records to know which rows each expectation looked at (for ``dq.metric``) and which value to report for
a failing row (for ``dq.failure``). Keeping them as data lets reviewers and tests read a suite without
running Great Expectations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from transforms.lineage import ROW_LOCATION
from transforms.quality.frames import (
    INVOICE_SENTINEL_FIELDS,
    PAYMENT_SENTINEL_FIELDS,
    PHONE_PATTERN,
    SENTINEL_FIELDS,
    cutoff,
)
from transforms.quality.rules import explain
from transforms.quality.settings import QualitySettings

SuiteName = Literal["journal", "spreadsheet", "accounting_customers", "invoices", "payments", "contact", "customer"]
SUITES: tuple[SuiteName, ...] = (
    "journal",
    "spreadsheet",
    "accounting_customers",
    "invoices",
    "payments",
    "contact",
    "customer",
)
CONTACT_KINDS = ("journal", "spreadsheet", "accounting_customers")
#: Which validation frame each suite runs on (contact suites on the rows of their kind only).
SUITE_FRAME: dict[str, str] = {
    "journal": "contact",
    "spreadsheet": "contact",
    "accounting_customers": "contact",
    "contact": "contact",
    "invoices": "invoice",
    "payments": "payment",
    "customer": "customer",
}
#: A golden record's phone is stored in E.164: a plus, then 7 to 15 digits.
E164_PATTERN = r"^\+[1-9]\d{6,14}$"

Test = Literal["not_null", "null", "regex", "in_set", "between", "unique"]


@dataclass(frozen=True)
class Check:
    """One expectation of a suite."""

    rule: str
    field: str
    column: str
    test: Test
    value_column: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)
    when: tuple[str, Any] | None = None  # only rows where this column equals this value
    checked_column: str | None = None  # rows counted as checked: where this column has a value

    @property
    def key(self) -> str:
        """A short id unique within a suite."""
        return f"{self.rule}:{self.field}:{self.column}"


def _contact_checks(kind: str, s: QualitySettings, as_of: dt.date) -> list[Check]:
    out: list[Check] = []
    if kind in s.mandatory.applies_to:
        for f in s.mandatory.single_fields:
            out.append(
                Check(
                    "mandatory_field_missing", f, f"present__{f}", "not_null", f"written__{f}",
                    explain("mandatory_field_missing", f), when=(f"inscope__{f}", True),
                )
            )  # fmt: skip
        for group in s.mandatory.one_of:
            key = "_or_".join(group)
            out.append(
                Check(
                    "mandatory_field_missing", key, f"present__{key}", "not_null", f"written__{key}",
                    explain("mandatory_field_missing", key), when=(f"inscope__{key}", True),
                )
            )  # fmt: skip
    out += sentinel_checks(SENTINEL_FIELDS)
    out += [
        Check(
            "email_format", "email", "email_checked", "regex", "email_written", explain("email_format", "email"),
            params={"regex": s.email_pattern},
        ),
        Check(
            "phone_format", "phone", "phone_checked", "regex", "phone_written", explain("phone_format", "phone"),
            params={"regex": PHONE_PATTERN},
        ),
        Check(
            "phone_invalid", "phone", "phone_not_valid", "null", "phone_not_valid", explain("phone_invalid", "phone"),
            checked_column="phone_written",
        ),
        Check(
            "dob_impossible", "date_of_birth", "dob_not_a_date", "null", "dob_not_a_date",
            explain("dob_impossible", "date_of_birth"), checked_column="dob_written",
        ),
        Check(
            "stale_record", "last_updated", "last_updated_ts", "between", "last_updated_written",
            explain("stale_record", "last_updated", stale_after_days=s.stale_after_days),
            params={"min_value": dt.datetime.combine(cutoff(as_of, s.stale_after_days), dt.time())},
        ),
        Check(
            "tax_id_checksum", "tax_id", "tax_id_ok", "in_set", "tax_id_written", explain("tax_id_checksum", "tax_id"),
            params={"value_set": [True]},
        ),
    ]  # fmt: skip
    return out


def _invoice_checks(s: QualitySettings) -> list[Check]:
    numbers = s.document_numbers
    out = [
        Check(
            "invoice_number_format", "invoice_number", "invoice_number", "regex", "invoice_number",
            explain("invoice_number_format", "invoice_number", pattern=numbers.invoice),
            params={"regex": numbers.invoice}, when=("document_type", "invoice"),
        ),
        Check(
            "credit_note_number_format", "invoice_number", "invoice_number", "regex", "invoice_number",
            explain("credit_note_number_format", "invoice_number", pattern=numbers.credit_note),
            params={"regex": numbers.credit_note}, when=("document_type", "credit_note"),
        ),
        Check(
            "negative_invoice_amount", "amount", "amount", "between", "amount_written",
            explain("negative_invoice_amount", "amount"), params={"min_value": 0}, when=("document_type", "invoice"),
        ),
    ]  # fmt: skip
    out += sentinel_checks(INVOICE_SENTINEL_FIELDS)
    return out


def sentinel_checks(fields: Iterable[str]) -> list[Check]:
    """One "an unavailable marker was written here" check per field."""
    return [
        Check("sentinel_used", f, f"sentinel__{f}", "null", f"sentinel__{f}", explain("sentinel_used", f))
        for f in fields
    ]


def _payment_checks() -> list[Check]:
    out = [
        Check(
            "payment_unknown_invoice", "invoice_number", "invoice_known", "in_set", "invoice_number",
            explain("payment_unknown_invoice", "invoice_number"), params={"value_set": [True]},
        ),
        Check(
            "payment_before_invoice", "payment_date", "days_after_invoice", "between", "paid_on_written",
            explain("payment_before_invoice", "payment_date"), params={"min_value": 0},
        ),
        Check(
            "duplicate_payment", "*", "repeats_earlier_row", "in_set", "payment_id_written",
            explain("duplicate_payment", "*"), params={"value_set": [False]},
        ),
    ]  # fmt: skip
    out += sentinel_checks(PAYMENT_SENTINEL_FIELDS)
    return out


def _consolidated_checks() -> list[Check]:
    out = [
        Check(
            "record_id_unique",
            "record_id",
            "record_id",
            "unique",
            "record_id",
            explain("record_id_unique", "record_id"),
        )
    ]
    out += [
        Check("lineage_complete", col, col, "not_null", col, explain("lineage_complete", col))
        for col in (*ROW_LOCATION, "responsible")
    ]
    return out


def _customer_checks(s: QualitySettings, as_of: dt.date) -> list[Check]:
    """The consolidated customer (core.customer): the company's standard on the golden record itself.

    Attributes (``attributes.<name>``) are not carried on the golden record, so only customer fields
    are required here; a field counts as present when survivorship kept a value for it.
    """
    out: list[Check] = []
    for f in s.mandatory.single_fields:
        if f.startswith("attributes."):
            continue
        out.append(
            Check(
                "mandatory_field_missing", f, f"present__{f}", "not_null", f"present__{f}",
                explain("mandatory_field_missing", f), when=(f"inscope__{f}", True),
            )
        )  # fmt: skip
    for group in s.mandatory.one_of:
        if any(f.startswith("attributes.") for f in group):
            continue
        key = "_or_".join(group)
        out.append(
            Check(
                "mandatory_field_missing", key, f"present__{key}", "not_null", f"present__{key}",
                explain("mandatory_field_missing", key),
            )
        )  # fmt: skip
    out += [
        Check(
            "email_format", "email", "email", "regex", "email", explain("email_format", "email"),
            params={"regex": s.email_pattern},
        ),
        Check(
            "phone_format", "phone", "phone_e164", "regex", "phone_e164", explain("phone_format", "phone"),
            params={"regex": E164_PATTERN},
        ),
        Check(
            "dob_impossible", "date_of_birth", "dob_ts", "between", "date_of_birth",
            explain("dob_impossible", "date_of_birth"),
            params={"min_value": dt.datetime(1900, 1, 1), "max_value": dt.datetime.combine(as_of, dt.time())},
        ),
        Check(
            "stale_record", "last_updated", "last_updated_ts", "between", "last_updated_on",
            explain("stale_record", "last_updated", stale_after_days=s.stale_after_days),
            params={"min_value": dt.datetime.combine(cutoff(as_of, s.stale_after_days), dt.time())},
        ),
        Check(
            "tax_id_checksum", "tax_id", "tax_id_ok", "in_set", "tax_id", explain("tax_id_checksum", "tax_id"),
            params={"value_set": [True]},
        ),
        Check(
            "record_id_unique", "customer_id", "record_id", "unique", "record_id",
            explain("record_id_unique", "customer_id"),
        ),
    ]  # fmt: skip
    return out


def checks_for(suite: str, settings: QualitySettings, as_of: dt.date) -> list[Check]:
    """The checks of one suite, for a run as of ``as_of``."""
    if suite in CONTACT_KINDS:
        return _contact_checks(suite, settings, as_of)
    if suite == "invoices":
        return _invoice_checks(settings)
    if suite == "payments":
        return _payment_checks()
    if suite == "contact":
        return _consolidated_checks()
    if suite == "customer":
        return _customer_checks(settings, as_of)
    raise ValueError(f"unknown suite {suite!r}; expected one of {', '.join(SUITES)}")
