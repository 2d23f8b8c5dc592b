"""A stand-in for the linkage and receivables stages, built from the sample generator's truth (tests only).

The segment stage reads link/ and receivables/ from the run folder. For known-answer tests the true
customer of every staged row is taken from truth/rows.parquet, and invoices' lateness from
truth/invoices.parquet, so segments are scored on behaviour alone, not on linkage errors. Nothing in
transforms/ imports this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

_LOC = ["source_name", "source_file", "sheet", "row_number"]


def _true_ids(staged: pd.DataFrame, truth_rows: pd.DataFrame) -> pd.Series:
    rows = truth_rows[[*_LOC, "customer_id"]].copy()
    rows["row_number"] = rows["row_number"].astype("int64")
    rows["sheet"] = rows["sheet"].fillna("")
    left = staged[_LOC].copy()
    left["sheet"] = left["sheet"].fillna("")
    left["row_number"] = left["row_number"].astype("int64")
    return left.merge(rows, on=_LOC, how="left")["customer_id"].set_axis(staged.index)


def _mode(frame: pd.DataFrame, column: str) -> pd.Series:
    found = frame.dropna(subset=[column])
    counts = found.groupby(["customer_id", column]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", column], ascending=[True, False, True])
    return counts.drop_duplicates("customer_id").set_index("customer_id")[column]


def write_standin(sample_dir: Path, run_dir: Path) -> None:
    """Write link/ and receivables/ tables of the golden-record and reliability contracts from the truth."""
    truth = sample_dir / "truth"
    rows = pd.read_parquet(truth / "rows.parquet", columns=[*_LOC, "customer_id"])
    contacts = pd.read_parquet(run_dir / "standardize" / "contact.parquet")
    interactions = pd.read_parquet(run_dir / "standardize" / "interaction.parquet")
    run = {"as_of": contacts["as_of"].iloc[0], "run_id": contacts["run_id"].iloc[0]}

    contacts["customer_id"] = _true_ids(contacts, rows)
    contacts = contacts.dropna(subset=["customer_id"])
    links = contacts[["record_id", "source_name", "source_kind", "source_file", "sheet", "row_number", "customer_id"]]
    links = links.assign(match_probability=1.0, **run)

    dated = contacts[["record_id", "customer_id", "last_updated_on"]].merge(
        interactions[["record_id", "interaction_at"]], on="record_id", how="left"
    )
    dated["date"] = pd.to_datetime(dated["last_updated_on"], errors="coerce").fillna(
        pd.to_datetime(dated["interaction_at"], errors="coerce")
    )
    g = contacts.groupby("customer_id")
    customers = pd.DataFrame(
        {
            "given_name": g["given_name"].first(),
            "surname": g["surname"].first(),
            "full_name": g["full_name"].first(),
            "company": g["company"].first(),
            "email": g["email"].first(),
            "phone_e164": g["phone_e164"].first(),
            "street": g["street"].first(),
            "city": g["city"].first(),
            "postcode": g["postcode"].first(),
            "date_of_birth": g["date_of_birth"].first(),
            "country": _mode(contacts, "country"),
            "channel": _mode(contacts, "channel"),
            "account_manager": _mode(contacts, "responsible"),
            "first_seen_on": dated.groupby("customer_id")["date"].min().dt.date,
            "record_count": g.size(),
            "source_count": g["source_name"].nunique(),
            "sources": g["source_name"].agg(lambda s: ",".join(sorted(set(s)))),
        }
    )
    mandatory = customers[["surname", "phone_e164", "email", "date_of_birth", "street"]].notna()
    customers["completeness"] = mandatory.mean(axis=1)
    customers = customers.reset_index().assign(**run)

    invoices = pd.read_parquet(run_dir / "standardize" / "invoice.parquet")
    invoices["customer_id"] = _true_ids(invoices, rows)
    true_inv = pd.read_parquet(truth / "invoices.parquet")
    true_inv = true_inv[true_inv["document_type"] == "invoice"].drop_duplicates("invoice_number")
    inv = invoices.merge(
        true_inv[["invoice_number", "net_amount", "days_late", "status"]], on="invoice_number", how="left"
    )
    inv["amount_due"] = inv["net_amount"].fillna(inv["amount"].abs())
    inv["status"] = inv["status"].fillna("unusable")

    due = inv[inv["status"].isin(["paid", "overdue"]) & inv["customer_id"].notna()]
    rg = due.groupby("customer_id")
    rel = pd.DataFrame(
        {
            "median_days_late": rg["days_late"].median(),
            "share_paid_on_time": rg["days_late"].apply(lambda s: float((s.fillna(0) <= 0).mean())),
            "late_payment_risk": rg["days_late"].apply(lambda s: float((s.fillna(0) > 30).mean())),
        }
    )
    rel["reliability_class"] = np.select(
        [rel["median_days_late"] <= 0, rel["median_days_late"] <= 30, rel["median_days_late"] <= 120],
        ["on_time", "slight_delay", "significant_delay"],
        "non_payer",
    )
    rel = rel.reset_index().assign(**run)

    link_dir = run_dir / "link"
    recv_dir = run_dir / "receivables"
    link_dir.mkdir(exist_ok=True)
    recv_dir.mkdir(exist_ok=True)
    links.to_parquet(link_dir / "customer_source_record.parquet", index=False)
    customers.to_parquet(link_dir / "customer.parquet", index=False)
    inv.to_parquet(recv_dir / "invoice.parquet", index=False)
    rel.to_parquet(recv_dir / "customer_reliability.parquet", index=False)
