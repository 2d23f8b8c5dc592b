"""What the control report shows, computed from the night's dq.failure / dq.metric and staged contacts.

Pure functions over frames: completeness per field, source and employee; relevance (age of the last
update); the trend over nights; decay (the share of records that turn stale each coming month); and each
employee's score, rank and the fixes that would raise it most.

The score: every check an employee's rows went through weighs by its severity (``report.severity_weights``
in quality.yml: critical 3, warning 2, info 1 by default); score = 100 x (1 - weighted failures / weighted
checks). Fixing every failure of one rule on one field raises it by exactly that part's weighted failures
over the weighted checks, so the checklist can say how many points each fix is worth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from transforms.quality.settings import QualitySettings

MANDATORY_RULE = "mandatory_field_missing"
#: dq.metric's source_name for the golden-record suite (counted apart: golden records, not source rows).
GOLDEN_SOURCE = "core.customer"
GOLDEN_RECORD = "golden_record"


def failure_totals(failures: pd.DataFrame, metrics: pd.DataFrame | None = None) -> dict[str, int]:
    """The night's failing values, by the one definition used everywhere (report, trend, CLI):

    - on source rows: one rule failing on one field of one source row (a dq.failure row found on a source row),
      per severity (``critical``, ``warning``, ``info``) and in all (``source_rows``);
    - on golden records (``golden_records``): one rule failing on one field of one consolidated customer, as the
      golden records' suite counts them in ``metrics`` (dq.metric rows of ``core.customer``); without metrics,
      from dq.failure, which holds a golden failure once per source row asked to fix it (counted once per
      customer, rule and field; a failure no row is asked to fix is not there).
    """
    golden_metric = (
        int(metrics.loc[metrics["source_name"] == "core.customer", "failed"].sum())
        if metrics is not None and len(metrics) and "source_name" in metrics.columns
        else None
    )
    if failures.empty:
        return {"critical": 0, "warning": 0, "info": 0, "source_rows": 0, "golden_records": golden_metric or 0}
    on_golden = (
        failures["found_on"] == GOLDEN_RECORD
        if "found_on" in failures.columns
        else pd.Series(False, index=failures.index)
    )
    source = failures[~on_golden]
    golden = failures[on_golden].drop_duplicates(["customer_id", "rule", "field"])
    out = {sev: int((source["severity"] == sev).sum()) for sev in ("critical", "warning", "info")}
    golden_records = len(golden) if golden_metric is None else golden_metric
    return {**out, "source_rows": len(source), "golden_records": golden_records}


def completeness(metrics: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of checked rows with each mandatory field present, grouped by ``by`` (plus checked, missing)."""
    m = metrics[metrics["rule"] == MANDATORY_RULE]
    g = m.groupby(by, as_index=False)[["checked", "failed"]].sum()
    g["completeness"] = np.where(g["checked"] > 0, 1 - g["failed"] / g["checked"].clip(lower=1), 1.0)
    return g.rename(columns={"failed": "missing"}).sort_values(by).reset_index(drop=True)


def relevance(contacts: pd.DataFrame, *, as_of: dt.date, stale_after_days: int, by: str) -> pd.DataFrame:
    """Age of the last update per ``by`` (source_name or responsible): records, dated, median age, share stale."""
    if contacts.empty:
        return pd.DataFrame(columns=[by, "records", "dated", "median_age_days", "stale_share"])
    updated = pd.to_datetime(contacts["last_updated_on"], errors="coerce")
    age = (pd.Timestamp(as_of) - updated).dt.days
    frame = pd.DataFrame({by: contacts[by].fillna("unassigned").to_numpy(), "age": age.to_numpy()})
    frame["stale"] = frame["age"] > stale_after_days
    g = frame.groupby(by).agg(
        records=("age", "size"),
        dated=("age", "count"),
        median_age_days=("age", "median"),
        stale=("stale", "sum"),
    )
    g["stale_share"] = np.where(g["dated"] > 0, g["stale"] / g["dated"].clip(lower=1), 0.0)
    return g.drop(columns="stale").reset_index().sort_values(by).reset_index(drop=True)


