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
