"""The whole assessment on hand-made rows: roll-up to linked customers, staged files read in place, notes.

Narrow fixtures as in test_rules.py; here ``assess`` runs end to end (it writes the settled ledger to a folder).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.receivables.test_rules import AS_OF, SETTINGS, _invoices, _payments
from transforms.receivables.ledger import settle
from transforms.receivables.metrics import customer_metrics
from transforms.receivables.reliability import assess
from transforms.receivables.settings import GRADED_CLASSES

_METRICS = ["invoices", "invoices_due", "share_paid_on_time", "median_days_late", "weighted_days_late", "open_balance"]


def _company() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Three accounting codes; K1 and K2 are one person (linked to C1), K3 is another (C2)."""
    inv = _invoices(
        [
            ("FV/2026/000001", "invoice", "K1", "2026-01-01", "2026-01-15", 100.0, "PLN", None),
            ("FV/2026/000002", "invoice", "K1", "2026-02-01", "2026-02-15", 300.0, "PLN", None),
            ("FV/2026/000003", "invoice", "K2", "2026-03-01", "2026-03-15", 50.0, "PLN", None),
            ("FV/2026/000004", "invoice", "K2", "2026-04-01", "2026-04-15", 80.0, "PLN", None),
            ("FV/2026/000005", "invoice", "K3", "2026-01-01", "2026-01-31", 10.0, "PLN", None),
        ]
    )
    pay = _payments(
        [
            ("P1", "FV/2026/000001", "K1", "2026-01-10", 100.0, "PLN"),
            ("P2", "FV/2026/000002", "K1", "2026-03-20", 300.0, "PLN"),
            ("P3", "FV/2026/000003", "K2", "2026-03-15", 50.0, "PLN"),
            ("P4", "FV/2026/000005", "K3", "2026-05-01", 10.0, "PLN"),
        ]
    )
    contacts = pd.DataFrame(
        {
            "record_id": ["acc:1", "acc:2", "acc:3", "sheet:1"],
            "source_name": ["accounting"] * 3 + ["sheet"],
            "source_kind": ["accounting_customers"] * 3 + ["spreadsheet"],
            "source_file": ["customers.csv"] * 3 + ["anna.xlsx"],
            "sheet": ["", "", "", "Clients"],
            "row_number": [1, 2, 3, 7],
            "responsible": ["accounting"] * 3 + ["Anna"],
            "customer_code": ["K1", "K2", "K3", None],
            "attributes": [None, None, None, json.dumps({"reliability_note": "always pays on time"})],
        }
    )
    links = pd.DataFrame({"record_id": ["acc:1", "acc:2", "acc:3", "sheet:1"], "customer_id": ["C1", "C1", "C2", "C1"]})
    return inv, pay, contacts, links


def _assess(tmp_path: Path, links: pd.DataFrame | None, **kw: object) -> tuple[pd.DataFrame, object]:
    inv, pay, contacts, _ = _company()
    result = assess(
        inv,
        pay,
        contacts,
        links,
        as_of=AS_OF,
        run_id="night",
        settings=SETTINGS,
        base_currency="PLN",
        ledger=tmp_path,
        **kw,  # type: ignore[arg-type]
    )
    return result.customers.set_index("customer_key"), result


def test_a_customer_with_two_codes_is_rolled_up_over_both(tmp_path: Path) -> None:
    inv, pay, _, links = _company()
    customers, result = _assess(tmp_path, links)
    assert sorted(customers.index) == ["C1", "C2"]
    assert customers.loc["C1", "customer_codes"] == "K1, K2"
    # The same figures as rolling up the four invoices of K1 and K2 under one key.
    settled = settle(inv, pay, as_of=AS_OF).invoices
    settled["who"] = settled["customer_code"].map({"K1": "C1", "K2": "C1", "K3": "C2"})
    direct = customer_metrics(settled, key="who", as_of=AS_OF, settings=SETTINGS, base_currency="PLN").customers
    direct = direct.set_index("who")
    for c in _METRICS:
        for who in ("C1", "C2"):
            assert customers.loc[who, c] == pytest.approx(direct.loc[who, c], nan_ok=True), (who, c)
    accounts = result.accounts.set_index("customer_code")  # type: ignore[attr-defined]
    assert accounts.loc["K1", "customer_id"] == "C1" and accounts.loc["K3", "customer_id"] == "C2"
    assert accounts.loc["K1", "invoices"] == 2


def test_without_links_customers_are_accounting_codes(tmp_path: Path) -> None:
    customers, _ = _assess(tmp_path, None)
    assert sorted(customers.index) == ["code:K1", "code:K2", "code:K3"]
    assert customers["customer_id"].isna().all()
    assert customers.loc["code:K2", "customer_codes"] == "K2"


