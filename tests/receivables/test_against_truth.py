"""The receivables stage against the generator's truth at 20,000 customers."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from transforms.pipeline.context import RunContext
from transforms.pipeline.receivables_stage import run_receivables
from transforms.receivables.classify import classify
from transforms.receivables.ledger import settle
from transforms.receivables.metrics import customer_metrics
from transforms.receivables.settings import load_reliability_file

AS_OF = dt.date(2026, 11, 20)
SQL = Path(__file__).resolve().parents[2] / "sql" / "warehouse"
LOCATION = ["source_name", "source_file", "sheet", "row_number"]


@pytest.fixture(scope="module")
def ledger(staged_20k: tuple[Path, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Settled invoices and payments of the staged company."""
    _, run_dir = staged_20k
    inv = pd.read_parquet(run_dir / "standardize" / "invoice.parquet")
    pay = pd.read_parquet(run_dir / "standardize" / "payment.parquet")
    out = settle(inv, pay, as_of=AS_OF)
    return out.invoices, out.payments


def test_class_accuracy_against_truth(staged_20k: tuple[Path, Path], ledger: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    sample, _ = staged_20k
    truth = pd.read_parquet(
        sample / "truth" / "customers.parquet", columns=["customer_id", "payment_class", "customer_codes"]
    )
    codes = truth.explode("customer_codes").dropna(subset=["customer_codes"])
    owner = codes.set_index("customer_codes")["customer_id"]
    inv = ledger[0].assign(true_id=lambda f: f["customer_code"].map(owner))
    assert inv["true_id"].notna().all()
    settings = load_reliability_file()
    m = customer_metrics(inv, key="true_id", as_of=AS_OF, settings=settings, base_currency="PLN").customers
    m["computed"] = classify(m, settings)
    m = m.merge(truth[["customer_id", "payment_class"]], left_on="true_id", right_on="customer_id")
    due = m[m["invoices_due"] > 0]
    assert len(due) > 15_000
    accuracy = float((due["computed"] == due["payment_class"]).mean())
    assert accuracy >= 0.98, accuracy


def test_invoices_against_truth_on_a_sample(
    staged_20k: tuple[Path, Path], ledger: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    sample, _ = staged_20k
    truth = pd.read_parquet(sample / "truth" / "invoices.parquet")
    inv, pay = ledger
    picked = truth.sample(n=5000, random_state=3)
    # The truth's canonical number equals our key once typing is ignored (FV/2025/000123 -> FV/2025/123).
    key = picked["invoice_number"].str.replace(r"/0+(\d)", r"/\1", regex=True)
    got = inv.set_index("invoice_key").loc[key.to_numpy()]
    assert (got["status"].to_numpy() == picked["status"].to_numpy()).all()
    real = picked["document_type"].to_numpy() == "invoice"
    assert np.allclose(
        got["paid_amount"].to_numpy(dtype=float)[real], picked["paid_amount"].to_numpy()[real], atol=0.011
    )
    ours = got["days_from_due"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    theirs = picked["days_late"].to_numpy(dtype=float, na_value=np.nan)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    # A payment typed with a date before its invoice moves the full-payment day: the only allowed difference.
    doubtful = set(pay.loc[pay["is_dated_before_invoice"], "invoice_key"])
    assert set(got.index[~same]) <= doubtful
    assert same.mean() >= 0.99
    clipped = got["days_late"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    assert (np.nan_to_num(clipped[same], nan=-1) == np.nan_to_num(np.maximum(theirs[same], 0), nan=-1)).all()


def _table_columns(schema: str, table: str) -> list[str]:
    text = (SQL / schema / f"{table}.sql").read_text("utf-8")
    body = text[text.index("(") + 1 : text.index(");")]
    return [m.group(1) for m in re.finditer(r"^\s+([a-z_]+) ", body, flags=re.M)]


def test_stage_without_then_with_links(staged_20k: tuple[Path, Path]) -> None:
    sample, run_dir = staged_20k
    ctx = RunContext.load(run_dir)
    link_dir = run_dir / "link"
    assert not link_dir.exists()
    run_receivables(ctx)
    out = run_dir / "receivables"
    unlinked = pd.read_parquet(out / "customer_reliability.parquet")
    assert unlinked["customer_id"].isna().all()
    assert unlinked["customer_codes"].notna().all()
    assert not (out / "reliability_note_failure.parquet").exists()

    # The linkage stage's contract, filled from the truth for this test.
    contacts = pd.read_parquet(run_dir / "standardize" / "contact.parquet")
    rows = pd.read_parquet(sample / "truth" / "rows.parquet", columns=[*LOCATION, "customer_id"])
    links = contacts[["record_id", *LOCATION, "source_kind"]].merge(rows, on=LOCATION)
    link_dir.mkdir()
    links.to_parquet(link_dir / "customer_source_record.parquet")
    run_receivables(ctx)

    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    published = {(p["schema"], p["table"], p["mode"]) for p in manifest["publish"]}
    assert ("marts", "customer_reliability_history", "history") in published
    assert ("dq", "failure", "history") in published
    for entry in manifest["publish"]:
        if entry["path"]:
            cols = set(pd.read_parquet(entry["path"]).columns)
            missing = set(_table_columns(entry["schema"], entry["table"])) - cols
            assert not missing, (entry["table"], missing)

    customers = pd.read_parquet(out / "customer_reliability.parquet")
    truth = pd.read_parquet(sample / "truth" / "customers.parquet", columns=["customer_id", "payment_class"])
    linked = customers.merge(truth, on="customer_id")
    assert len(linked) == len(truth)
    due = linked[linked["invoices_due"] > 0]
    assert (due["reliability_class"] == due["payment_class"]).mean() >= 0.98
    assert customers["late_payment_risk"].between(0, 1).all()
    assert (out / "model.html").read_text("utf-8").count("data:image/png;base64,") == 1

    failures = pd.read_parquet(out / "reliability_note_failure.parquet")
    assert set(failures["rule"]) == {"reliability_note_disagrees"}
    assert set(failures["severity"]) == {"info"}
    assert failures["responsible"].notna().all()
    assert failures["message"].str.contains("accounting shows").all()
    assert 0 < len(failures) < manifest["counts"]["notes_compared"] * 0.2
