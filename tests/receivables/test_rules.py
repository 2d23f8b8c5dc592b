"""Each receivables rule on a handful of hand-made rows (narrow fixtures: only the columns the rules read)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from transforms.receivables.classify import classify
from transforms.receivables.ledger import settle
from transforms.receivables.metrics import customer_metrics
from transforms.receivables.notes import read_notes
from transforms.receivables.settings import load_reliability_file
from transforms.settings.errors import SettingsError

AS_OF = dt.date(2026, 6, 30)
SETTINGS = load_reliability_file()


def _invoices(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    cols = [
        "invoice_number",
        "document_type",
        "customer_code",
        "issued_on",
        "due_on",
        "amount",
        "currency",
        "corrects_invoice",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    return _lineage(frame, "invoices.csv")


def _payments(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    cols = ["payment_id", "invoice_number", "customer_code", "paid_on", "amount", "currency"]
    return _lineage(pd.DataFrame(rows, columns=cols), "payments.csv")


def _lineage(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.insert(0, "record_id", [f"{name}:{i}" for i in range(len(frame))])
    frame.insert(1, "source_name", name)
    frame.insert(2, "source_file", name)
    frame.insert(3, "sheet", "")
    frame.insert(4, "row_number", range(1, len(frame) + 1))
    frame["responsible"] = "unassigned"
    return frame


def _one(ledger_invoices: pd.DataFrame, number: str) -> pd.Series:
    return ledger_invoices.set_index("invoice_number").loc[number]


def test_credit_note_reduces_the_invoice_it_corrects() -> None:
    inv = _invoices(
        [
            ("FV/2026/000001", "invoice", "K1", "2026-01-01", "2026-01-15", 100.0, "PLN", None),
            ("FK/2026/000001", "credit_note", "K1", "2026-01-05", None, -30.0, "PLN", "FV/2026/000001"),
            ("FV/2026/000002", "invoice", "K1", "2026-01-01", "2026-01-15", 50.0, "PLN", None),
            ("FK/2026/000002", "credit_note", "K1", "2026-01-05", None, 50.0, "PLN", "fv/26/2"),  # written positive
        ]
    )
    pay = _payments([("P1", "FV/2026/000001", "K1", "2026-01-20", 70.0, "PLN")])
    out = settle(inv, pay, as_of=AS_OF).invoices
    first = _one(out, "FV/2026/000001")
    assert first["amount_due"] == pytest.approx(70.0)
    assert first["status"] == "paid"
    assert first["days_late"] == 5
    second = _one(out, "FV/2026/000002")
    assert second["amount_due"] == pytest.approx(0.0)
    assert second["status"] == "cancelled"
    assert pd.isna(second["days_late"])
    assert set(out.loc[out["document_type"] == "credit_note", "credit_status"]) == {"applied"}


def test_partial_payments_accumulate_until_the_amount_due() -> None:
    inv = _invoices([("FV/2026/000010", "invoice", "K1", "2026-01-01", "2026-01-31", 300.0, "PLN", None)])
    pay = _payments(
        [
            ("P1", "FV/2026/000010", "K1", "2026-01-10", 100.0, "PLN"),
            ("P2", "FV/2026/000010", "K1", "2026-02-10", 100.0, "PLN"),
            ("P3", "FV/2026/000010", "K1", "2026-03-02", 100.0, "PLN"),
        ]
    )
    row = _one(settle(inv, pay, as_of=AS_OF).invoices, "FV/2026/000010")
    assert row["paid_amount"] == pytest.approx(300.0)
    assert row["fully_paid_on"] == dt.date(2026, 3, 2)
    assert row["days_late"] == 30
    assert row["payments"] == 3
    partial = settle(inv, pay.iloc[:2], as_of=AS_OF).invoices.iloc[0]
    assert partial["status"] == "overdue"
    assert partial["open_amount"] == pytest.approx(100.0)
    assert partial["days_late"] == (AS_OF - dt.date(2026, 1, 31)).days


def test_exact_duplicate_payment_rows_count_once_and_are_reported() -> None:
    inv = _invoices([("FV/2026/000020", "invoice", "K1", "2026-01-01", "2026-01-31", 100.0, "PLN", None)])
    row = ("P1", "FV/2026/000020", "K1", "2026-01-10", 50.0, "PLN")
    pay = _payments([row, row, ("P2", "FV/2026/000020", "K1", "2026-01-10", 50.0, "PLN")])
    ledger = settle(inv, pay, as_of=AS_OF)
    assert ledger.payments["status"].tolist() == ["applied", "duplicate", "applied"]
    assert ledger.invoices.iloc[0]["paid_amount"] == pytest.approx(100.0)
    assert ledger.invoices.iloc[0]["status"] == "paid"


def test_payment_to_unknown_invoice_is_quarantined_not_dropped() -> None:
    inv = _invoices([("FV/2026/000030", "invoice", "K1", "2026-01-01", "2026-01-31", 100.0, "PLN", None)])
    pay = _payments(
        [
            ("P1", "FV/2019/123456", "K1", "2026-01-10", 100.0, "PLN"),
            ("P2", "FV-2026-30", "K1", "2026-01-11", 40.0, "PLN"),  # same invoice, typed differently
        ]
    )
    ledger = settle(inv, pay, as_of=AS_OF)
    assert len(ledger.payments) == 2
    assert ledger.payments["status"].tolist() == ["unknown_invoice", "applied"]
    assert ledger.invoices.iloc[0]["paid_amount"] == pytest.approx(40.0)


def test_negative_invoice_is_due_its_absolute_value_and_flagged() -> None:
    inv = _invoices([("FV/2026/000040", "invoice", "K1", "2026-01-01", "2026-01-31", -120.0, "PLN", None)])
    pay = _payments([("P1", "FV/2026/000040", "K1", "2026-01-30", 120.0, "PLN")])
    row = settle(inv, pay, as_of=AS_OF).invoices.iloc[0]
    assert bool(row["is_negative_amount"])
    assert row["amount_due"] == pytest.approx(120.0)
    assert row["status"] == "paid"
    assert row["days_late"] == 0
    assert row["days_from_due"] == -1


def test_amounts_stay_in_their_currency() -> None:
    inv = _invoices(
        [
            ("FV/2026/000050", "invoice", "K1", "2026-05-01", "2026-05-15", 100.0, "EUR", None),
            ("FV/2026/000051", "invoice", "K1", "2026-05-01", "2026-05-15", 400.0, "PLN", None),
            ("FV/2026/000052", "invoice", "K1", "2026-05-01", "2026-05-15", 300.0, "PLN", None),
        ]
    )
    pay = _payments([("P1", "FV/2026/000050", "K1", "2026-05-10", 100.0, "PLN")])  # wrong currency
    ledger = settle(inv, pay, as_of=AS_OF)
    assert ledger.payments.iloc[0]["status"] == "currency_mismatch"
    m = customer_metrics(ledger.invoices, key="customer_code", as_of=AS_OF, settings=SETTINGS, base_currency="EUR")
    bal = m.balances.set_index("currency")
    assert bal.loc["EUR", "open_balance"] == pytest.approx(100.0)
    assert bal.loc["PLN", "open_balance"] == pytest.approx(700.0)
    row = m.customers.iloc[0]
    assert row["currency"] == "PLN"  # most invoices
    assert row["open_balance"] == pytest.approx(700.0)
    assert row["balances_by_currency"] == "EUR 100.00; PLN 700.00"


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        ("2026-07-05", "current"),
        ("2026-06-30", "current"),
        ("2026-06-29", "1-30"),
        ("2026-05-31", "1-30"),
        ("2026-05-30", "31-60"),
        ("2026-05-01", "31-60"),
        ("2026-04-30", "61-90"),
        ("2026-04-01", "61-90"),
        ("2026-03-31", "91-120"),
        ("2026-03-02", "91-120"),
        ("2026-03-01", "over_120"),
    ],
)
def test_aging_buckets(due: str, bucket: str) -> None:
    inv = _invoices([("FV/2026/000060", "invoice", "K1", "2026-01-01", due, 10.0, "PLN", None)])
    row = settle(inv, _payments([]), as_of=AS_OF).invoices.iloc[0]
    assert row["aging_bucket"] == bucket


def test_customer_with_nothing_due_has_no_history() -> None:
    inv = _invoices(
        [
            ("FV/2026/000070", "invoice", "K1", "2026-06-20", "2026-07-20", 10.0, "PLN", None),  # not yet due
            ("FV/2026/000071", "invoice", "K2", "2026-01-01", "2026-01-15", 10.0, "PLN", None),
        ]
    )
    pay = _payments([("P1", "FV/2026/000071", "K2", "2026-03-01", 10.0, "PLN")])
    ledger = settle(inv, pay, as_of=AS_OF)
    m = customer_metrics(ledger.invoices, key="customer_code", as_of=AS_OF, settings=SETTINGS, base_currency="PLN")
    classes = dict(zip(m.customers["customer_code"], classify(m.customers, SETTINGS), strict=True))
    assert classes == {"K1": "no_history", "K2": "significant_delay"}


def test_classes_follow_the_configured_cut_offs() -> None:
    metrics = pd.DataFrame(
        {
            "invoices_due": [3, 3, 3, 3, 3, 0],
            "median_days_late": [0, 12, 45, 200, 10, None],
            "share_defaulted": [0, 0, 0, 0.0, 0.67, None],
        }
    )
    assert classify(metrics, SETTINGS).tolist() == [
        "on_time",
        "slight_delay",
        "significant_delay",
        "non_payer",
        "non_payer",
        "no_history",
    ]


def test_notes_are_read_in_any_language_longest_phrase_first() -> None:
    notes = pd.Series(
        [
            "Always on time!",
            "nie płaci",
            "płaci w terminie",
            "иногда задерживает",
            "总是按时付款",
            "zawsze 2 mies. po terminie",
            "whatever",
            None,
        ]
    )
    assert read_notes(notes, SETTINGS.note.phrases).tolist() == [
        "on_time",
        "non_payer",
        "on_time",
        "slight_delay",
        "on_time",
        "significant_delay",
        None,
        None,
    ]


def test_bad_settings_name_the_file_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "reliability.yml"
    bad.write_text("classes:\n  slight_delay_max_median_days_late: -3\nnote:\n  phrases:\n    great: [x]\n", "utf-8")
    with pytest.raises(SettingsError) as err:
        load_reliability_file(bad)
    text = str(err.value)
    assert str(bad) in text
    assert "classes.slight_delay_max_median_days_late" in text
    assert "note.phrases" in text
