"""How the number of segments is chosen (and when again), how durations are scaled, and what a segment's name says
about a customer gone quiet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from transforms.segments.assign import k_choice
from transforms.segments.model import fit_segments, make_preprocessor, to_feature_units
from transforms.segments.naming import describe_segment
from transforms.segments.night import read_previous_night
from transforms.segments.settings import ModelSettings, NamingSettings, load_segments_file
from transforms.settings.errors import SettingsError
from transforms.warehouse.engine import make_engine


def _groups(sizes: list[int], centres: list[tuple[float, float]], seed: int = 1) -> pd.DataFrame:
    """Customers in groups of known centres (invoices per year, complaints), spread as real groups are."""
    rng = np.random.default_rng(seed)
    rows = [
        rng.normal(loc=centre, scale=(0.08, 0.08), size=(size, 2)).clip(0, None)
        for size, centre in zip(sizes, centres, strict=True)
    ]
    values = np.exp(np.vstack(rows)) - 1
    return pd.DataFrame({"invoices_per_year": values[:, 0], "complaints": values[:, 1]})


def test_stability_finds_the_number_of_groups_present() -> None:
    # five groups of unequal size: fitted on any two samples, five segments come out the same; six or seven cut
    # the big group differently each time
    features = _groups([1500, 200, 200, 200, 200], [(1.0, 1.0), (2.5, 1.0), (1.0, 2.5), (2.5, 2.5), (1.75, 1.75)])
    model = load_segments_file().model.model_copy(
        update={
            "log_features": ["invoices_per_year", "complaints"],
            "ratio_features": [],
            "numeric_features": [],
            "flag_missing": [],
            "k_min": 3,
            "k_max": 7,
        }
    )
    assert model.criterion == "stability"
    fitted = fit_segments(features, model)
    assert fitted.k == 5, fitted.scores
    assert fitted.scores[5] > 0.95 > max(fitted.scores[6], fitted.scores[7])


def test_a_quiet_segment_is_named_inactive() -> None:
    everyone = pd.DataFrame(
        {
            "invoices_per_year": [2.0] * 8 + [0.5] * 4,
            "invoices": [6] * 8 + [2] * 4,
            "avg_invoice_index": [1.0] * 12,
            "tenure_days": [700.0] * 12,
            "complaints": [0] * 12,
            "mean_survey_score": [4.0] * 12,
            "late_payment_risk": [0.1] * 12,
            "interactions": [1] * 12,
            "activity_recent": [3] * 8 + [0] * 4,  # the last four bought years ago, nothing since
        }
    )
    settings = NamingSettings()
    assert describe_segment(everyone.iloc[8:], everyone, settings).endswith("inactive")
    assert "inactive" not in describe_segment(everyone.iloc[:8], everyone, settings)


def test_a_duration_is_logged_in_its_unit() -> None:
    # the 1 of log(1 + x) is one unit: in days, the first weeks of a new customer lie as far apart as years of an
    # old one; counted in months they do not, and centres still come back in days
    tenure = pd.DataFrame({"tenure_days": [3.0, 30.0, 365.0, 1095.0]})
    model = load_segments_file().model.model_copy(
        update={"log_features": ["tenure_days"], "ratio_features": [], "numeric_features": [], "flag_missing": []}
    )
    assert model.log_units == {"tenure_days": 30.44}

    def gaps(settings: ModelSettings) -> tuple[float, float]:
        z = make_preprocessor(settings).fit_transform(tenure)[:, 0]
        return z[1] - z[0], z[3] - z[2]

    new_in_days, old_in_days = gaps(model.model_copy(update={"log_units": {}}))
    new_in_months, old_in_months = gaps(model)
    assert new_in_days > old_in_days
    assert new_in_months < old_in_months
    pre = make_preprocessor(model)
    z = pre.fit_transform(tenure)
    assert np.allclose(to_feature_units(pre, z)["log__tenure_days"], tenure["tenure_days"])


def test_log_units_checked_but_not_against_a_company_s_own_list(tmp_path: Path) -> None:
    own = tmp_path / "segments.yml"
    own.write_text("model:\n  log_features: [invoices_per_year, complaints]\n", "utf-8")
    assert load_segments_file(own).model.log_units == {"tenure_days": 30.44}  # the defaults' unit stays harmless
    for bad in ("{surname: 2}", "{tenure_days: 0}"):
        own.write_text(f"model:\n  log_units: {bad}\n", "utf-8")
        with pytest.raises(SettingsError, match=r"model\.log_units"):
            load_segments_file(own)


def test_a_warehouse_from_before_the_k_columns_chooses_k_again(tmp_path: Path) -> None:
    # last night's segments as a warehouse published before k_chosen_on and model_key existed holds them
    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("create schema marts"))
            conn.execute(
                text(
                    "create table marts.segment_profile (segment_id bigint, segment_name varchar, customers bigint, "
                    "centre_json varchar, is_new boolean, k integer, criterion varchar, criterion_value double, "
                    "as_of date, run_id varchar)"
                )
            )
            conn.execute(
                text(
                    "insert into marts.segment_profile values "
                    "(1, 'a', 5, '{\"x\": 1.0}', true, 2, 'stability', 0.9, '2026-11-20', 'r1'), "
                    "(2, 'b', 7, '{\"x\": 2.0}', true, 2, 'stability', 0.9, '2026-11-20', 'r1')"
                )
            )
            conn.execute(
                text(
                    "create table marts.customer_segment (customer_id varchar, segment_id bigint, segment_name varchar)"
                )
            )
            conn.execute(text("insert into marts.customer_segment values ('C1', 1, 'a'), ('C2', 2, 'b')"))
        previous = read_previous_night(engine, dt.date(2026, 11, 21))
    finally:
        engine.dispose()
    assert previous is not None and "k_chosen_on" not in previous.profiles.columns
    assert previous.recorded("k") == 2 and previous.recorded("criterion_value") == 0.9
    settings = load_segments_file().model.model_copy(update={"k_min": 2})
    choose, why = k_choice(previous, settings, dt.date(2026, 11, 21))
    assert choose and "did not record" in why
