"""The late-payment model is trained every few nights and kept in between; the classes are computed every night."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.receivables.test_rules import SETTINGS, _invoices, _payments
from transforms.receivables.model_cache import (
    KEEP_MODELS,
    TrainedModel,
    keep_published_model,
    latest_before,
    model_folder,
    model_key,
    read_trained,
    reusable,
    write_trained,
)
from transforms.receivables.reliability import Assessment, assess

NIGHT = dt.date(2026, 6, 30)


def _ledger(customers: int = 80, per_customer: int = 12, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers who pay on time, a little late or much later, an invoice a month each: enough for a model."""
    rng = np.random.default_rng(seed)
    invoices, payments = [], []
    for c in range(customers):
        habit = rng.choice([0, 20, 75])
        for i in range(per_customer):
            issued = dt.date(2025, 6, 1) + dt.timedelta(days=30 * i + int(rng.integers(0, 10)))
            due = issued + dt.timedelta(days=14)
            number = f"FV/{c:03d}/{i:03d}"
            invoices.append((number, "invoice", f"K{c}", issued, due, float(rng.integers(50, 500)), "PLN", None))
            paid = due + dt.timedelta(days=int(max(0, rng.normal(habit, 5))))
            if paid <= NIGHT + dt.timedelta(days=20):
                payments.append((f"P{c}-{i}", number, f"K{c}", paid, invoices[-1][5], "PLN"))
    return _invoices(invoices), _payments(payments)


def _night(tmp_path: Path, as_of: dt.date, kept: TrainedModel | None, *, asked_full: bool = False) -> Assessment:
    inv, pay = _ledger()
    paid = pd.to_datetime(pay["paid_on"]).dt.date <= as_of  # what accounting knows that night
    contacts = pd.DataFrame(
        {
            "record_id": [f"acc:{c}" for c in range(80)],
            "source_name": "accounting",
            "source_kind": "accounting_customers",
            "source_file": "customers.csv",
            "sheet": "",
            "row_number": range(1, 81),
            "responsible": "accounting",
            "customer_code": [f"K{c}" for c in range(80)],
        }
    )
    folder = tmp_path / as_of.isoformat()
    folder.mkdir(exist_ok=True)
    return assess(
        inv[pd.to_datetime(inv["issued_on"]).dt.date <= as_of],
        pay[paid],
        contacts,
        None,
        as_of=as_of,
        run_id=f"night-{as_of}",
        settings=SETTINGS,
        base_currency="PLN",
        ledger=folder,
        kept_model=kept,
        asked_full=asked_full,
    )


def test_a_kept_model_scores_later_nights_until_it_is_due_again(tmp_path: Path) -> None:
    first = _night(tmp_path, NIGHT, None)
    assert first.trained_tonight and first.model.model is not None
    assert first.trained is not None and first.trained.trained_on == NIGHT
    staged = tmp_path / "run" / "trained_model.pkl"
    write_trained(staged, first.trained)
    folder = tmp_path / "models"
    assert keep_published_model(staged, folder, NIGHT) == folder / f"{NIGHT.isoformat()}.pkl"
    assert latest_before(folder, NIGHT) is None  # never tonight's own model
    kept = latest_before(folder, NIGHT + dt.timedelta(days=1))
    assert kept is not None and kept.key == first.trained.key and kept.trained_on == NIGHT

    next_day = NIGHT + dt.timedelta(days=1)
    scored = _night(tmp_path, next_day, kept)
    assert not scored.trained_tonight, scored.training_reason
    assert "kept from 2026-06-30" in scored.training_reason
    assert scored.trained is kept and scored.model is kept.model
    trained_again = _night(tmp_path, next_day, None)
    assert trained_again.trained_tonight
    # classes never come from the model: identical whether it is kept or trained again
    cols = ["customer_key", "reliability_class", "class_probability", "open_balance"]
    pd.testing.assert_frame_equal(scored.customers[cols], trained_again.customers[cols])
    risk_kept = scored.customers.set_index("customer_key")["late_payment_risk"]
    risk_new = trained_again.customers.set_index("customer_key")["late_payment_risk"]
    assert (risk_kept - risk_new).abs().max() < 0.1

    due = _night(tmp_path, NIGHT + dt.timedelta(days=SETTINGS.model.retrain_every_days), kept)
    assert due.trained_tonight and "trained every 7 day(s)" in due.training_reason
    full = _night(tmp_path, next_day, kept, asked_full=True)
    assert full.trained_tonight and "--full" in full.training_reason


