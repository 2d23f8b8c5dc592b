"""The model's page: backtest figures against the rule and a calibration chart, in one self-contained HTML file."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transforms.receivables.model import FEATURES, LateModel
from transforms.receivables.model_cache import TrainedModel


def calibration_chart(model: LateModel, bins: int = 10) -> str:
    """Predicted against observed late share on the held-back invoices, for the model and for the rule (``<img>``)."""
    from transforms.inline_charts import img_tag, new_chart  # matplotlib only when a page is written

    scores = pd.concat([b.scores for b in model.backtests], ignore_index=True) if model.backtests else None
    fig, ax = new_chart(5.5, 4.5)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
    if scores is not None and len(scores):
        for name, style in (("model", "o-"), ("rule", "s--")):
            p = scores[name].to_numpy(dtype="float64")
            if np.isnan(p).all():
                continue
            edges = np.linspace(0, 1, bins + 1)
            which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
            frame = (
                pd.DataFrame({"bin": which, "p": p, "y": scores["y"]})
                .groupby("bin")
                .agg(p=("p", "mean"), y=("y", "mean"), n=("y", "size"))
            )
            ax.plot(frame["p"], frame["y"], style, label=f"{name} ({len(p):,} invoices)")
    ax.set_xlabel("predicted probability of paying late")
    ax.set_ylabel("share actually paid late")
    ax.set_title(f"Calibration on held-back periods (late = over {model.late_days} days)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return img_tag(fig, "Calibration chart: predicted against observed late share, model and rule")


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def write_report(
    model: LateModel,
    path: Path,
    *,
    figures: Path,
    run_id: str,
    as_of: str,
    versions: dict[str, str],
    trained: TrainedModel | None = None,
    training_reason: str = "",
) -> Path:
    """Write the page, and its figures as JSON into ``figures``.

    ``trained`` says when the model was trained: on a night that scores with a model kept from an earlier
    night, the held-back periods and rates are that night's, and the page says so.
    """
    s = model.summary()
    trained_on = trained.trained_on.isoformat() if trained is not None else as_of
    if trained is not None and trained.trained_on.isoformat() != as_of:
        training = (
            f"<p>Trained as of {html.escape(trained_on)} (run {html.escape(trained.run_id)}) and kept: tonight's "
            "risks are scored with it from tonight's ledger, and the figures below are of that night. It is "
            "trained again every few nights (reliability.yml, <code>model.retrain_every_days</code>).</p>"
        )
    else:
        training = f"<p>Trained tonight: {html.escape(training_reason)}.</p>" if training_reason else ""
    chart = calibration_chart(model)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{_fmt(p[k])}</td>"
            for k in (
                "start",
                "end",
                "train_invoices",
                "test_invoices",
                "late_share",
                "model_auc",
                "rule_auc",
                "model_brier",
                "rule_brier",
            )
        )
        + "</tr>"
        for p in s["periods"]
    )
    verdict = (
        "The model beats the rule on the held-back periods (higher AUC and lower Brier score): "
        "late_payment_risk comes from the model."
        if s["uses_model"]
        else "The model does not beat the rule on the held-back periods (or there was too little history): "
        "late_payment_risk is the late rate of the customer's class."
    )
    rates = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.3f}</td></tr>" for k, v in sorted(s["class_rates"].items()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Late-payment model {html.escape(as_of)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}}
th{{background:#f3f3f3}}</style></head><body>
<h1>Late-payment model</h1>
<p>Run {html.escape(run_id)}, as of {html.escape(as_of)}. Probability that an invoice is paid more than
{s["late_days"]} days after its due date (an unpaid invoice counts once it is that late).</p>
{training}
<p><strong>{verdict}</strong></p>
<h2>Held-back periods</h2>
<p>Each period's model and rule learn only from what was known at the period's start, and score the invoices
issued during it. Averages: model AUC {_fmt(s["model_auc"])}, rule AUC {_fmt(s["rule_auc"])};
model Brier {_fmt(s["model_brier"])}, rule Brier {_fmt(s["rule_brier"])} (lower is better).</p>
<table><tr><th>from</th><th>to</th><th>trained on</th><th>scored</th><th>late share</th><th>model AUC</th>
<th>rule AUC</th><th>model Brier</th><th>rule Brier</th></tr>{rows}</table>
<h2>Calibration</h2>
{chart}
<h2>What the model knows</h2>
<p>Features (known on the invoice's issue date): {", ".join(FEATURES)}.
Trained on {s["train_invoices"]:,} invoices whose outcome is known. Late rate of each class (the rule's
probabilities): </p><table><tr><th>class</th><th>late rate</th></tr>{rates}</table>
<p>Library versions: {html.escape(json.dumps(versions))}</p>
</body></html>
"""
    path.write_text(page, "utf-8")
    figures.write_text(
        json.dumps(
            {
                **s,
                "run_id": run_id,
                "as_of": as_of,
                "trained_as_of": trained_on,
                "versions": versions,
                "features": FEATURES,
            },
            indent=2,
            default=str,
        ),
        "utf-8",
    )
    return path
