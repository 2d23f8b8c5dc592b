"""IBM's accounts-receivable sample: days late computed from its dates equals its DaysLate column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from transforms.receivables.ledger import settle

DATA = Path("/work/shared/datasets/ibm_accounts_receivable/WA_Fn-UseC_-Accounts-Receivable.csv")


@pytest.mark.skipif(not DATA.exists(), reason="the shared IBM dataset is not on this machine")
def test_days_late_matches_ibm_for_every_invoice() -> None:
    raw = pd.read_csv(DATA, dtype={"invoiceNumber": str, "customerID": str})
    assert len(raw) == 2466
    dates = {c: pd.to_datetime(raw[c], format="%m/%d/%Y").dt.date for c in ("InvoiceDate", "DueDate", "SettledDate")}
    lineage = {"source_name": "ibm", "sheet": "", "responsible": "unassigned"}
    invoices = pd.DataFrame(
        {
            "record_id": "inv" + raw.index.astype(str),
            "source_file": "ibm_invoices.csv",
            "row_number": raw.index + 1,
            "invoice_number": raw["invoiceNumber"],
            "document_type": "invoice",
            "customer_code": raw["customerID"],
            "issued_on": dates["InvoiceDate"],
            "due_on": dates["DueDate"],
            "amount": raw["InvoiceAmount"],
            "currency": "USD",
            "corrects_invoice": None,
            **lineage,
        }
    )
    payments = pd.DataFrame(
        {
            "record_id": "pay" + raw.index.astype(str),
            "source_file": "ibm_payments.csv",
            "row_number": raw.index + 1,
            "payment_id": None,
            "invoice_number": raw["invoiceNumber"],
            "customer_code": raw["customerID"],
            "paid_on": dates["SettledDate"],
            "amount": raw["InvoiceAmount"],
            "currency": "USD",
            **lineage,
        }
    )
    ledger = settle(invoices, payments, as_of=dt.date(2015, 1, 1))
    out = ledger.invoices.set_index("invoice_number").loc[raw["invoiceNumber"]]
    assert out["status"].value_counts().to_dict() == {"paid": len(raw)}
    assert (out["days_late"].to_numpy() == raw["DaysLate"].to_numpy()).all()
    assert (out["is_paid_on_time"].to_numpy() == (raw["DaysLate"] == 0).to_numpy()).all()
    assert (ledger.payments["status"] == "applied").all()
