"""Readable segment names from their profiles, e.g. "frequent high spenders, new, pay late".

A name says what sets the segment apart from all customers: its median against everyone's median
(ratios in segments.yml). Names are given when a segment is first seen and kept while it keeps its id.
"""

from __future__ import annotations

import pandas as pd

from transforms.segments.settings import NamingSettings


def _ratio(value: float, overall: float) -> float:
    if pd.isna(value) or pd.isna(overall):
        return 1.0
    if overall <= 0:
        return float("inf") if value > 0 else 1.0
    return float(value / overall)


def _quiet(rows: pd.DataFrame) -> float:
    """Share of customers without any invoice or journal entry lately (activity_recent 0)."""
    return float((rows["activity_recent"].fillna(0) == 0).mean()) if len(rows) else 0.0


def describe_segment(seg: pd.DataFrame, everyone: pd.DataFrame, settings: NamingSettings) -> str:
    """The name of one segment (its customers' feature rows) against every customer's."""
    hi, lo = settings.high_ratio, settings.low_ratio

    def level(col: str, stat: str = "median") -> float:
        return _ratio(float(getattr(seg[col], stat)()), float(getattr(everyone[col], stat)()))

    freq = level("invoices_per_year")
    buys = float((seg["invoices"] > 0).mean())
    if buys < 0.5:
        head = "rarely buying"
    else:
        spend = level("avg_invoice_index")
        how = "frequent" if freq >= hi else "occasional" if freq <= lo else "regular"
        what = "high spenders" if spend >= hi else "low spenders" if spend <= lo else "buyers"
        head = f"{how} {what}"
    tags: list[str] = []
    if "activity_recent" in seg and _quiet(seg) >= max(0.5, hi * _quiet(everyone)):
        tags.append("inactive")  # most have no invoice or journal entry lately (features.recent_days), unlike most
    if level("tenure_days") <= lo:
        tags.append("new")
    elif level("tenure_days") >= hi:
        tags.append("long-standing")
    complaints = float(seg["complaints"].mean())
    if complaints >= 1 and level("complaints", "mean") >= hi:
        tags.append("complain")
    score, overall_score = seg["mean_survey_score"].median(), everyone["mean_survey_score"].median()
    if pd.notna(score) and pd.notna(overall_score) and score <= overall_score - 1:
        tags.append("unhappy")
    risk = level("late_payment_risk", "mean")
    if risk >= hi:
        tags.append("pay late")
    elif level("interactions", "mean") >= hi and seg["interactions"].mean() >= 1:
        tags.append("in touch often")
    return ", ".join([head, *tags])


def name_segments(features: pd.DataFrame, segment_ids: pd.Series, settings: NamingSettings) -> dict[int, str]:
    """A unique name per segment id (a repeated name gets the id in brackets)."""
    names = {
        int(sid): describe_segment(features[segment_ids == sid], features, settings)
        for sid in sorted(segment_ids.unique())
    }
    counts = pd.Series(list(names.values())).value_counts()
    return {sid: (f"{n} ({sid})" if counts[n] > 1 else n) for sid, n in names.items()}
