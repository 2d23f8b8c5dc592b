"""Each rule on tiny hand-made staged tables: which rows fail, with which field and value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from transforms.quality.frames import frames_for_run
from transforms.quality.runner import QualityResult, run_quality
from transforms.quality.settings import load_quality_settings
from transforms.standardize.sentinels import load_sentinels

AS_OF = dt.date(2026, 11, 20)
CONTACT_DEFAULTS: dict[str, Any] = {
    "source_name": "anna",
    "source_kind": "spreadsheet",
    "source_file": "anna.xlsx",
    "sheet": "Klienci",
    "responsible": "Anna",
    "given_name": "Jan",
    "surname": "Kowalski",
    "full_name": None,
    "date_of_birth": dt.date(1980, 1, 2),
    "last_updated_on": dt.date(2026, 1, 1),
    "phone": "601 234 567",
    "phone_e164": "+48601234567",
    "email": "jan@wp.pl",
    "tax_id": None,
    "is_tax_id_valid": None,
    "company": None,
    "channel": None,
    "attributes": None,
    "city": "Kraków",
}


def _contacts(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = []
    for n, row in enumerate(rows, start=1):
        r = {**CONTACT_DEFAULTS, "row_number": n, **row}
        r["record_id"] = f"{r['source_name']}-{n}"
        out.append(r)
    return pd.DataFrame(out)


def _issues(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(record_id, field, issue, raw_value)."""
    return pd.DataFrame(rows, columns=["record_id", "field", "issue", "raw_value"])


def _run(tables: dict[str, pd.DataFrame], company: str | None = None, tmp_path: Any = None) -> QualityResult:
    settings = load_quality_settings()
    if company is not None:
        path = tmp_path / "quality.yml"
        path.write_text(company, "utf-8")
        settings = load_quality_settings(path)
    frames = frames_for_run(tables, settings=settings, sentinels=load_sentinels(), as_of=AS_OF)
    return run_quality(frames, settings=settings, as_of=AS_OF, run_id="t")


def _failed(result: QualityResult, rule: str) -> list[tuple[int, str, Any]]:
    f = result.failures[result.failures["rule"] == rule]
    return sorted(zip(f["row_number"], f["field"], f["value"], strict=True))


@pytest.fixture(scope="module")
def contacts_result() -> QualityResult:
    contacts = _contacts(
        [
            {},  # 1: clean
            {"date_of_birth": None},  # 2: DOB missing
            {"date_of_birth": None},  # 3: DOB is a sentinel
            {"phone": None, "phone_e164": None, "email": None},  # 4: no way to reach
            {"phone": "601 23A 567", "phone_e164": None},  # 5: letters
            {"phone": "601 23", "phone_e164": None},  # 6: too short
            {"phone": "tel. 601 234 567"},  # 7: a label, fine
            {"email": None},  # 8: malformed e-mail
            {"date_of_birth": None},  # 9: impossible date
            {"last_updated_on": dt.date(2024, 11, 19)},  # 10: stale (731 days)
            {"last_updated_on": dt.date(2024, 11, 20)},  # 11: exactly 730 days: not stale
            {"tax_id": "5559682348", "is_tax_id_valid": False, "company": "PHU"},  # 12: bad NIP, company: no DOB rule
            {"tax_id": "4702299195", "is_tax_id_valid": False, "company": "OOO", "date_of_birth": None},  # 13: an INN
            {"full_name": "KOWALSKI J.", "given_name": None},  # 14: initial counts as a given name
            {"source_kind": "accounting_customers", "source_name": "acc", "date_of_birth": None},  # 15: not in scope
        ]
    )
    issues = _issues(
        [
            ("anna-3", "date_of_birth", "sentinel:brak danych", "brak danych"),
            ("anna-5", "phone", "letters", "601 23A 567"),
            ("anna-6", "phone", "too_short", "601 23"),
            ("anna-8", "email", "invalid_format", "jan@@wp.pl"),
            ("anna-9", "date_of_birth", "impossible", "31.02.1985"),
            ("anna-12", "tax_id", "checksum", "555-968-23-48"),
            ("anna-13", "tax_id", "checksum", "4702299195"),
        ]
    )
    return _run({"contact": contacts, "field_issue": issues})


