"""A company without accounting (or whose optional invoices and payments are absent) still gets segments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.segments.model import fit_segments
from transforms.segments.settings import load_segments_file


def test_segments_fit_when_every_payment_number_is_empty() -> None:
    settings = load_segments_file().model
    rng = np.random.default_rng(7)
    n = 60
    features = pd.DataFrame(index=pd.RangeIndex(n))
    numbers = [*settings.log_features, *settings.ratio_features, *settings.numeric_features, *settings.flag_missing]
    for col in dict.fromkeys(numbers):
        features[col] = rng.poisson(3, n).astype(float)
    for col in ("invoices_per_year", "avg_invoice_index", "mean_survey_score"):
        if col in features:
            features[col] = np.nan  # no invoices, no payments, no surveys tonight
    for col in settings.categorical_features:
        features[col] = rng.choice(["a", "b"], n)
    fitted = fit_segments(features, settings)
    assert len(np.unique(fitted.labels)) >= 1 and len(fitted.labels) == n
