"""The late-payment model: the probability that an invoice is paid more than N days after its due date.

Features use only what was known on the invoice's issue date: how many of the customer's earlier invoices had
by then been paid within N days of their due date, how many had by then gone more than N (or 90) days past it,
how many were issued and fell due before, how long the customer has been invoiced, plus the invoice's own
amount and payment term. Each past fact is an event with the day it became known (a payment's day; the day
an unpaid invoice crossed N days late), and an invoice counts the events strictly before its issue date, so
nothing from the future leaks in.

It is tested against the rule alone on held-back periods: for each period, both learn from what was known at
its start, and both score the invoices issued during it (the rule by the late rate of the customer's class
at the start). The model is used for ``late_payment_risk`` only where it beats the rule on both AUC and
Brier score averaged over the periods; otherwise the rule's rates are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from transforms.receivables.metrics import _months_back
from transforms.receivables.settings import ModelSettings, ReliabilitySettings

FEATURES = [
    "prior_issued",
    "prior_due",
    "prior_good",
    "prior_late",
    "prior_very_late",
    "prior_late_share",
    "tenure_days",
    "log_amount",
    "term_days",
]
_EPOCH = np.datetime64("1970-01-01", "D")
_SPAN = 1 << 20  # days in one customer's slice of the combined sort key (about 2,800 years)
_VERY_LATE = 90


def _days(values: pd.Series) -> np.ndarray:
    """Dates as days since 1970 (int64), -1 for missing."""
    d = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[D]")
    out = (d - _EPOCH).astype("int64")
    return np.where(np.isnat(d), -1, out)


@dataclass(frozen=True)
class History:
    """The invoices the model learns from, as arrays (days since 1970; -1 = none)."""

    entity: np.ndarray  # customer number (0..k-1)
    issued: np.ndarray
    due: np.ndarray
    fully_paid: np.ndarray
    amount: np.ndarray
    entities: pd.Index  # customer key of each number

    @classmethod
    def from_invoices(cls, invoices: pd.DataFrame, key: str) -> History:
        """Invoices with something to pay (paid, overdue, open) and a customer, issue date and due date."""
        real = invoices[invoices["status"].isin(["paid", "overdue", "open"]) & invoices[key].notna()]
        issued, due = _days(real["issued_on"]), _days(real["due_on"])
        keep = (issued >= 0) & (due >= 0)
        real = real[keep]
        codes, uniques = pd.factorize(real[key], sort=True)
        return cls(
            entity=codes.astype("int64"),
            issued=issued[keep],
            due=due[keep],
            fully_paid=_days(real["fully_paid_on"]),
            amount=real["amount_due"].to_numpy(dtype="float64"),
            entities=pd.Index(uniques),
        )

    @classmethod
    def from_numbered(cls, con: duckdb.DuckDBPyConnection, relation: str, *, key: str, count: int) -> History:
        """The same as ``from_invoices``, read from settled invoices in a DuckDB table without going through pandas.

        The customers are already numbered 0..count-1 in column ``key``, and those numbers are the entities.
        Rows come in (customer, issue date, due date) order.
        """
        epoch = "date '1970-01-01'"
        cols = con.sql(
            f"select {key} as n, issued_on - {epoch} as issued, due_on - {epoch} as due, "
            f"coalesce(fully_paid_on - {epoch}, -1) as fully_paid, coalesce(amount_due, 'nan'::double) as amount "
            f"from {relation} where status in ('paid', 'overdue', 'open') and {key} is not null "
            "and issued_on is not null and due_on is not null "
            "order by n, issued, due, fully_paid, amount"
        ).fetchnumpy()
        return cls(
            entity=np.asarray(cols["n"], dtype="int64"),
            issued=np.asarray(cols["issued"], dtype="int64"),
            due=np.asarray(cols["due"], dtype="int64"),
            fully_paid=np.asarray(cols["fully_paid"], dtype="int64"),
            amount=np.asarray(cols["amount"], dtype="float64"),
            entities=pd.RangeIndex(count),
        )

    def __len__(self) -> int:
        return len(self.entity)


class _Events:
    """Sorted (customer, day) keys of one kind of event, to count those before a day by binary search."""

    def __init__(self, entity: np.ndarray, day: np.ndarray) -> None:
        self.keys = np.sort(entity * _SPAN + day)

    def before(self, entity: np.ndarray, day: np.ndarray) -> np.ndarray:
        lo = np.searchsorted(self.keys, entity * _SPAN, side="left")
        hi = np.searchsorted(self.keys, entity * _SPAN + day, side="left")
        counts: np.ndarray = (hi - lo).astype("float64")
        return counts


def _late_day(h: History, threshold: int) -> np.ndarray:
    """The day each invoice became known to be more than ``threshold`` days late; -1 if it never did."""
    crossing = h.due + threshold + 1
    late = (h.fully_paid < 0) | (h.fully_paid - h.due > threshold)
    return np.where(late, crossing, -1)


def features(
    h: History, entity: np.ndarray, day: np.ndarray, amount: np.ndarray, term: np.ndarray, *, n: int
) -> pd.DataFrame:
    """Features of invoices of customers ``entity`` issued on ``day`` (known strictly before that day)."""
    late_on = _late_day(h, n)
    very_late_on = _late_day(h, _VERY_LATE)
    good = (h.fully_paid >= 0) & (h.fully_paid - h.due <= n)
    kinds = {
        "prior_issued": _Events(h.entity, h.issued),
        "prior_due": _Events(h.entity, h.due + 1),
        "prior_good": _Events(h.entity[good], h.fully_paid[good]),
        "prior_late": _Events(h.entity[late_on >= 0], late_on[late_on >= 0]),
        "prior_very_late": _Events(h.entity[very_late_on >= 0], very_late_on[very_late_on >= 0]),
    }
    out = pd.DataFrame({name: ev.before(entity, day) for name, ev in kinds.items()})
    resolved = out["prior_good"] + out["prior_late"]
    out["prior_late_share"] = np.where(resolved > 0, out["prior_late"] / resolved.where(resolved > 0, 1), np.nan)
    size = max(len(h.entities), int(entity.max(initial=-1)) + 1)
    first = np.full(size, np.iinfo("int64").max)
    np.minimum.at(first, h.entity, h.issued)
    start = first[entity]
    out["tenure_days"] = np.where(start < day, day - start, np.nan)
    out["log_amount"] = np.log1p(np.maximum(amount, 0))
    out["term_days"] = term.astype("float64")
    return out[FEATURES]


def labels_known_on(h: History, day: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Which invoices' outcome (paid more than n days late or not) was known on ``day``, and that outcome."""
    paid_by = (h.fully_paid >= 0) & (h.fully_paid < day)
    crossed = h.due + n + 1 <= day - 1
    known = paid_by | crossed
    late = np.where(paid_by, h.fully_paid - h.due > n, True)
    return known, late


