"""The late-payment model is trained every few nights and kept in between; the classes are computed every night."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.receivables.test_rules import SETTINGS, _invoices, _payments
from transforms.receivables.model_cache import (
    TrainedModel,
    load_trained,
    model_key,
    reusable,
    save_trained,
)
from transforms.receivables.reliability import Assessment, assess
from transforms.receivables.settings import ReliabilitySettings

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


def _night(
    tmp_path: Path, as_of: dt.date, kept: TrainedModel | None, settings: ReliabilitySettings = SETTINGS
) -> Assessment:
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
        settings=settings,
        base_currency="PLN",
        ledger=folder,
        kept_model=kept,
    )


def test_a_kept_model_scores_later_nights_until_it_is_due_again(tmp_path: Path) -> None:
    first = _night(tmp_path, NIGHT, None)
    assert first.trained_tonight and first.model.model is not None
    assert first.trained is not None and first.trained.trained_on == NIGHT
    path = tmp_path / "cache" / "late_payment.pkl"
    save_trained(path, first.trained)
    kept = load_trained(path)
    assert kept is not None and kept.key == first.trained.key

    next_day = NIGHT + dt.timedelta(days=1)
    scored = _night(tmp_path, next_day, kept)
    assert not scored.trained_tonight, scored.training_reason
    assert scored.trained is kept and scored.model is kept.model
    # the night's own risks: the kept model on tonight's history scores as the model trained tonight would
    trained_again = _night(tmp_path, next_day, None)
    assert trained_again.trained_tonight
    # classes never come from the model: identical whether it is kept or trained again
    cols = ["customer_key", "reliability_class", "class_probability", "open_balance"]
    pd.testing.assert_frame_equal(scored.customers[cols], trained_again.customers[cols])
    risk_kept = scored.customers.set_index("customer_key")["late_payment_risk"]
    risk_new = trained_again.customers.set_index("customer_key")["late_payment_risk"]
    assert (risk_kept - risk_new).abs().max() < 0.2

    due = NIGHT + dt.timedelta(days=SETTINGS.model.retrain_every_days)
    assert _night(tmp_path, due, kept).trained_tonight


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"as_of": NIGHT - dt.timedelta(days=1)}, "after tonight"),
        ({"key": "another"}, "changed since it was trained"),
        ({"invoices": 2000}, "changed by"),
        ({}, "trained as of"),
    ],
)
def test_when_the_kept_model_is_trained_again(change: dict[str, object], reason: str) -> None:
    model = object.__new__(TrainedModel)
    kept = TrainedModel(key="k", trained_on=NIGHT, run_id="r", invoices=1000, model=model)  # type: ignore[arg-type]
    args = {"key": "k", "as_of": NIGHT + dt.timedelta(days=2), "invoices": 1050, **change}
    found, why = reusable(kept, settings=SETTINGS, **args)  # type: ignore[arg-type]
    assert reason in why
    assert (found is kept) == (change == {})


def test_the_key_follows_the_settings_but_not_the_schedule() -> None:
    base = model_key(SETTINGS, "PLN")
    sooner = SETTINGS.model_copy(update={"model": SETTINGS.model.model_copy(update={"retrain_every_days": 1})})
    assert model_key(sooner, "PLN") == base
    later = SETTINGS.model_copy(update={"model": SETTINGS.model.model_copy(update={"late_days": 45})})
    assert model_key(later, "PLN") != base
    assert model_key(SETTINGS, "EUR") != base


def test_an_unreadable_kept_model_is_trained_again(tmp_path: Path) -> None:
    path = tmp_path / "late_payment.pkl"
    path.write_bytes(b"not a model")
    assert load_trained(path) is None
    assert load_trained(tmp_path / "none.pkl") is None


def test_a_model_for_an_earlier_night_does_not_replace_a_later_one(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    later = TrainedModel(key="k", trained_on=NIGHT, run_id="later", invoices=1, model=None)  # type: ignore[arg-type]
    earlier = TrainedModel(key="k", trained_on=NIGHT - dt.timedelta(days=3), run_id="earlier", invoices=1, model=None)  # type: ignore[arg-type]
    save_trained(path, later)
    save_trained(path, earlier)
    kept = load_trained(path)
    assert kept is not None and kept.run_id == "later"