def _kept(**overrides: object) -> TrainedModel:
    given: dict[str, object] = {"key": "k", "trained_on": NIGHT, "run_id": "r", "invoices": 1000, "model": None}
    return TrainedModel(**{**given, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "invoices", "key", "reason"),
    [
        (0, 1000, "k", "not before tonight"),  # a night run again trains its own model again
        (-1, 1000, "k", "not before tonight"),
        (7, 1000, "k", "trained every 7 day(s)"),
        (1, 1000, "other", "changed since the kept model was trained"),
        (1, 1101, "k", "changed by 10.1%"),
        (1, 899, "k", "changed by 10.1%"),
        (6, 1100, "k", "kept from"),  # the last day before it is due, 10% more invoices: still kept
        (1, 1000, "k", "kept from"),
    ],
)
def test_when_the_kept_model_is_trained_again(days: int, invoices: int, key: str, reason: str) -> None:
    kept = _kept()
    found, why = reusable(kept, key=key, as_of=NIGHT + dt.timedelta(days=days), invoices=invoices, settings=SETTINGS)
    assert reason in why
    assert (found is kept) == (reason == "kept from")


def test_the_key_follows_the_settings_but_not_the_schedule() -> None:
    base = model_key(SETTINGS, "PLN")
    sooner = SETTINGS.model_copy(update={"model": SETTINGS.model.model_copy(update={"retrain_every_days": 1})})
    assert model_key(sooner, "PLN") == base
    later = SETTINGS.model_copy(update={"model": SETTINGS.model.model_copy(update={"late_days": 45})})
    assert model_key(later, "PLN") != base
    assert model_key(SETTINGS, "EUR") != base


def test_each_company_keeps_its_own_models(tmp_path: Path) -> None:
    one = model_folder(tmp_path, sources="/a/sources.yml", warehouse_url="duckdb:///a.duckdb")
    other = model_folder(tmp_path, sources="/b/sources.yml", warehouse_url="duckdb:///a.duckdb")
    again = model_folder(tmp_path, sources="/a/sources.yml", warehouse_url="postgresql://h/db")
    assert len({one, other, again}) == 3


def test_the_model_of_the_latest_night_before_is_used_and_old_ones_removed(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    staged = tmp_path / "staged.pkl"
    for days in range(KEEP_MODELS + 2):
        night = NIGHT + dt.timedelta(days=days)
        write_trained(staged, _kept(trained_on=night, run_id=f"r{days}"))
        keep_published_model(staged, folder, night)
    assert len(list(folder.glob("*.pkl"))) == KEEP_MODELS
    assert not (folder / f"{NIGHT.isoformat()}.pkl").exists()  # the oldest went
    rerun = latest_before(folder, NIGHT + dt.timedelta(days=5))  # a past night run again: the model it had
    assert rerun is not None and rerun.run_id == "r4"
    assert latest_before(folder, NIGHT + dt.timedelta(days=30)).run_id == f"r{KEEP_MODELS + 1}"  # type: ignore[union-attr]
    assert keep_published_model(tmp_path / "none.pkl", folder, NIGHT) is None  # a night that trained none


def test_an_unreadable_kept_model_is_trained_again(tmp_path: Path) -> None:
    (tmp_path / "2026-06-29.pkl").write_bytes(b"not a model")
    assert latest_before(tmp_path, NIGHT) is None
    assert read_trained(tmp_path / "2026-06-29.pkl") is None
