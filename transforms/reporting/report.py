"""The nightly control report: one self-contained HTML file a manager can open offline or receive by mail.

``render_report`` takes everything as frames (tonight's failures and metrics, the metric history, the
staged contacts) and returns HTML; it reads no file and no warehouse, so it is tested on small frames.
The report stage (``transforms.pipeline.report_stage``) gathers the inputs and writes the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from transforms.quality.rules import RULES
from transforms.quality.settings import QualitySettings
from transforms.reporting import charts, measures
from transforms.reporting.todo import SEVERITY_ORDER, customer_label, field_name

TEMPLATE = Path(__file__).parent / "data" / "report.html.j2"
#: Rows shown per failure group; the rest are in the to-do lists and dq.failure.
ROWS_PER_GROUP = 200


@dataclass
class ReportInputs:
    """What one night's report is made of."""

    run_id: str
    as_of: dt.date
    settings: QualitySettings
    settings_origin: str
    failures: pd.DataFrame  # dq.failure rows of the night, plus an optional "link" column (a URI to the row)
    metrics: pd.DataFrame  # dq.metric rows of the night
    history: pd.DataFrame  # dq.metric rows of the past nights and tonight
    contacts: pd.DataFrame  # staged contacts: source_name, responsible, last_updated_on
    published: bool = True
    not_published_reason: str = ""
    violations: list[str] = field(default_factory=list)
    data_docs: str | None = None  # a link relative to the report
    todo_links: dict[str, str] = field(default_factory=dict)  # employee -> link relative to the report
    signals: dict[str, int] = field(default_factory=dict)  # what the segments found: complaints, surveys ...
    signal_warnings: list[str] = field(default_factory=list)  # a signal missing although its carrier is there
    employee_forms: dict[str, list[str]] = field(default_factory=dict)  # employee -> the forms grouped into them
    unplaced: dict[str, str] = field(default_factory=dict)  # employee name as written -> why it was not placed
    staff_problem: str = ""  # why the company's staff.yml could not be used


def _pct(v: Any) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.1f}%"


def _pivot_block(table: pd.DataFrame, *, key: str, label: str, title: str) -> dict[str, Any]:
    """A completeness table: one row per ``key`` value, one column per mandatory field."""
    if table.empty:
        return {"title": title, "label": label, "fields": [], "rows": []}
    wide = table.pivot_table(index=key, columns="field", values="completeness", aggfunc="first")
    fields = list(wide.columns)
    rows = [
        {"name": str(name), "cells": [_pct(v) for v in values]}
        for name, values in zip(wide.index, wide.to_numpy().tolist(), strict=True)
    ]
    return {"title": title, "label": label, "fields": [field_name(f) for f in fields], "rows": rows}


def _relevance_block(table: pd.DataFrame, *, key: str, label: str, title: str) -> dict[str, Any]:
    rows = [
        {
            "name": str(r[key]),
            "records": int(r["records"]),
            "dated": int(r["dated"]),
            "median": "" if pd.isna(r["median_age_days"]) else f"{float(r['median_age_days']):.0f}",
            "stale_share": r["stale_share"] if r["dated"] else None,
        }
        for r in table.to_dict("records")
    ]
    return {"title": title, "label": label, "rows": rows}


def failure_groups(failures: pd.DataFrame, *, rows_per_group: int = ROWS_PER_GROUP) -> list[dict[str, Any]]:
    """Failures grouped for a data steward: severity, rule, file and sheet; most urgent and largest first."""
    if failures.empty:
        return []
    f = failures.assign(_sev=failures["severity"].map(SEVERITY_ORDER).fillna(3), sheet=failures["sheet"].fillna(""))
    keys = ["_sev", "severity", "rule", "source_file", "sheet"]
    sizes = f.groupby(keys).size().rename("count").reset_index()
    sizes = sizes.sort_values(
        ["_sev", "count", "rule", "source_file", "sheet"], ascending=[True, False, True, True, True]
    )
    out = []
    grouped = dict(tuple(f.groupby(keys)))
    for g in sizes.to_dict("records"):
        part = grouped[tuple(g[k] for k in keys)].sort_values(["row_number", "field"])
        fields = part["field"].value_counts()
        shown = part.head(rows_per_group)
        rows = [
            {
                "where": f"row {r['row_number']}" if r["row_number"] else "whole file",
                "link": r.get("link") or "",
                "customer": customer_label(r),
                "field": field_name(r["field"]),
                "value": "" if r["value"] is None or pd.isna(r["value"]) else str(r["value"]),
                "responsible": r["responsible"],
                "message": r["message"],
            }
            for r in shown.to_dict("records")
        ]
        out.append(
            {
                "severity": g["severity"],
                "rule": g["rule"],
                "source_file": g["source_file"],
                "sheet": g["sheet"],
                "count": int(g["count"]),
                "fields": ", ".join(f"{field_name(k)} ({v})" for k, v in fields.items()),
                "employees": ", ".join(sorted(part["responsible"].astype(str).unique())),
                "explanation": RULES.get(str(g["rule"]), ""),
                "rows": rows,
            }
        )
    return out


