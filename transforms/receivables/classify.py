"""The reliability class and trend of each customer, from its metrics and the cut-offs of reliability.yml."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.receivables.nulls import keep_where
from transforms.receivables.settings import ReliabilitySettings


def classify(metrics: pd.DataFrame, settings: ReliabilitySettings) -> pd.Series:
    """on_time / slight_delay / significant_delay / non_payer by median days late; no_history with nothing due.

    A non-payer is recognised first, by the share of its due invoices left unpaid long past due, because a
    customer who stopped paying has few paid invoices and its median alone would understate it.
    """
    c = settings.classes
    due = pd.to_numeric(metrics["invoices_due"], errors="coerce").fillna(0).to_numpy()
    median = pd.to_numeric(metrics["median_days_late"], errors="coerce").to_numpy(dtype="float64")
    defaulted = pd.to_numeric(metrics["share_defaulted"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    label = np.select(
        [
            due <= 0,
            defaulted >= c.non_payer.min_share_defaulted,
            median <= c.on_time_max_median_days_late,
            median <= c.slight_delay_max_median_days_late,
            median <= c.significant_delay_max_median_days_late,
        ],
        ["no_history", "non_payer", "on_time", "slight_delay", "significant_delay"],
        "non_payer",
    )
    return pd.Series(label, index=metrics.index, name="reliability_class", dtype="object")


def trend(metrics: pd.DataFrame, settings: ReliabilitySettings) -> pd.Series:
    """worse / better / stable: recent median days late against the earlier one; empty when either is missing."""
    change = pd.to_numeric(metrics["trend_days"], errors="coerce")
    limit = settings.trend.min_change_days
    label = np.select([change > limit, change < -limit, change.notna()], ["worse", "better", "stable"], "")
    out = pd.Series(label, index=metrics.index, name="trend", dtype="object")
    return keep_where(out, out != "")
