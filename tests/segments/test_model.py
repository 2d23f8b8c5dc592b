"""How the number of segments is chosen, and what a segment's name says about a customer gone quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.segments.model import fit_segments
from transforms.segments.naming import describe_segment
from transforms.segments.settings import NamingSettings, load_segments_file


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