def test_mandatory_fields(contacts_result: QualityResult) -> None:
    assert _failed(contacts_result, "mandatory_field_missing") == [
        (2, "date_of_birth", None),
        (3, "date_of_birth", "brak danych"),
        (4, "phone_or_email", None),
    ]


def test_sentinel(contacts_result: QualityResult) -> None:
    assert _failed(contacts_result, "sentinel_used") == [(3, "date_of_birth", "brak danych")]


def test_phone_format_and_email_format(contacts_result: QualityResult) -> None:
    assert _failed(contacts_result, "phone_format") == [(5, "phone", "601 23A 567"), (6, "phone", "601 23")]
    assert _failed(contacts_result, "email_format") == [(8, "email", "jan@@wp.pl")]


def test_impossible_dob_stale_and_tax_id(contacts_result: QualityResult) -> None:
    assert _failed(contacts_result, "dob_impossible") == [(9, "date_of_birth", "31.02.1985")]
    assert _failed(contacts_result, "stale_record") == [(10, "last_updated", "2024-11-19")]
    assert _failed(contacts_result, "tax_id_checksum") == [(12, "tax_id", "555-968-23-48")]


def test_consolidated_contact_suite_passes(contacts_result: QualityResult) -> None:
    assert contacts_result.suites["contact"]["failures"] == 0
    m = contacts_result.metrics
    row = m[(m["rule"] == "mandatory_field_missing") & (m["field"] == "date_of_birth")]
    # 15 rows: 12 and 13 are companies and 15 is an accounting row, so 12 are checked; 2 fail.
    assert int(row["checked"].sum()) == 12
    assert int(row["failed"].sum()) == 2


def test_dob_after_as_of_fails_even_if_staged() -> None:
    contacts = _contacts([{"date_of_birth": dt.date(2026, 11, 21)}, {"date_of_birth": dt.date(2026, 11, 20)}])
    result = _run({"contact": contacts, "field_issue": _issues([])})
    assert _failed(result, "dob_impossible") == [(1, "date_of_birth", "2026-11-21")]


def test_company_mandatory_extra_attribute(tmp_path: Any) -> None:
    contacts = _contacts([{"attributes": '{"expected_gift": "wino"}'}, {"attributes": '{"expected_gift": "brak"}'}, {}])
    result = _run(
        {"contact": contacts, "field_issue": _issues([])},
        company="mandatory:\n  extra: [attributes.expected_gift]\n",
        tmp_path=tmp_path,
    )
    assert _failed(result, "mandatory_field_missing") == [
        (2, "attributes.expected_gift", "brak"),
        (3, "attributes.expected_gift", None),
    ]


def _invoices() -> pd.DataFrame:
    rows = [
        ("FV/2025/000001", "invoice", 100.0, dt.date(2025, 1, 10)),
        ("FV 2025/2", "invoice", 50.0, dt.date(2025, 1, 11)),
        ("FV/2025/000003", "invoice", -20.0, dt.date(2025, 1, 12)),
        ("FK/2025/000001", "credit_note", -20.0, dt.date(2025, 1, 13)),
        ("FK/25/1", "credit_note", -5.0, dt.date(2025, 1, 14)),
    ]
    return pd.DataFrame(
        [
            {
                "record_id": f"inv-{n}",
                "source_name": "invoices",
                "source_file": "invoices.csv",
                "sheet": "",
                "row_number": n,
                "responsible": "Accounting",
                "invoice_number": num,
                "document_type": doc,
                "amount": amount,
                "issued_on": issued,
            }
            for n, (num, doc, amount, issued) in enumerate(rows, start=1)
        ]
    )


def _payments() -> pd.DataFrame:
    rows = [
        ("P1", "FV/2025/000001", dt.date(2025, 1, 20), 100.0),
        ("P2", "FV/2025/000002", dt.date(2025, 1, 20), 50.0),  # written "FV 2025/2" in the invoices: known
        ("P3", "FV/2025/000003", dt.date(2025, 1, 2), 10.0),  # before its invoice
        ("P4", "FV/2019/000999", dt.date(2025, 1, 20), 10.0),  # unknown invoice
        ("P1", "FV/2025/000001", dt.date(2025, 1, 20), 100.0),  # repeats row 1
    ]
    return pd.DataFrame(
        [
            {
                "record_id": f"pay-{n}",
                "source_name": "payments",
                "source_file": "payments.csv",
                "sheet": "",
                "row_number": n,
                "responsible": "Accounting",
                "payment_id": pid,
                "invoice_number": num,
                "customer_code": "K1",
                "paid_on": paid,
                "amount": amount,
                "currency": "PLN",
            }
            for n, (pid, num, paid, amount) in enumerate(rows, start=1)
        ]
    )