def decay(contacts: pd.DataFrame, *, as_of: dt.date, stale_after_days: int, months: int = 12) -> pd.DataFrame:
    """Share of dated records already stale, then turning stale in each of the coming ``months`` months.

    A record turns stale on ``last update + stale_after_days``; the shares are of all records with a date.
    """
    columns = ["month", "turning_stale", "share", "cumulative_share"]
    if contacts.empty:
        return pd.DataFrame(columns=columns)
    updated = pd.to_datetime(contacts["last_updated_on"], errors="coerce").dropna()
    if updated.empty:
        return pd.DataFrame(columns=columns)
    turns = updated + pd.Timedelta(days=stale_after_days)
    start = pd.Timestamp(as_of)
    labels = ["already stale"]
    counts = [int((turns < start).sum())]
    month = pd.Period(start, freq="M")
    for i in range(months):
        p = month + i
        lo = max(p.start_time, start)
        hi = p.end_time
        counts.append(int(((turns >= lo) & (turns <= hi)).sum()))
        labels.append(str(p))
    out = pd.DataFrame({"month": labels, "turning_stale": counts})
    out["share"] = out["turning_stale"] / len(updated)
    out["cumulative_share"] = out["share"].cumsum()
    return out


def trend(history: pd.DataFrame) -> pd.DataFrame:
    """One row per night: mandatory-field completeness, failing values on source rows per severity (``failed``
    their total) and failing values on golden records (``golden``), as ``failure_totals`` counts them."""
    columns = ["as_of", "completeness", "critical", "warning", "info", "failed", "golden"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    is_golden = history["source_name"] == GOLDEN_SOURCE
    golden = history[is_golden].groupby("as_of")["failed"].sum().rename("golden")
    h = history[~is_golden].copy()
    mand = h[h["rule"] == MANDATORY_RULE].groupby("as_of")[["checked", "failed"]].sum()
    comp = (1 - mand["failed"] / mand["checked"].clip(lower=1)).rename("completeness")
    sev = h.pivot_table(index="as_of", columns="severity", values="failed", aggfunc="sum", fill_value=0)
    for s in ("critical", "warning", "info"):
        if s not in sev.columns:
            sev[s] = 0
    out = sev[["critical", "warning", "info"]].join(comp, how="left")
    out["failed"] = out[["critical", "warning", "info"]].sum(axis=1)
    out = out.join(golden, how="outer").fillna({"critical": 0, "warning": 0, "info": 0, "failed": 0, "golden": 0})
    out = out.reset_index().sort_values("as_of").reset_index(drop=True)
    return out[columns]


def _weights(metrics: pd.DataFrame, settings: QualitySettings) -> pd.Series:
    w = settings.report.severity_weights
    return metrics["severity"].map(lambda s: float(w.get(s, 1.0))).astype("float64")


def scores(metrics: pd.DataFrame, settings: QualitySettings) -> pd.DataFrame:
    """Score (0-100) and rank per employee, with their checked and failing counts; best first."""
    columns = ["rank", "responsible", "score", "checked", "failed", "critical"]
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    m = metrics.assign(
        w=_weights(metrics, settings),
        critical=np.where(metrics["severity"] == "critical", metrics["failed"], 0),
    )
    m["wc"], m["wf"] = m["w"] * m["checked"], m["w"] * m["failed"]
    g = m.groupby("responsible").agg(
        wc=("wc", "sum"), wf=("wf", "sum"), checked=("checked", "sum"), failed=("failed", "sum"),
        critical=("critical", "sum"),
    )  # fmt: skip
    g["score"] = np.where(g["wc"] > 0, 100 * (1 - g["wf"] / g["wc"].clip(lower=1e-9)), 100.0)
    g = g.reset_index().sort_values(["score", "responsible"], ascending=[False, True]).reset_index(drop=True)
    g["rank"] = g["score"].rank(method="min", ascending=False).astype("int64")
    return g[columns]


def best_fixes(metrics: pd.DataFrame, settings: QualitySettings, *, top: int = 5) -> pd.DataFrame:
    """Per employee, the rule and field whose fixing would raise the score most (points gained, rows)."""
    columns = ["responsible", "rule", "field", "severity", "rows", "points"]
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    m = metrics.assign(w=_weights(metrics, settings))
    m["wc"], m["wf"] = m["w"] * m["checked"], m["w"] * m["failed"]
    total = m.groupby("responsible")["wc"].sum()
    g = m.groupby(["responsible", "rule", "field", "severity"], as_index=False).agg(
        rows=("failed", "sum"), wf=("wf", "sum")
    )
    g = g[g["rows"] > 0]
    g["points"] = 100 * g["wf"] / g["responsible"].map(total).clip(lower=1e-9)
    g = g.sort_values(["responsible", "points", "rows"], ascending=[True, False, False])
    return g.groupby("responsible").head(top).reset_index(drop=True)[columns]
