"""The catalogue of data-quality rules: ids, what each checks and the line shown to the person who fixes it.

Severities and tolerances are settings (``quality.yml``); the wording lives here so every suite, failure
row and report says the same thing.
"""

from __future__ import annotations

import re
from typing import Literal

Severity = Literal["critical", "warning", "info"]

#: Rule id -> what it checks (for reviewers and the README).
RULES: dict[str, str] = {
    "mandatory_field_missing": "a mandatory field is empty or holds an 'unavailable' marker",
    "sentinel_used": "a field holds an 'unavailable' marker (brak danych, нет, n/a, 000 000 000 ...)",
    "email_format": "the e-mail as written is malformed (spaces, @@, comma, no domain ending)",
    "phone_format": "the phone as written has letters, fewer than 7 or more than 15 digits",
    "phone_invalid": "the phone has a plausible length but is not a valid number for its country",
    "dob_impossible": "the date of birth is not a date, before 1900 or after the run's as-of date",
    "stale_record": "the record was last updated longer ago than the configured age",
    "tax_id_checksum": "the NIP or INN fails its check digit",
    "invoice_number_format": "an invoice number does not follow the configured pattern",
    "credit_note_number_format": "a credit-note number does not follow the configured pattern",
    "negative_invoice_amount": "an invoice (not a credit note) has a negative amount",
    "payment_before_invoice": "a payment is dated before the invoice it pays was issued",
    "payment_unknown_invoice": "a payment refers to an invoice number not in the invoice export",
    "duplicate_payment": "a payment row repeats an earlier row of the same file exactly",
    "source_freshness": "a source file is older than its configured age (freshness in quality.yml)",
    "row_count_drop": "a file has fewer rows than on the last published night, by more than the tolerated share",
    "record_id_unique": "two staged contact rows share one record id",
    "lineage_complete": "a staged contact row lacks its source, file, row number or responsible employee",
}
RULE_IDS: tuple[str, ...] = tuple(RULES)
#: Rules judged once per file rather than per row: a file-level failure has row number 0 and field "*".
FILE_RULES: tuple[str, ...] = ("source_freshness", "row_count_drop")

#: Field names as a sales manager says them.
FIELD_LABELS: dict[str, str] = {
    "surname": "Surname",
    "given_name": "Given name",
    "patronymic": "Patronymic",
    "full_name": "Full name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "phone": "Phone",
    "email": "E-mail",
    "phone_or_email": "Phone and e-mail",
    "address": "Address",
    "street": "Street",
    "city": "City",
    "postcode": "Postcode",
    "country": "Country",
    "tax_id": "Tax id",
    "company": "Company name",
    "customer_code": "Customer code",
    "last_updated": "Last update date",
    "channel": "Acquisition channel",
    "invoice_number": "Invoice number",
    "document_type": "Document type",
    "issue_date": "Issue date",
    "due_date": "Due date",
    "amount": "Amount",
    "currency": "Currency",
    "corrects_invoice": "Corrected invoice",
    "payment_id": "Payment id",
    "payment_date": "Payment date",
}


def field_label(field: str) -> str:
    """How a logical field (or ``attributes.<name>``) is named in messages."""
    if field.startswith("attributes."):
        return field.removeprefix("attributes.").replace("_", " ").capitalize()
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def pattern_hint(pattern: str) -> str:
    """A document-number pattern as a person reads it: ``^FV/\\d{4}/\\d{6}$`` -> ``FV/nnnn/nnnnnn``, and
    ``\\d{6,}`` (six digits or more) -> ``nnnnnn…``."""
    text = re.sub(r"\\d\{(\d+),\}", lambda m: "n" * int(m[1]) + "…", pattern.strip("^$"))
    text = re.sub(r"\\d\{(\d+)\}", lambda m: "n" * int(m[1]), text)
    return text.replace("\\", "")


def explain(rule: str, field: str, *, stale_after_days: int = 730, pattern: str = "") -> str:
    """The one-line explanation of a failure, for the person who must fix the record."""
    label = field_label(field)
    hint = pattern_hint(pattern)
    texts = {
        "mandatory_field_missing": (
            "Neither phone nor e-mail is filled in: ask the customer for one of them and fill it in"
            if field == "phone_or_email"
            else f"{label} is missing: ask the customer and fill it in"
        ),
        "sentinel_used": f"{label} holds a placeholder instead of a value: fill in the real one or leave it empty",
        "email_format": "E-mail is written wrongly (space, @@, comma or no ending like .pl): correct it",
        "phone_format": "Phone has letters or too few or too many digits: correct the number",
        "phone_invalid": "Phone number does not exist for its country: check the digits with the customer",
        "dob_impossible": "Date of birth is not a real date (before 1900 or in the future): check it with the customer",
        "stale_record": f"Record not updated for over {stale_after_days} days: confirm the details with the customer",
        "tax_id_checksum": "Tax id (NIP/INN) fails its check digit: a digit is mistyped, copy it from the register",
        "invoice_number_format": f"Invoice number is not written as {hint}: correct it in accounting",
        "credit_note_number_format": f"Credit-note number is not written as {hint}: correct it in accounting",
        "negative_invoice_amount": "Invoice has a negative amount: a correction must be issued as a credit note",
        "payment_before_invoice": "Payment is dated before its invoice was issued: check the payment date or invoice",
        "payment_unknown_invoice": "Payment refers to an invoice missing from the invoice list: find the right invoice",
        "duplicate_payment": "This payment row repeats an earlier row exactly: remove the duplicate",
        "source_freshness": "The file is older than expected: export a fresh copy or check the export job",
        "row_count_drop": "The file has far fewer rows than last night: check that the export is complete",
        "record_id_unique": "Two staged rows have the same record id: report it to the data team",
        "lineage_complete": "Row does not say which file, row or employee it came from: report it to the data team",
    }
    return texts[rule]