def _tonight(history: pd.DataFrame, as_of: object) -> pd.DataFrame | None:
    """Tonight's dq.metric rows among the history (None when the history does not hold them)."""
    if not len(history) or "as_of" not in history.columns or "source_name" not in history.columns:
        return None
    return history[pd.to_datetime(history["as_of"]).dt.date == pd.Timestamp(str(as_of)).date()]


def render_report(inputs: ReportInputs) -> str:
    """The report as one HTML document (charts embedded)."""
    s = inputs.settings
    m, f = inputs.metrics, inputs.failures
    by_field = measures.completeness(m, ["field"]) if len(m) else pd.DataFrame()
    by_source = measures.completeness(m, ["source_name", "field"]) if len(m) else pd.DataFrame()
    by_person = measures.completeness(m, ["responsible", "field"]) if len(m) else pd.DataFrame()
    mand = m[m["rule"] == measures.MANDATORY_RULE] if len(m) else m
    checked = int(mand["checked"].sum()) if len(mand) else 0
    totals = {
        "records": len(inputs.contacts),
        "completeness": 1 - int(mand["failed"].sum()) / checked if checked else 1.0,
        # Golden-record failures as their suite counts them: tonight's rows of the history (every stage's metrics).
        **measures.failure_totals(f, _tonight(inputs.history, inputs.as_of)),
    }
    trend = measures.trend(inputs.history)
    decay = measures.decay(inputs.contacts, as_of=inputs.as_of, stale_after_days=s.stale_after_days)
    scores = measures.scores(m, s) if len(m) else measures.scores(pd.DataFrame(), s)
    fixes = measures.best_fixes(m, s) if len(m) else pd.DataFrame(columns=["responsible"])
    checklists = [
        {
            "responsible": who,
            "fixes": [
                {
                    "severity": r["severity"],
                    "field": field_name(r["field"]),
                    "problem": RULES.get(str(r["rule"]), str(r["rule"])),
                    "rows": int(r["rows"]),
                    "points": float(r["points"]),
                }
                for r in part.to_dict("records")
            ],
        }
        for who, part in fixes.groupby("responsible", sort=False)
    ]
    order = {who: i for i, who in enumerate(scores["responsible"])}
    checklists.sort(key=lambda e: order.get(e["responsible"], len(order)))
    ranking = [
        {
            **r,
            "todo": inputs.todo_links.get(str(r["responsible"]), ""),
            "todo_name": Path(inputs.todo_links.get(str(r["responsible"]), "")).name,
        }
        for r in scores.to_dict("records")
    ]
    weights = ", ".join(f"{k} {v:g}" for k, v in s.report.severity_weights.items())
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE.read_text("utf-8"))
    return template.render(
        run_id=inputs.run_id,
        as_of=inputs.as_of.isoformat(),
        settings_origin=inputs.settings_origin,
        published=inputs.published,
        not_published_reason=inputs.not_published_reason,
        violations=inputs.violations,
        signals=inputs.signals,
        signal_warnings=inputs.signal_warnings,
        data_docs=inputs.data_docs,
        totals=totals,
        pct=_pct,
        trend=trend.to_dict("records"),
        trend_chart=charts.trend_chart(trend) if len(trend) else None,
        field_chart=charts.completeness_chart(
            by_field.assign(label=by_field["field"].map(field_name)), label="label", title="Mandatory fields filled"
        )
        if len(by_field)
        else None,
        completeness_tables=[
            _pivot_block(by_source, key="source_name", label="Source", title="Per source"),
            _pivot_block(by_person, key="responsible", label="Employee", title="Per employee"),
        ],
        stale_after_days=s.stale_after_days,
        relevance_tables=[
            _relevance_block(
                measures.relevance(inputs.contacts, as_of=inputs.as_of, stale_after_days=s.stale_after_days, by=k),
                key=k,
                label=label,
                title=title,
            )
            for k, label, title in (
                ("source_name", "Source", "Per source"),
                ("responsible", "Employee", "Per employee"),
            )
        ],
        decay=decay.to_dict("records"),
        decay_chart=charts.decay_chart(decay) if len(decay) else None,
        weights=weights,
        scores_chart=charts.scores_chart(scores) if len(scores) else None,
        ranking=ranking,
        checklists=checklists,
        groups=failure_groups(f),
        employee_forms=inputs.employee_forms,
        unplaced=inputs.unplaced,
        staff_problem=inputs.staff_problem,
    )