def test_accounting_rules_and_gate(tmp_path: Any) -> None:
    tables = {"invoice": _invoices(), "payment": _payments(), "field_issue": _issues([])}
    result = _run(tables, company="gate:\n  min_rows: 0\n", tmp_path=tmp_path)
    assert _failed(result, "invoice_number_format") == [(2, "invoice_number", "FV 2025/2")]
    assert _failed(result, "credit_note_number_format") == [(5, "invoice_number", "FK/25/1")]
    assert _failed(result, "negative_invoice_amount") == [(3, "amount", "-20.00")]
    assert _failed(result, "payment_before_invoice") == [(3, "payment_date", "2025-01-02")]
    assert _failed(result, "payment_unknown_invoice") == [(4, "invoice_number", "FV/2019/000999")]
    assert _failed(result, "duplicate_payment") == [(5, "*", "P1")]
    # One bad row in three or five is far over a 2 % tolerance: the gate names the rule, file, field and rows.
    described = [v.describe() for v in result.violations]
    assert any(d.startswith("duplicate_payment: payments.csv (payments): 1 of 5 rows") for d in described)
    assert any("fail on invoice_number (1)" in d and "rules.invoice_number_format.tolerance" in d for d in described)
    assert {v.rule for v in result.violations} == {
        "invoice_number_format",
        "credit_note_number_format",
        "negative_invoice_amount",
        "payment_unknown_invoice",
        "duplicate_payment",
    }


def test_small_files_do_not_trip_a_share_tolerance() -> None:
    """Five rows with one bad one is 20 %, but below gate.min_rows (20 by default) a share says nothing."""
    result = _run({"invoice": _invoices(), "payment": _payments(), "field_issue": _issues([])})
    assert _failed(result, "duplicate_payment") == [(5, "*", "P1")]
    assert result.violations == []


def test_a_zero_tolerance_applies_to_small_files(tmp_path: Any) -> None:
    tables = {"invoice": _invoices(), "payment": _payments(), "field_issue": _issues([])}
    result = _run(
        tables, company="rules:\n  duplicate_payment: {severity: critical, tolerance: 0}\n", tmp_path=tmp_path
    )
    assert [v.rule for v in result.violations] == ["duplicate_payment"]


def test_an_invalid_email_or_phone_is_not_a_usable_contact() -> None:
    """Phone "n/a" and a malformed e-mail: the row has no way to reach the customer (phone_or_email missing)."""
    contacts = _contacts(
        [
            {"phone": "n/a", "phone_e164": None, "email": None},  # 1: sentinel phone, malformed e-mail
            {"phone": "n/a", "phone_e164": None},  # 2: sentinel phone, good e-mail: reachable
            {"phone": "601 23", "phone_e164": None, "email": None},  # 3: too short phone, no e-mail
            {"phone": "601 234 567", "email": None},  # 4: good phone, malformed e-mail: reachable
        ]
    )
    issues = _issues(
        [
            ("anna-1", "phone", "sentinel:n/a", "n/a"),
            ("anna-1", "email", "invalid_format", "jan@@wp.pl"),
            ("anna-2", "phone", "sentinel:n/a", "n/a"),
            ("anna-3", "phone", "too_short", "601 23"),
            ("anna-4", "email", "invalid_format", "jan@@wp.pl"),
        ]
    )
    result = _run({"contact": contacts, "field_issue": issues})
    assert _failed(result, "mandatory_field_missing") == [
        (1, "phone_or_email", "n/a | jan@@wp.pl"),
        (3, "phone_or_email", "601 23"),
    ]
    assert _failed(result, "email_format") == [(1, "email", "jan@@wp.pl"), (4, "email", "jan@@wp.pl")]
