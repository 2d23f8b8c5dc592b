"""The linkage diagnostics page: one self-contained HTML file a steward or analyst can open anywhere.

It shows what the model learned (m and u of every comparison level, as match weights), how the scored pairs
are spread (the match-weight histogram, with the thresholds) and what each blocking pass found. Where the truth
is known (tests, benchmarks), devkit.scoring.diagnostics adds precision and recall against the match threshold.
Charts are embedded as PNG data URIs (transforms.inline_charts), so the page needs no network and no other file.
No personal data is shown: counts, levels, weights only.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from transforms.inline_charts import img_tag, new_chart

if TYPE_CHECKING:
    from transforms.linkage.link import LinkResult


def _weights_chart(result: LinkResult) -> str:
    frame = result.model.as_frame()
    fig, ax = new_chart(8, 0.28 * len(frame) + 1)
    labels = frame["comparison"] + ": " + frame["label"]
    colors = np.where(frame["weight"] >= 0, "#2b8a3e", "#c92a2a")
    ax.barh(np.arange(len(frame)), frame["weight"], color=colors)
    ax.set_yticks(np.arange(len(frame)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("match weight log2(m/u)")
    ax.set_title("What each level of agreement counts for")
    return img_tag(fig, "Match weight of each comparison level")


def _histogram(result: LinkResult) -> str:
    fig, ax = new_chart(8, 3.5)
    w = result.pairs["match_weight"].to_numpy()
    ax.hist(w, bins=80, color="#1c7ed6")
    ax.set_yscale("log")
    prior = np.log2(result.model.prior / (1 - result.model.prior))
    settings = result.settings
    if settings is not None:
        for p, name in ((settings.thresholds.match, "match"), (settings.thresholds.review_lower, "review")):
            ax.axvline(np.log2(p / (1 - p)) - prior, color="black", ls="--", lw=0.8)
            ax.text(np.log2(p / (1 - p)) - prior, ax.get_ylim()[1], name, fontsize=8, va="top")
    ax.set_xlabel("match weight (log2 Bayes factor)")
    ax.set_ylabel("candidate pairs")
    ax.set_title("Scored candidate pairs")
    return img_tag(fig, "Match weights of the scored candidate pairs")


def _blocking_chart(passes: list[dict[str, Any]]) -> str:
    frame = pd.DataFrame(passes)
    fig, ax = new_chart(8, 0.35 * len(frame) + 1)
    y = np.arange(len(frame))
    ax.barh(y, frame["pairs"], color="#adb5bd", label="pairs found")
    ax.barh(y, frame["new_pairs"], color="#1c7ed6", label="not found by an earlier pass")
    ax.set_yticks(y, frame["pass"], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("candidate pairs")
    ax.legend(fontsize=8)
    ax.set_title("Blocking passes")
    return img_tag(fig, "Candidate pairs found by each blocking pass")


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, classes="t")


def write_diagnostics(result: LinkResult, path: Path | str, extra: Sequence[str] = ()) -> Path:
    """Write the diagnostics page to ``path``; ``extra`` (HTML fragments) is placed before the timings, so a
    benchmark can add what only it knows (the truth) to the same page."""
    path = Path(path)
    stats = result.stats
    parts = [
        "<h1>Record linkage diagnostics</h1>",
        f"<p>{stats.get('records', 0):,} records, {stats.get('candidate_pairs', 0):,} candidate pairs, "
        f"{stats.get('accepted_pairs', 0):,} linked pairs, {stats.get('clustering', {}).get('clusters', 0):,} "
        f"customers, {stats.get('review_pairs', 0):,} pairs for a steward. Prior (chance two random records "
        f"match): {result.model.prior:.3g}.</p>",
        "<h2>m and u per comparison level</h2>",
        _weights_chart(result),
        _table(result.model.as_frame()),
        "<h2>Match weights</h2>",
        _histogram(result),
        "<h2>Blocking</h2>",
        _blocking_chart(stats.get("blocking", [])),
        _table(pd.DataFrame(stats.get("blocking", []))),
    ]
    parts += extra
    seconds = stats.get("seconds", {})
    parts += ["<h2>Time per step (s)</h2>", _table(pd.DataFrame([seconds])) if seconds else ""]
    style = (
        "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape('Linkage diagnostics')}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