def test_ledger_is_written_with_every_staged_row(tmp_path: Path) -> None:
    _, result = _assess(tmp_path, None)
    invoices = pq.read_table(result.invoices).to_pandas()  # type: ignore[attr-defined]
    payments = pq.read_table(result.payments).to_pandas()  # type: ignore[attr-defined]
    assert sorted(invoices["record_id"]) == [f"invoices.csv:{i}" for i in range(5)]
    assert len(payments) == 4 and (payments["status"] == "applied").all()
    assert set(invoices["run_id"]) == {"night"} and set(invoices["as_of"]) == {AS_OF}
    assert "input_order" not in invoices.columns and "customer_key" not in invoices.columns


def test_staged_parquet_files_are_read_in_place(tmp_path: Path) -> None:
    inv, pay, contacts, links = _company()
    files = {}
    for name, frame in {"inv": inv, "pay": pay, "contacts": contacts, "links": links}.items():
        files[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(files[name])
    out = tmp_path / "out"
    out.mkdir()
    from_files = assess(
        files["inv"],
        files["pay"],
        files["contacts"],
        files["links"],
        as_of=AS_OF,
        run_id="night",
        settings=SETTINGS,
        base_currency="PLN",
        ledger=out,
    )
    from_frames, _ = _assess(tmp_path, links)
    got = from_files.customers.set_index("customer_key")
    pd.testing.assert_frame_equal(got[_METRICS], from_frames[_METRICS])


def test_note_in_attributes_disagreeing_with_accounting_is_reported(tmp_path: Path) -> None:
    _, inv_result = _assess(tmp_path, _company()[3], note_field="attributes.reliability_note")
    failures = inv_result.failures  # type: ignore[attr-defined]
    counts = inv_result.counts  # type: ignore[attr-defined]
    assert counts["notes"] == 1
    # C1 paid one invoice 33 days late and has one overdue: not "on time".
    assert len(failures) == 1
    row = failures.iloc[0]
    assert (row["source_file"], row["row_number"], row["responsible"]) == ("anna.xlsx", 7, "Anna")
    assert "on time" in row["message"]


def test_invoices_without_a_number_are_unusable_not_duplicates() -> None:
    inv = _invoices(
        [
            (None, "invoice", "K1", "2026-01-01", "2026-01-15", 100.0, "PLN", None),
            ("  ", "invoice", "K1", "2026-01-02", "2026-01-16", 100.0, "PLN", None),
        ]
    )
    out = settle(inv, _payments([]), as_of=AS_OF).invoices
    assert out["status"].tolist() == ["unusable", "unusable"]
    assert not out["is_duplicate_number"].any()


def test_duplicate_payment_rows_with_empty_fields_count_once() -> None:
    inv = _invoices([("FV/2026/000090", "invoice", "K1", "2026-01-01", "2026-01-31", 100.0, "PLN", None)])
    row = (None, "FV/2026/000090", None, "2026-01-10", 60.0, "PLN")
    out = settle(inv, _payments([row, row]), as_of=AS_OF)
    assert out.payments["status"].tolist() == ["applied", "duplicate"]
    assert out.invoices.iloc[0]["paid_amount"] == pytest.approx(60.0)


def test_dates_typed_as_text_with_times_are_read() -> None:
    inv = _invoices([("FV/2026/000091", "invoice", "K1", "2026-01-01 00:00:00", "2026-01-31", 10.0, "PLN", None)])
    out = settle(inv, _payments([]), as_of=AS_OF).invoices.iloc[0]
    assert out["issued_on"] == dt.date(2026, 1, 1)
    assert out["status"] == "overdue"


def test_each_class_comes_with_its_reason_and_the_median_rule_beside(tmp_path: Path) -> None:
    customers, _ = _assess(tmp_path, _company()[3])
    for who in ("C1", "C2"):
        row = customers.loc[who]
        assert row["reliability_reason"].startswith(f"{row['invoices_due']} invoice")
        assert row["reliability_class"].replace("_", " ") in row["reliability_reason"]
        assert row["class_certainty"] in {"sure", "uncertain"} and 0.25 <= row["class_probability"] <= 1
        assert row["median_rule_class"] in GRADED_CLASSES
    assert customers.loc["C2", "class_certainty"] == "uncertain"  # one invoice due
    assert "1 invoice due: 1 paid 90 days late" in customers.loc["C2", "reliability_reason"]


def test_the_median_rule_alone_when_the_company_asks_for_it(tmp_path: Path) -> None:
    median = SETTINGS.model_copy(update={"classes": SETTINGS.classes.model_copy(update={"method": "median"})})
    inv, pay, contacts, links = _company()
    result = assess(
        inv, pay, contacts, links, as_of=AS_OF, run_id="n", settings=median, base_currency="PLN", ledger=tmp_path
    )
    for frame in (result.customers, result.accounts):
        assert (frame["reliability_class"] == frame["median_rule_class"]).all()
