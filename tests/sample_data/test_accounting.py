"""Invoices, credit notes and payments: planted defects are where the truth says, and classes are recoverable."""

from __future__ import annotations

import csv
import re
from typing import Any

import numpy as np
import pandas as pd

from devkit.generator.taxids import inn_valid, nip_valid

Sample = Any
CANONICAL = re.compile(r"^F[VK]/\d{4}/\d{6}$")


def _csv(sample: Sample, rel: str) -> pd.DataFrame:
    with (sample.out / rel).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    df = pd.DataFrame(rows[1:], columns=rows[0])
    df.index = range(1, len(df) + 1)  # row_number
    return df


def _defects(sample: Sample, source: str, kind: str) -> set[int]:
    d = sample.defects
    return set(d[(d.source_name == source) & (d.defect == kind)].row_number)


def test_invoice_numbers_and_amounts(sample: Sample) -> None:
    inv = _csv(sample, "accounting/invoices.csv")
    bad = {n for n, num in inv["Numer"].items() if not CANONICAL.match(num)}
    assert bad and bad == _defects(sample, "invoices", "bad_invoice_number")
    amounts = inv["Kwota brutto"].astype(float)
    negative_fv = {n for n in inv.index if amounts[n] < 0 and inv.at[n, "Rodzaj"] == "faktura"}
    assert negative_fv and negative_fv == _defects(sample, "invoices", "negative_amount")
    credit = inv[inv["Rodzaj"] == "korekta"]
    assert len(credit) and (credit["Kwota brutto"].astype(float) < 0).all()
    truth = sample.invoices
    assert set(credit["Dotyczy faktury"]) <= set(truth[truth.document_type == "invoice"].invoice_number)
    assert set(inv["Termin płatności"][inv["Rodzaj"] == "faktura"]) != {""}
    terms = (pd.to_datetime(truth.due_date) - pd.to_datetime(truth.issue_date)).dt.days.dropna()
    assert set(terms.astype(int)) <= {14, 30, 60}


def test_payments_defects_and_paid_amounts(sample: Sample) -> None:
    pay = _csv(sample, "accounting/payments.csv")
    truth = sample.invoices.set_index("invoice_number")
    dup = {n for n in pay.index[1:] if pay.loc[n].tolist() == pay.loc[n - 1].tolist()}
    assert dup and dup == _defects(sample, "payments", "duplicate_payment")
    unknown = {n for n, num in pay["Numer faktury"].items() if num not in truth.index}
    assert unknown and unknown == _defects(sample, "payments", "unknown_invoice")
    issue = pay["Numer faktury"].map(truth["issue_date"].astype(str))
    before = {n for n in pay.index if n not in unknown and pay.at[n, "Data wpłaty"] < issue[n]}
    assert before and before == _defects(sample, "payments", "payment_before_invoice")
    real = pay.drop(index=sorted(dup | unknown))
    paid = real.assign(amount=real["Kwota"].astype(float)).groupby("Numer faktury").amount.sum()
    expected = truth.loc[truth.paid_amount > 0, "paid_amount"]
    assert np.allclose(paid.reindex(expected.index).fillna(0), expected, atol=0.011)
    assert paid.index.isin(expected.index).all()
    instalments = real.groupby("Numer faktury").size()
    assert (instalments >= 2).any(), "some invoices are paid in instalments"


def _band(x: float) -> str:
    return "on_time" if x <= 0 else "slight_delay" if x <= 30 else "significant_delay" if x <= 120 else "non_payer"


def test_payment_classes_recoverable_by_a_simple_rule(sample: Sample) -> None:
    due = sample.invoices[sample.invoices.days_late.notna()]
    g = due.groupby("customer_id")
    predicted = g.days_late.median().map(_band)
    truth = g.payment_class.first()
    accuracy = (predicted == truth).mean()
    assert len(truth) > 100
    assert accuracy >= 0.98, f"median days late recovers only {accuracy:.3f} of payment classes"
    assert set(truth) == {"on_time", "slight_delay", "significant_delay", "non_payer"}


def test_customer_codes_and_tax_ids(sample: Sample) -> None:
    cust = _csv(sample, "accounting/customers.csv")
    assert cust["Kod klienta"].str.fullmatch(r"K\d{5,}").all() and cust["Kod klienta"].is_unique
    bad = _defects(sample, "accounting_customers", "bad_tax_id")
    rows = sample.rows[sample.rows.source_name == "accounting_customers"].set_index("row_number").customer_id
    truth = sample.customers.set_index("customer_id")
    checked = 0
    for n, tax in cust["NIP/VAT"].items():
        true_id = truth.at[rows[n], "tax_id"]
        assert bool(tax) == isinstance(true_id, str), (n, tax, true_id)
        if not tax:
            continue
        same = re.sub(r"\D", "", tax) == re.sub(r"\D", "", true_id)
        assert same != (n in bad), (n, tax, true_id)
        kind = nip_valid if truth.at[rows[n], "culture"] == "pl" else inn_valid
        if truth.at[rows[n], "culture"] in ("pl", "ru"):
            assert kind(tax) == (n not in bad), (n, tax)
            checked += 1
    assert bad and checked
    assert (cust["Adres"] != "").any() and (cust["Ulica"] != "").any(), "address in one field in some rows"
    dup = sample.customers[sample.customers.customer_codes.map(len) > 1]
    assert len(dup), "some customers are registered under two codes"
