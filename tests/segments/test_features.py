"""Features from small hand-made tables, each figure checked against what it must be."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from transforms.segments.features import build_features, classify_interactions, normalize_channels
from transforms.segments.settings import load_segments_file

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def features() -> pd.DataFrame:
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "channel": ["Радио", "polecenie", None],
            "account_manager": ["Anna", "Anna", "John"],
            "country": ["PL", "PL", "US"],
            "first_seen_on": [dt.date(2025, 11, 20), dt.date(2026, 10, 1), None],
            "completeness": [1.0, 0.5, 0.75],
            "record_count": [3, 1, 1],
            "source_count": [2, 1, 1],
        }
    )
    links = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4"], "customer_id": ["A", "A", "A", "B"]})
    interactions = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "interaction_at": pd.to_datetime(["2026-11-01", "2026-10-01", "2025-01-01", "2026-11-10"]),
            "interaction_type": ["call_log", "call_log", "visits", "Wizyta"],
            "survey_score": [1.0, 3.0, None, 5.0],
            "is_complaint": [True, None, False, False],
            "tags": [None, '["complaint"]', "[]", None],
            "preferences": [None, None, None, None],
        }
    )
    contacts = pd.DataFrame(
        {
            "record_id": ["r1", "r3", "r4"],
            "attributes": [
                '{"preferred_brands": "[\\"Bosch\\", \\"LG\\"]"}',
                '{"preferred_brands": "Bosch; Miele"}',
                "{}",
            ],
        }
    )
    invoices = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "C", "C"],
            "issued_on": [
                dt.date(2026, 1, 1),
                dt.date(2026, 6, 1),
                dt.date(2026, 7, 1),
                dt.date(2026, 11, 1),
                dt.date(2026, 2, 1),
                dt.date(2020, 1, 1),
            ],
            "amount_due": [100.0, 300.0, 999.0, 50.0, 80.0, 10.0],
            "currency": ["PLN", "PLN", "PLN", "PLN", "USD", "USD"],
            "status": ["paid", "overdue", "cancelled", "open", "paid", "paid"],
            "document_type": ["invoice"] * 6,
        }
    )
    reliability = pd.DataFrame(
        {
            "customer_id": ["A"],
            "reliability_class": ["slight_delay"],
            "late_payment_risk": [0.4],
            "median_days_late": [12.0],
            "share_paid_on_time": [0.5],
        }
    )
    return build_features(
        customers,
        links,
        interactions,
        contacts,
        invoices,
        reliability,
        as_of=AS_OF,
        settings=load_segments_file().features,
        base_currency="PLN",
    ).set_index("customer_id")


def test_channels_in_any_language(features: pd.DataFrame) -> None:
    assert features["channel"].to_dict() == {"A": "radio", "B": "referral", "C": "unknown"}


def test_invoices_frequency_and_spend(features: pd.DataFrame) -> None:
    a, b, c = features.loc["A"], features.loc["B"], features.loc["C"]
    assert a["invoices"] == 2  # the cancelled one left out
    assert a["spend"] == pytest.approx(400.0)
    assert a["avg_invoice_amount"] == pytest.approx(200.0)
    assert a["invoices_per_year"] == pytest.approx(2 / (365 / 365.25))
    assert a["days_since_last_invoice"] == (AS_OF - dt.date(2026, 6, 1)).days
    assert b["invoices_per_year"] == pytest.approx(1 / (365 / 365.25))  # a first year counts as a whole year
    assert c["invoices"] == 1  # 2020 is outside the window
    assert c["spend_currency"] == "USD"  # never added to PLN
    assert c["avg_invoice_index"] == pytest.approx(1.0)  # the only USD customer is the typical one
    assert a["avg_invoice_index"] == pytest.approx(200 / 125)  # median of PLN customers: 200 and 50


def test_recent_activity_tells_a_quiet_customer_from_an_active_one(features: pd.DataFrame) -> None:
    a, b, c = features.loc["A"], features.loc["B"], features.loc["C"]
    assert (a["invoices_recent"], a["interactions_recent"], a["activity_recent"]) == (2, 2, 4)  # 2025-01-01 is older
    assert (b["invoices_recent"], b["interactions_recent"], b["activity_recent"]) == (1, 1, 2)
    assert (c["invoices_recent"], c["interactions_recent"], c["activity_recent"]) == (1, 0, 1)
    assert a["days_since_last_activity"] == 19  # the call of 2026-11-01, later than the last invoice
    assert c["days_since_last_activity"] == (AS_OF - dt.date(2026, 2, 1)).days


def test_a_customer_gone_quiet_has_no_recent_activity() -> None:
    customers = pd.DataFrame({"customer_id": ["Q"], "channel": ["radio"], "first_seen_on": [dt.date(2023, 1, 1)]})
    invoices = pd.DataFrame(
        {
            "customer_id": ["Q", "Q"],
            "issued_on": [dt.date(2024, 3, 1), dt.date(2025, 6, 1)],
            "amount_due": [100.0, 100.0],
            "currency": ["PLN", "PLN"],
            "status": ["paid", "paid"],
            "document_type": ["invoice", "invoice"],
        }
    )
    empty = pd.DataFrame({"record_id": pd.Series(dtype=str), "customer_id": pd.Series(dtype=str)})
    journal = pd.DataFrame({c: pd.Series(dtype=object) for c in ("record_id", "interaction_at", "interaction_type")})
    journal = journal.assign(survey_score=pd.Series(dtype=float))
    row = build_features(
        customers,
        empty,
        journal,
        pd.DataFrame({"record_id": pd.Series(dtype=str), "attributes": pd.Series(dtype=str)}),
        invoices,
        pd.DataFrame({"customer_id": pd.Series(dtype=str)}),
        as_of=AS_OF,
        settings=load_segments_file().features,
        base_currency="PLN",
    ).iloc[0]
    assert row["invoices"] == 2 and row["invoices_per_year"] > 0
    assert (row["invoices_recent"], row["activity_recent"]) == (0, 0)
    assert row["days_since_last_activity"] == (AS_OF - dt.date(2025, 6, 1)).days


def test_interactions_complaints_scores(features: pd.DataFrame) -> None:
    a = features.loc["A"]
    assert (a["interactions"], a["calls"], a["visits"]) == (3, 2, 1)
    assert a["complaints"] == 2  # one by the column, one by its tag
    assert a["complaints_recent"] == 2
    assert a["mean_survey_score"] == pytest.approx(2.0)
    assert a["days_since_last_call"] == 19
    assert features.loc["B", "visits"] == 1  # "Wizyta" is a visit
    assert features.loc["C", "interactions"] == 0


def test_preferences_and_reliability(features: pd.DataFrame) -> None:
    assert features.loc["A", "preferred_brands"] == "Bosch, LG, Miele"
    assert pd.isna(features.loc["B", "preferred_brands"])
    assert features.loc["A", "reliability_class"] == "slight_delay"
    assert features.loc["B", "reliability_class"] == "no_history"
    assert features.loc["A", "tenure_days"] == 365


def test_segment_labels_fold_like_every_other_label() -> None:
    # segments.yml's own channel and interaction words are compared as the standardizer compares labels
    # (transforms.standardize.text.fold_label): full-width forms, zero-width characters, case and spacing ignored.
    written = pd.Series(["ＲＡＤＩＯ", "ra\u200bdio  ", None, "", "billboard"])
    assert normalize_channels(written, {"radio": []}).tolist() == ["radio", "radio", "unknown", "unknown", "other"]
    types = pd.Series(["ＶＩＳＩＴ  log", "Phone CALL", None])
    assert classify_interactions(types, {"visit": ["Visit"], "call": ["call"]}).tolist() == ["visit", "call", "other"]
