"""Journal entries: a visit date or score that cannot be used is reported, never silently dropped."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tests.support import staged_rows
from transforms.standardize.records import ReadingRules, standardize_interactions


def test_impossible_visit_date_and_unreadable_score_are_reported() -> None:
    raw = staged_rows(
        "visits",
        "journal",
        "visits.jsonl",
        first_physical_row=1,
        interaction_at=["2026-02-30", "2026-01-05T10:00:00", "05.01.2026", None],
        survey_score=["4", "x", None, "3,5"],
    )
    rules = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 11, 20))
    out, issues = standardize_interactions(raw, rules=rules)
    assert out["interaction_at"].tolist()[1:3] == [pd.Timestamp("2026-01-05 10:00"), pd.Timestamp("2026-01-05")]
    assert pd.isna(out["interaction_at"].iloc[0]) and out["survey_score"].iloc[3] == 3.5
    found = set(zip(issues["row_number"], issues["field"], issues["issue"], issues["raw_value"], strict=True))
    assert found == {(1, "interaction_at", "impossible", "2026-02-30"), (2, "survey_score", "unparseable", "x")}
    assert raw["interaction_at"].iloc[0] == "2026-02-30"  # the input is not modified
