"""Charts for the control report, embedded as PNG data URIs (transforms.inline_charts).

The report is one file a manager can mail or open offline, so nothing is linked from the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from transforms.inline_charts import new_chart, png_data_uri

COLORS = {"critical": "#c0392b", "warning": "#e67e22", "info": "#7f8c8d", "good": "#2e86c1"}


@dataclass(frozen=True)
class Chart:
    """One embedded chart: its data URI, a text alternative and how many points it plots."""

    uri: str
    alt: str
    points: int


def trend_chart(trend: pd.DataFrame) -> Chart:
    """Completeness of mandatory fields (line, left axis) and failing values per severity (right axis)."""
    fig, ax = new_chart(8, 3.2)
    x = pd.to_datetime(trend["as_of"])
    ax.plot(x, trend["completeness"] * 100, marker="o", color=COLORS["good"], label="mandatory fields filled (%)")
    ax.set_ylabel("filled (%)")
    ax.set_ylim(0, 100)
    right = ax.twinx()
    for sev in ("critical", "warning", "info"):
        right.plot(x, trend[sev], marker="s", linestyle="--", color=COLORS[sev], label=f"{sev} failures")
    right.set_ylabel("failing values on source rows")
    right.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(handles, labels, loc="lower left", fontsize=8)
    ax.set_title("Trend over the nights")
    fig.autofmt_xdate()
    return Chart(png_data_uri(fig), f"Trend over {len(trend)} night(s)", len(trend))


def completeness_chart(table: pd.DataFrame, *, label: str, title: str) -> Chart:
    """Horizontal bars: share filled per ``label`` row (already one row per bar)."""
    height = max(2.0, 0.32 * len(table) + 1)
    fig, ax = new_chart(8, height)
    names = table[label].astype(str).tolist()
    values = (table["completeness"] * 100).tolist()
    ax.barh(names, values, color=COLORS["good"])
    ax.set_xlim(0, 100)
    ax.set_xlabel("filled (%)")
    ax.invert_yaxis()
    ax.set_title(title)
    for i, v in enumerate(values):
        ax.text(min(v + 1, 92), i, f"{v:.0f}%", va="center", fontsize=8)
    return Chart(png_data_uri(fig), title, len(table))


def decay_chart(decay: pd.DataFrame) -> Chart:
    """Bars: share of records turning stale each coming month; line: the cumulative share."""
    fig, ax = new_chart(8, 3.2)
    ax.bar(decay["month"], decay["share"] * 100, color=COLORS["warning"], label="turning stale that month (%)")
    ax.plot(
        decay["month"], decay["cumulative_share"] * 100, marker="o", color=COLORS["critical"], label="stale by then (%)"
    )
    ax.set_ylabel("% of dated records")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title("Records going stale per month")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    return Chart(png_data_uri(fig), "Share of records going stale per month", len(decay))


def scores_chart(scores: pd.DataFrame) -> Chart:
    """Horizontal bars: each employee's score, best first."""
    height = max(2.0, 0.32 * len(scores) + 1)
    fig, ax = new_chart(8, height)
    ax.barh(scores["responsible"].astype(str), scores["score"], color=COLORS["good"])
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("score (0-100)")
    ax.set_title("Data-quality score per employee")
    return Chart(png_data_uri(fig), "Score per employee", len(scores))
