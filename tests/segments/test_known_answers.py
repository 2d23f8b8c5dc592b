"""Segments against the generator's latent behaviour profiles, and their stability from night to night."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from tests.segments.conftest import KnownAnswers
from transforms.segments.assign import PreviousNight, SegmentResult, segment_customers
from transforms.segments.settings import load_segments_file

NIGHT_1 = dt.date(2026, 11, 20)
_CHANGED = ["invoices_per_year", "avg_invoice_index", "tenure_days", "complaints", "mean_survey_score", "invoices"]


def _night(features: pd.DataFrame, previous: PreviousNight | None, as_of: dt.date) -> SegmentResult:
    return segment_customers(
        features, load_segments_file(), previous, as_of=as_of, run_id=str(as_of), base_currency="PLN"
    )


def _previous(result: SegmentResult) -> PreviousNight:
    return PreviousNight(
        result.profiles[["segment_id", "segment_name", "centre_json"]],
        result.assignments[["customer_id", "segment_id", "segment_name"]],
    )


def test_segments_recover_behaviour_profiles(known_20k: KnownAnswers) -> None:
    first = _night(known_20k.features, None, NIGHT_1)
    ari = adjusted_rand_score(known_20k.profiles.to_numpy(), first.assignments["segment_id"].to_numpy())
    print(f"adjusted Rand index at 20k customers: {ari:.3f} (k={first.summary['k']})")
    assert ari >= 0.6
    assert first.profiles["customers"].sum() == len(known_20k.features)
    assert first.profiles["segment_name"].is_unique


def test_two_percent_changed_keeps_segments(known_20k: KnownAnswers) -> None:
    features = known_20k.features
    first = _night(features, None, NIGHT_1)
    rng = np.random.default_rng(3)
    rows = rng.choice(len(features), size=len(features) // 50, replace=False)
    donors = rng.choice(len(features), size=len(rows), replace=False)
    changed = features.copy()
    changed.loc[changed.index[rows], _CHANGED] = features.iloc[donors][_CHANGED].to_numpy()
    second = _night(changed, _previous(first), NIGHT_1 + dt.timedelta(days=1))
    same = (first.assignments["segment_id"].to_numpy() == second.assignments["segment_id"].to_numpy()).mean()
    print(f"customers keeping their segment id after 2% of rows changed: {same:.3%}")
    assert same >= 0.95
    assert set(second.profiles["segment_id"]) == set(first.profiles["segment_id"])
    names = dict(zip(first.profiles["segment_id"], first.profiles["segment_name"], strict=True))
    assert dict(zip(second.profiles["segment_id"], second.profiles["segment_name"], strict=True)) == names
    moved = second.movements
    assert len(moved) == int((first.assignments["segment_id"] != second.assignments["segment_id"]).sum())
    assert (moved["movement"] == "moved").all()
    assert (moved["from_segment_id"] != moved["to_segment_id"]).all()


def _recorded(result: SegmentResult) -> PreviousNight:
    """Last night as the warehouse holds it, with when and how k was chosen."""
    columns = ["segment_id", "segment_name", "centre_json", "k", "criterion_value", "k_chosen_on", "model_key"]
    return PreviousNight(
        result.profiles[columns].copy(), result.assignments[["customer_id", "segment_id", "segment_name"]]
    )


def test_k_is_kept_between_choices_and_chosen_again_on_schedule(known_20k: KnownAnswers) -> None:
    features = known_20k.features
    settings = load_segments_file()
    first = _night(features, None, NIGHT_1)
    assert first.summary["k_chosen_tonight"] and first.summary["k_chosen_on"] == NIGHT_1.isoformat()
    assert len(first.summary["scores"]) > 1  # every k of the range tried

    next_day = NIGHT_1 + dt.timedelta(days=1)
    kept = _night(features, _recorded(first), next_day)
    assert not kept.summary["k_chosen_tonight"]
    assert list(kept.summary["scores"]) == [str(first.summary["k"])]  # one fit, from last night's centres
    assert (kept.profiles["k_chosen_on"] == NIGHT_1).all()
    # the same segments as a night that tries every k again and keeps last night's
    chosen = segment_customers(
        features,
        settings.model_copy(update={"model": settings.model.model_copy(update={"choose_k_every_days": 1})}),
        _recorded(first),
        as_of=next_day,
        run_id="again",
        base_currency="PLN",
    )
    assert chosen.summary["k_chosen_tonight"] and chosen.summary["warm_started"]
    assert chosen.assignments["segment_id"].tolist() == kept.assignments["segment_id"].tolist()

    week_later = NIGHT_1 + dt.timedelta(days=settings.model.choose_k_every_days)
    again = _night(features, _recorded(kept), week_later)
    assert again.summary["k_chosen_tonight"], again.summary["k_choice"]
    assert (again.profiles["k_chosen_on"] == week_later).all()


def test_k_is_chosen_again_when_its_basis_changed(known_20k: KnownAnswers) -> None:
    features = known_20k.features
    first = _night(features, None, NIGHT_1)
    next_day = NIGHT_1 + dt.timedelta(days=1)
    old_warehouse = _night(features, _previous(first), next_day)  # no record of when k was chosen
    assert old_warehouse.summary["k_chosen_tonight"]
    assert "did not record" in old_warehouse.summary["k_choice"]

    rerun = _night(features, _recorded(first), NIGHT_1)  # the night that chose k, run again: chooses again
    assert rerun.summary["k_chosen_tonight"] and "chosen on 2026-11-20" in rerun.summary["k_choice"]
    asked = segment_customers(
        features, load_segments_file(), _recorded(first), as_of=next_day, run_id="y", base_currency="PLN", choose_k=True
    )
    assert asked.summary["k_chosen_tonight"] and "--full" in asked.summary["k_choice"]

    settings = load_segments_file()
    other = settings.model_copy(update={"model": settings.model.model_copy(update={"stability_pairs": 4})})
    changed = segment_customers(features, other, _recorded(first), as_of=next_day, run_id="x", base_currency="PLN")
    assert changed.summary["k_chosen_tonight"] and "settings" in changed.summary["k_choice"]

    # last night's segments fit tonight's customers clearly worse than last night's did: k is chosen again, by a
    # criterion that measures the fit (silhouette); stability's night-to-night changes are its samples' noise
    worse = _recorded(first)
    worse.profiles["criterion_value"] = float(first.profiles["criterion_value"].iloc[0]) + 0.5
    assert not _night(features, worse, next_day).summary["k_chosen_tonight"]
    fit = settings.model_copy(update={"model": settings.model.model_copy(update={"criterion": "silhouette"})})
    by_fit = segment_customers(features, fit, None, as_of=NIGHT_1, run_id="s1", base_currency="PLN")
    worse = _recorded(by_fit)
    worse.profiles["criterion_value"] = float(by_fit.profiles["criterion_value"].iloc[0]) + 0.5
    drifted = segment_customers(features, fit, worse, as_of=next_day, run_id="s2", base_currency="PLN")
    assert drifted.summary["k_chosen_tonight"] and "chosen again" in drifted.summary["k_choice"]