def _fit(x: pd.DataFrame, y: np.ndarray, settings: ModelSettings) -> HistGradientBoostingClassifier | None:
    """Gradient-boosted trees; the thread limit keeps OpenMP from spinning on a machine shared with other jobs."""
    if len(np.unique(y)) < 2:
        return None
    model = HistGradientBoostingClassifier(
        max_iter=settings.trees,
        learning_rate=0.1,
        max_leaf_nodes=15,
        early_stopping=False,
        random_state=settings.seed,
    )
    with threadpool_limits(settings.threads):
        model.fit(x, y)
    return model


def _sample(idx: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(idx) <= limit:
        return idx
    return np.sort(np.random.default_rng(seed).choice(idx, size=limit, replace=False))


@dataclass
class Backtest:
    """One held-back period: its figures for the model and for the rule, and the scored invoices."""

    start: dt.date
    end: dt.date
    train_invoices: int
    test_invoices: int
    late_share: float
    model_auc: float | None
    model_brier: float | None
    rule_auc: float | None
    rule_brier: float | None
    scores: pd.DataFrame = field(repr=False)


@dataclass
class LateModel:
    """The fitted model (or none), the backtests, and whether the model or the rule gives the risk."""

    late_days: int
    model: HistGradientBoostingClassifier | None
    backtests: list[Backtest]
    uses_model: bool
    train_invoices: int
    class_rates: dict[str, float]
    base_rate: float

    def summary(self) -> dict[str, Any]:
        """The figures for the manifest and the report."""

        def mean(values: list[float | None]) -> float | None:
            v = [x for x in values if x is not None]
            return float(np.mean(v)) if v else None

        return {
            "late_days": self.late_days,
            "uses_model": self.uses_model,
            "train_invoices": self.train_invoices,
            "base_rate": self.base_rate,
            "class_rates": self.class_rates,
            "model_auc": mean([b.model_auc for b in self.backtests]),
            "model_brier": mean([b.model_brier for b in self.backtests]),
            "rule_auc": mean([b.rule_auc for b in self.backtests]),
            "rule_brier": mean([b.rule_brier for b in self.backtests]),
            "periods": [
                {k: getattr(b, k) for k in Backtest.__dataclass_fields__ if k != "scores"} for b in self.backtests
            ],
        }


#: Classifies customers from what was known on a day: (day) -> customer key -> class.
RuleAt = Callable[[dt.date], pd.Series]


def _metric(fn: Callable[..., float], y: np.ndarray, p: np.ndarray) -> float | None:
    if len(y) == 0 or (fn is roc_auc_score and len(np.unique(y)) < 2):
        return None
    return float(fn(y, p))


def _class_rates(
    classes: pd.Series, entity_keys: pd.Index, h: History, rows: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    cls = classes.reindex(entity_keys[h.entity[rows]]).fillna("no_history").to_numpy()
    frame = pd.DataFrame({"cls": cls, "y": y})
    return {str(k): float(v) for k, v in frame.groupby("cls")["y"].mean().items()}


def rule_days(as_of: dt.date, settings: ModelSettings) -> list[dt.date]:
    """The days ``train`` asks the rule's classes for: the start of each held-back period, then ``as_of``."""
    starts = [_months_back(as_of, k * settings.backtest_months) for k in range(settings.backtest_periods, 0, -1)]
    return [*starts, as_of]


def train(h: History, *, as_of: dt.date, settings: ReliabilitySettings, rule_at: RuleAt) -> LateModel:
    """Backtest on held-back periods, then fit on everything known at ``as_of``."""
    ms = settings.model
    n = ms.late_days
    asof_day = int((np.datetime64(as_of, "D") - _EPOCH).astype("int64"))
    x_all = features(h, h.entity, h.issued, h.amount, h.due - h.issued, n=n)
    known_now, late_now = labels_known_on(h, asof_day + 1, n)
    tests: list[Backtest] = []
    for k in range(ms.backtest_periods, 0, -1):
        start = _months_back(as_of, k * ms.backtest_months)
        end = _months_back(as_of, (k - 1) * ms.backtest_months)
        s_day = int((np.datetime64(start, "D") - _EPOCH).astype("int64"))
        e_day = int((np.datetime64(end, "D") - _EPOCH).astype("int64"))
        known, late = labels_known_on(h, s_day, n)
        train_rows = _sample(np.flatnonzero(known & (h.issued < s_day)), ms.max_training_invoices, ms.seed)
        test_rows = np.flatnonzero((h.issued >= s_day) & (h.issued < e_day) & known_now)
        if len(train_rows) < ms.min_training_invoices or len(test_rows) == 0:
            continue
        y_train, y_test = late[train_rows].astype(int), late_now[test_rows].astype(int)
        model = _fit(x_all.iloc[train_rows], y_train, ms)
        p_model = model.predict_proba(x_all.iloc[test_rows])[:, 1] if model is not None else None
        classes = rule_at(start)
        rates = _class_rates(classes, h.entities, h, train_rows, y_train)
        base = float(y_train.mean())
        test_cls = classes.reindex(h.entities[h.entity[test_rows]]).fillna("no_history").to_numpy()
        p_rule = pd.Series(test_cls).map(rates).fillna(base).to_numpy(dtype="float64")
        tests.append(
            Backtest(
                start=start,
                end=end,
                train_invoices=len(train_rows),
                test_invoices=len(test_rows),
                late_share=float(y_test.mean()),
                model_auc=_metric(roc_auc_score, y_test, p_model) if p_model is not None else None,
                model_brier=_metric(brier_score_loss, y_test, p_model) if p_model is not None else None,
                rule_auc=_metric(roc_auc_score, y_test, p_rule),
                rule_brier=_metric(brier_score_loss, y_test, p_rule),
                scores=pd.DataFrame({"y": y_test, "model": p_model if p_model is not None else np.nan, "rule": p_rule}),
            )
        )
    rows = _sample(np.flatnonzero(known_now), ms.max_training_invoices, ms.seed)
    enough = len(rows) >= ms.min_training_invoices
    y = late_now[rows].astype(int)
    final = _fit(x_all.iloc[rows], y, ms) if enough else None
    classes_now = rule_at(as_of)
    rates = _class_rates(classes_now, h.entities, h, rows, y) if len(rows) else {}
    result = LateModel(
        late_days=n,
        model=final,
        backtests=tests,
        uses_model=False,
        train_invoices=len(rows),
        class_rates=rates,
        base_rate=float(y.mean()) if len(y) else float("nan"),
    )
    s = result.summary()
    beats = (
        final is not None
        and s["model_auc"] is not None
        and s["rule_auc"] is not None
        and s["model_auc"] > s["rule_auc"]
        and s["model_brier"] < s["rule_brier"]
    )
    result.uses_model = bool(beats)
    return result


def customer_risk(lm: LateModel, h: History, keys: pd.Series, classes: pd.Series, *, as_of: dt.date) -> pd.Series:
    """Each customer's probability that an invoice issued tomorrow is paid more than N days late.

    The model scores a typical invoice of the customer (its median amount and term; the company's for a
    customer with none) with everything known up to the as-of date; without a winning model, the late rate
    of the customer's class is used.
    """
    if not lm.uses_model or lm.model is None:
        rates = classes.map(lm.class_rates).astype("float64")
        return pd.Series(rates.fillna(lm.base_rate).to_numpy(), index=keys.index, name="late_payment_risk")
    day = int((np.datetime64(as_of, "D") - _EPOCH).astype("int64")) + 1
    entity = h.entities.get_indexer(pd.Index(keys))
    frame = pd.DataFrame({"e": h.entity, "amount": h.amount, "term": h.due - h.issued})
    typical = frame.groupby("e")[["amount", "term"]].median()
    amount = typical["amount"].reindex(entity).to_numpy()
    term = typical["term"].reindex(entity).to_numpy()
    amount = np.where(np.isnan(amount), np.nanmedian(h.amount) if len(h) else 0.0, amount)
    term = np.where(np.isnan(term), np.nanmedian(h.due - h.issued) if len(h) else 30.0, term)
    # A customer without invoices gets a number no invoice has: it counts no events.
    safe = np.where(entity >= 0, entity, len(h.entities) + 1).astype("int64")
    x = features(h, safe, np.full(len(safe), day, dtype="int64"), amount, term, n=lm.late_days)
    with threadpool_limits(1):
        p = lm.model.predict_proba(x)[:, 1]
    return pd.Series(np.round(p, 4), index=keys.index, name="late_payment_risk")
