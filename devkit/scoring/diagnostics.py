"""The linkage diagnostics page with the truth: blocking recall, and precision and recall against the threshold.

The nightly run writes the page without a truth (transforms.linkage.diagnostics); a test or benchmark that knows
which records are the same customer adds this section to it, to see where the match threshold sits on the
precision/recall curve and how many true pairs the blocking never offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from devkit.scoring.linkage import pair_keys, threshold_curve
from transforms.inline_charts import img_tag, new_chart
from transforms.linkage.diagnostics import write_diagnostics

if TYPE_CHECKING:
    from transforms.linkage.link import LinkResult


def _curve_chart(curve: pd.DataFrame, match: float | None) -> str:
    fig, ax = new_chart(8, 3.5)
    ax.plot(curve["threshold"], curve["precision"], label="precision")
    ax.plot(curve["threshold"], curve["recall"], label="recall")
    if match is not None:
        ax.axvline(match, color="black", ls="--", lw=0.8)
    ax.set_xlabel("match probability threshold")
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.set_title("Pairs against the truth")
    return img_tag(fig, "Precision and recall against the match threshold")


def truth_section(result: LinkResult, truth_pairs: pd.DataFrame) -> list[str]:
    """The page's "Against the truth" section; ``truth_pairs`` holds record_id_l, record_id_r of true matches."""
    truth = pair_keys(truth_pairs["record_id_l"], truth_pairs["record_id_r"])
    found = pair_keys(result.pairs["record_id_l"], result.pairs["record_id_r"])
    recall = float(found.isin(truth).sum() / len(truth)) if len(truth) else 1.0
    match = result.settings.thresholds.match if result.settings is not None else None
    return [
        "<h2>Against the truth</h2>",
        f"<p>Blocking recall (true pairs among the candidates): {recall:.4f} of {len(truth):,} true pairs.</p>",
        _curve_chart(threshold_curve(result.pairs, truth), match),
    ]


def write_diagnostics_with_truth(result: LinkResult, path: Path | str, truth_pairs: pd.DataFrame) -> Path:
    """Write the nightly diagnostics page with the truth section added."""
    return write_diagnostics(result, path, extra=truth_section(result, truth_pairs))
