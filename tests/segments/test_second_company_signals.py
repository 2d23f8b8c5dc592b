"""The second company's journals (files the project did not write): its complaints are recognised from the topic
of a call and the type or tags of a visit, scored against its truth. Extract and standardize only, so it is quick."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from transforms.extract.extract import extract_sources
from transforms.settings import load_sources
from transforms.standardize.records import standardize_interactions
from transforms.standardize.source_files import reading_rules
from transforms.standardize.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "tests" / "data" / "second_company" / "sources.yml"
TRUTH = ROOT.parent / "shared" / "datasets" / "second_company" / "truth" / "interactions_truth.csv"


@pytest.mark.skipif(not TRUTH.exists(), reason="the second company's data set is not beside the project")
def test_second_company_complaints_recognised(tmp_path: Path) -> None:
    sources = load_sources(SOURCES)
    journals = sources.model_copy(update={"sources": [s for s in sources.sources if s.kind == "journal"]})
    vocabulary, _ = load_vocabulary(SOURCES)
    staged = []
    for report in extract_sources(journals, tmp_path):
        assert report.status == "ok", report.error
        spec = sources.source(report.source_name)
        raw = pq.read_table(report.records_path).to_pandas()
        rules = reading_rules(sources, spec, dt.date(2026, 11, 20), vocabulary)
        out, _ = standardize_interactions(raw, rules=rules)
        staged.append(out.assign(file="journals/" + Path(report.source_file).name))
    night = pd.concat(staged, ignore_index=True)
    truth = pd.read_csv(TRUTH, keep_default_na=False, dtype=str)
    truth["row_number"] = truth["row_number"].astype(int)
    joined = truth.merge(night, on=["file", "row_number"], how="left", validate="one_to_one")
    expected = joined["is_complaint_x"].str.lower().eq("true")
    found = joined["is_complaint_y"].astype("boolean").fillna(False).astype(bool)
    assert expected.sum() > 400
    assert found[expected].mean() >= 0.98  # 1.0 on 2026-12-06
    assert found[~expected].mean() <= 0.01  # 0.0
    kinds = night.groupby("source_name")["interaction_kind"].agg(lambda k: k.value_counts().idxmax())
    assert kinds.to_dict() == {"call_log": "call", "visits": "visit"}


def _features(complaints: list[int], channels: list[str]) -> pd.DataFrame:
    n = len(complaints)
    return pd.DataFrame(
        {
            "complaints": complaints,
            "surveys": [1] * n,
            "channel": channels,
            "preferred_categories": ["garden, tools"] + [None] * (n - 1),
            "preferred_brands": [None] * n,
        }
    )


def test_journal_entries_without_a_complaint_are_warned_as_a_mapping_problem() -> None:
    from transforms.segments.assign import data_signals

    entries = pd.DataFrame({"record_id": ["r1", "r2", "r3"]})
    found, warnings = data_signals(_features([0, 0], ["web", "unknown"]), entries)
    assert found["journal_entries"] == 3 and found["complaints"] == 0 and found["customers_with_preferences"] == 1
    assert len(warnings) == 1 and "not one complaint" in warnings[0] and "mapping" in warnings[0]
    assert data_signals(_features([0, 2], ["web", "radio"]), entries)[1] == []
    assert data_signals(_features([0, 0], ["web", "radio"]), entries.iloc[:0])[1] == []  # no journals: nothing to miss
    _, unknown = data_signals(_features([1, 0], ["other", "other"]), entries)
    assert len(unknown) == 1 and "vocabulary.yml" in unknown[0]


def test_segment_profile_counts_the_signals_and_lists_preferences() -> None:
    from transforms.segments.assign import _profiles

    features = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "invoices_per_year": [1.0, 2.0, 3.0],
            "avg_invoice_index": [1.0, 1.0, 1.0],
            "avg_invoice_amount": [10.0, 20.0, 30.0],
            "spend_currency": ["PLN"] * 3,
            "tenure_days": [100.0, 200.0, 300.0],
            "days_since_last_invoice": [1.0, 2.0, 3.0],
            "calls": [1, 0, 0],
            "visits": [0, 1, 0],
            "interactions": [2, 1, 0],
            "complaints": [1, 1, 0],
            "surveys": [1, 0, 0],
            "mean_survey_score": [5.0, None, None],
            "late_payment_risk": [0.1, 0.2, 0.3],
            "reliability_class": ["on_time"] * 3,
            "completeness": [1.0, 1.0, 1.0],
            "channel": ["web", "unknown", "radio"],
            "preferred_categories": ["garden, tools", "garden", None],
            "preferred_brands": ["Bosch", None, None],
        }
    )
    out = _profiles(features, pd.Series([1, 1, 2]), "PLN").set_index("segment_id")
    assert out.loc[1, ["interactions", "complaints", "surveys", "customers_with_channel"]].tolist() == [3, 2, 1, 1]
    assert out.loc[1, "top_categories"] == "garden, tools" and out.loc[1, "top_brands"] == "Bosch"
    assert out.loc[2, "customers_with_preferences"] == 0 and pd.isna(out.loc[2, "top_categories"])
