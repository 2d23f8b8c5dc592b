"""From the accounting export to each customer's reliability: settle, roll up, classify, model, compare notes.

Everything here is pure (frames in, frames out); the stage (transforms.pipeline.receivables_stage) reads and
writes the files. Roll-ups happen twice: per accounting customer (customer code) and per linked customer
(the customer id the linkage stage gave the code's accounting row). Without links, the customer-level
roll-up falls back to the customer code and customer_id stays empty.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from transforms.receivables.classify import classify, trend
from transforms.receivables.ledger import Ledger, settle
from transforms.receivables.metrics import customer_metrics
from transforms.receivables.model import History, LateModel, customer_risk, train
from transforms.receivables.notes import disagreements
from transforms.receivables.nulls import keep_where
from transforms.receivables.settings import ReliabilitySettings

log = logging.getLogger(__name__)

CODE_PREFIX = "code:"


@dataclass
class Assessment:
    """The stage's results, one frame per output table."""

    invoices: pd.DataFrame
    payments: pd.DataFrame
    accounts: pd.DataFrame
    customers: pd.DataFrame
    balances: pd.DataFrame
    failures: pd.DataFrame
    model: LateModel
    counts: dict[str, Any] = field(default_factory=dict)


def customer_of_code(contacts: pd.DataFrame, links: pd.DataFrame | None) -> pd.Series:
    """customer_code -> customer_id, through the code's accounting-customer row and its link.

    A code on two accounting rows takes the customer most of them link to (ties: the smallest id).
    """
    if links is None or not len(contacts):
        return pd.Series(dtype="object", name="customer_id")
    acc = contacts[(contacts["source_kind"] == "accounting_customers") & contacts["customer_code"].notna()]
    joined = acc[["record_id", "customer_code"]].merge(links[["record_id", "customer_id"]], on="record_id")
    joined = joined.dropna(subset=["customer_id"])
    if not len(joined):
        return pd.Series(dtype="object", name="customer_id")
    counted = joined.groupby(["customer_code", "customer_id"]).size().rename("n").reset_index()
    counted = counted.sort_values(["customer_code", "n", "customer_id"], ascending=[True, False, True])
    return counted.drop_duplicates("customer_code").set_index("customer_code")["customer_id"].rename("customer_id")


def _with_customer(frame: pd.DataFrame, owners: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    out["customer_id"] = out["customer_code"].map(owners).astype("object") if len(owners) else None
    code_key = CODE_PREFIX + out["customer_code"].astype("string")
    out["customer_key"] = out["customer_id"].astype("string").fillna(code_key).astype("object")
    return out


def known_on(invoices: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The settled invoices as they stood the day before ``day``: issued before it, paid only if paid before it.

    Used by the backtests to classify customers by the rule as of a past day without settling again. The
    amounts due are tonight's (a credit note issued after ``day`` is already applied); the class does not
    read amounts, only days late.
    """
    issued = pd.to_datetime(invoices["issued_on"], errors="coerce")
    stamp = pd.Timestamp(day)
    sub = invoices[(issued < stamp) & invoices["status"].isin(["paid", "overdue", "open"])]
    due = pd.to_datetime(sub["due_on"], errors="coerce")
    fully = pd.to_datetime(sub["fully_paid_on"], errors="coerce")
    last_day = stamp - pd.Timedelta(days=1)
    paid = (fully < stamp).to_numpy()
    passed = (due < last_day).to_numpy()
    from_due = np.where(paid, (fully - due).dt.days, np.where(passed, (last_day - due).dt.days, np.nan))
    out = sub[["customer_key", "currency", "issued_on", "due_on", "amount_due"]].copy()
    out["status"] = np.select([paid, passed], ["paid", "overdue"], "open")
    out["days_late"] = np.where(np.isnan(from_due), np.nan, np.maximum(from_due, 0))
    out["is_paid_on_time"] = keep_where(pd.Series(from_due <= 0, index=out.index), ~np.isnan(from_due))
    out["open_amount"] = np.where(paid, 0.0, sub["amount_due"].to_numpy(dtype="float64"))
    return out


def _rule_at(invoices: pd.DataFrame, settings: ReliabilitySettings, base_currency: str) -> Any:
    """The rule's class of every customer from what was known the day before ``day`` (for the backtests)."""

    def at(day: dt.date) -> pd.Series:
        past = known_on(invoices, day)
        m = customer_metrics(
            past, key="customer_key", as_of=day - dt.timedelta(days=1), settings=settings, base_currency=base_currency
        )
        return pd.Series(classify(m.customers, settings).to_numpy(), index=m.customers["customer_key"].to_numpy())

    return at


def assess(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    contacts: pd.DataFrame,
    links: pd.DataFrame | None,
    *,
    as_of: dt.date,
    run_id: str,
    settings: ReliabilitySettings,
    base_currency: str,
    notes: pd.Series | None = None,
) -> Assessment:
    """Settle the export and compute every customer's class, metrics and late-payment risk."""
    ledger: Ledger = settle(invoices, payments, as_of=as_of)
    owners = customer_of_code(contacts, links)
    inv = _with_customer(ledger.invoices, owners)
    pay = _with_customer(ledger.payments, owners)

    acc = customer_metrics(inv, key="customer_code", as_of=as_of, settings=settings, base_currency=base_currency)
    accounts = acc.customers
    accounts["reliability_class"] = classify(accounts, settings)
    accounts["trend"] = trend(accounts, settings)
    accounts["customer_id"] = accounts["customer_code"].map(owners).astype("object") if len(owners) else None

    cm = customer_metrics(inv, key="customer_key", as_of=as_of, settings=settings, base_currency=base_currency)
    universe = _universe(contacts, links, inv)
    customers = pd.DataFrame({"customer_key": universe}).merge(cm.customers, on="customer_key", how="left")
    customers["invoices"] = customers["invoices"].fillna(0).astype("int64")
    customers["invoices_due"] = customers["invoices_due"].fillna(0).astype("int64")
    customers["reliability_class"] = classify(customers, settings)
    customers["trend"] = trend(customers, settings)

    history = History.from_invoices(inv, "customer_key")
    lm = train(
        history,
        as_of=as_of,
        settings=settings,
        rule_at=_rule_at(inv, settings, base_currency),
    )
    customers["late_payment_risk"] = customer_risk(
        lm, history, customers["customer_key"], customers["reliability_class"], as_of=as_of
    ).to_numpy()
    customers = _customer_columns(customers, inv)
    balances = cm.balances.merge(
        customers[["customer_key", "customer_id", "customer_codes"]], on="customer_key", how="left"
    )

    failures = pd.DataFrame()
    note_counts: dict[str, int] = {}
    if notes is not None and links is not None and notes.notna().any():
        rows = contacts[["record_id", "source_name", "source_file", "sheet", "row_number", "responsible"]]
        rows = rows.merge(links[["record_id", "customer_id"]], on="record_id", how="left")
        failures, note_counts = disagreements(
            rows,
            notes.reset_index(drop=True),
            customers[customers["customer_id"].notna()],
            settings.note,
            as_of=as_of,
            run_id=run_id,
        )
    elif notes is not None and notes.notna().any():
        note_counts = {"notes": int(notes.notna().sum()), "notes_compared": 0}
        log.info("reliability notes not compared: no customer links in this run")

    counts = {
        "invoices": int((inv["document_type"] == "invoice").sum()),
        "credit_notes": int((inv["document_type"] == "credit_note").sum()),
        "negative_amount_invoices": int(inv["is_negative_amount"].sum()),
        "duplicate_invoice_numbers": int(inv["is_duplicate_number"].sum()),
        "credit_notes_not_applied": int(
            ((inv["document_type"] == "credit_note") & (inv["credit_status"] != "applied")).sum()
        ),
        "payments": len(pay),
        **{f"payments_{k}": int(v) for k, v in pay["status"].value_counts().items()},
        "payments_dated_before_invoice": int(pay["is_dated_before_invoice"].sum()),
        "customers": len(customers),
        "customers_by_class": {str(k): int(v) for k, v in customers["reliability_class"].value_counts().items()},
        **note_counts,
    }
    for frame in (inv, pay, accounts, customers, balances):
        frame["as_of"] = as_of
        frame["run_id"] = run_id
    return Assessment(
        invoices=inv.drop(columns=["customer_key"]),
        payments=pay.drop(columns=["customer_key"]),
        accounts=accounts,
        customers=customers,
        balances=balances,
        failures=failures,
        model=lm,
        counts=counts,
    )


def _universe(contacts: pd.DataFrame, links: pd.DataFrame | None, inv: pd.DataFrame) -> pd.Index:
    """Every customer the mart lists: linked customers (or accounting codes without links), and any invoiced."""
    keys = [inv["customer_key"].dropna()]
    if links is not None and len(links):
        keys.append(links["customer_id"].dropna().astype(str))
    elif len(contacts):
        acc = contacts[(contacts["source_kind"] == "accounting_customers") & contacts["customer_code"].notna()]
        keys.append(CODE_PREFIX + acc["customer_code"].astype(str))
    found: pd.Index = pd.Index(pd.unique(pd.concat(keys, ignore_index=True).to_numpy())).sort_values()
    return found


def _customer_columns(customers: pd.DataFrame, inv: pd.DataFrame) -> pd.DataFrame:
    """Split the roll-up key back into customer_id and the accounting codes it covers."""
    out = customers.copy()
    is_code = out["customer_key"].str.startswith(CODE_PREFIX)
    out["customer_id"] = keep_where(out["customer_key"], ~is_code).astype("object")
    codes = (
        inv[["customer_key", "customer_code"]]
        .dropna()
        .drop_duplicates()
        .sort_values(["customer_key", "customer_code"])
        .groupby("customer_key")["customer_code"]
        .agg(", ".join)
    )
    out["customer_codes"] = out["customer_key"].map(codes).astype("object")
    fallback = out["customer_key"].str.slice(len(CODE_PREFIX))
    out["customer_codes"] = out["customer_codes"].fillna(keep_where(fallback, is_code))
    out["late_payment_risk"] = np.round(out["late_payment_risk"].astype("float64"), 4)
    for c in ("invoices_overdue", "recent_invoices_due", "currencies", "oldest_overdue_days"):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    return out
