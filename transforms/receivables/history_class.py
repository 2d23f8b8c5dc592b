"""The payment class from a customer's whole history: how each invoice went, not only the median one.

A median over a handful of invoices hides a customer who pays some invoices late and never pays others, and
turns a punctual payer with one disputed invoice into a late one. Here every invoice due is evidence:

* an invoice paid ``d`` days after its due date (negative = early) is more or less likely under each class;
* an invoice still unpaid ``a`` days past due is *censored*: all we know is that it will be paid later than
  ``a`` days, or never; an invoice unpaid for long is evidence of default;
* an unpaid invoice that was paid in part is told apart from one not paid at all (paying a part and stopping
  is a habit of its own);
* older invoices weigh less (``history.recency_half_life_days``): a customer's habits can change.

What each class means stays the policy's: the classes start as the median rule's (the cut-offs of
``reliability.yml``), and each class's pattern of payment (how many days late its invoices are paid, what
share is never paid) starts as the policy's band (on time: by the due date; slight delay: up to the slight
limit ...). The patterns are then re-estimated from the company's own accounts (a few rounds of
expectation-maximisation: accounts are weighed by how likely they are to be in each class), so that, e.g.,
"on time" learns that its customers sometimes pay a day or two after the due date. Each customer then gets
the class whose pattern best explains all its invoices, with the probability of that class
(``class_probability``). Few invoices, or no clear winner: ``class_certainty = 'uncertain'``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from transforms.receivables.settings import GRADED_CLASSES, Classes

#: Days from due at which the pattern of payment is binned (the policy's limits are added to them).
_BASE_EDGES = (-60, -30, -15, -10, -7, -5, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 10, 12, 15, 20, 25, 30, 40, 50, 60)
_TAIL_EDGES = (75, 90, 105, 120, 150, 180, 240, 300, 365, 540, 730)
#: Lower limits of the groups of customers by invoices due, each with its own share of classes.
_COUNT_GROUPS = (1, 2, 3, 5, 9, 17)
#: Days after the last edge over which the survival of the open-ended last bin halves.
_TAIL_HALF_LIFE = 365.0


@dataclass(frozen=True)
class Evidence:
    """The invoices due, one entry each: whose (``key``: 0..k-1), paid or not, paid in part, days from due, age.

    ``days`` is the full-payment date minus the due date for a paid invoice, and the days past due so far for
    an unpaid one; ``age`` is how long ago the invoice fell due (its weight fades with it).
    """

    key: np.ndarray
    paid: np.ndarray
    part_paid: np.ndarray
    days: np.ndarray
    age: np.ndarray
    keys: int

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, keys: int) -> Evidence:
        """From columns key, paid, part_paid, days, age (one row per invoice due)."""
        return cls(
            key=frame["key"].to_numpy(dtype="int64"),
            paid=frame["paid"].to_numpy(dtype="bool"),
            part_paid=frame["part_paid"].to_numpy(dtype="bool") & ~frame["paid"].to_numpy(dtype="bool"),
            days=frame["days"].to_numpy(dtype="float64"),
            age=frame["age"].to_numpy(dtype="float64"),
            keys=keys,
        )


@dataclass(frozen=True)
class ClassPatterns:
    """Each graded class's pattern of payment: share of paid invoices per bin of days from due, share never paid."""

    edges: np.ndarray  # bin i holds days in [edges[i], edges[i + 1]); the first and last bins are open
    paid_share: np.ndarray  # (classes, bins), rows sum to 1
    never_paid: np.ndarray  # (classes,)
    part_paid: np.ndarray  # (classes,) share of its unpaid invoices due that were paid in part
    prior: np.ndarray  # (count groups, classes) share of accounts in each class, by how many invoices are due

    def describe(self) -> pd.DataFrame:
        """Per class: share of accounts, median days from due of paid invoices, share never paid."""
        rows = []
        for c, name in enumerate(GRADED_CLASSES):
            cum = np.cumsum(self.paid_share[c])
            mid = int(np.searchsorted(cum, 0.5))
            rows.append(
                {
                    "class": name,
                    "share_of_accounts": round(float(self.prior[:, c].mean()), 4),
                    "median_days_from_due_paid": float(self.edges[max(min(mid, len(self.edges) - 2), 1)]),
                    "share_never_paid": round(float(self.never_paid[c]), 4),
                    "share_unpaid_paid_in_part": round(float(self.part_paid[c]), 4),
                }
            )
        return pd.DataFrame(rows)


def _edges(c: Classes) -> np.ndarray:
    limits = {
        c.on_time_max_median_days_late + 1,
        c.slight_delay_max_median_days_late + 1,
        c.significant_delay_max_median_days_late + 1,
        float(c.non_payer.min_days_overdue),
    }
    inner = sorted({float(e) for e in (*_BASE_EDGES, *_TAIL_EDGES)} | {float(np.ceil(x)) for x in limits})
    return np.array([-np.inf, *inner, np.inf])


def _policy_patterns(edges: np.ndarray, c: Classes) -> tuple[np.ndarray, np.ndarray]:
    """The policy's own idea of each class: paid within its band (a little outside it too), never paid rarely
    except for a non-payer, whose invoices, when paid at all, are paid anywhere beyond the slight limit."""
    lo = np.array(
        [
            -np.inf,
            c.on_time_max_median_days_late,
            c.slight_delay_max_median_days_late,
            c.slight_delay_max_median_days_late,  # a non-payer that pays at all pays late, even if not very
        ]
    )
    hi = np.array(
        [
            c.on_time_max_median_days_late,
            c.slight_delay_max_median_days_late,
            c.significant_delay_max_median_days_late,
            np.inf,
        ]
    )
    left, right = edges[:-1], edges[1:]
    bins = len(left)
    share = np.full((len(GRADED_CLASSES), bins), 0.02 / bins)
    for k in range(len(GRADED_CLASSES)):
        # a bin is inside the band when its days (rounded to whole days) are: days in (lo, hi]
        inside = (left > lo[k]) & (right - 1 <= hi[k])
        inside |= (left <= lo[k]) & (right - 1 > lo[k]) & (right - 1 <= hi[k])
        share[k, inside] += 0.98 / max(int(inside.sum()), 1)
    share /= share.sum(axis=1, keepdims=True)
    never = np.array([0.005, 0.01, 0.03, 0.5])
    return share, never


def _bin(days: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, days, side="right") - 1, 0, len(edges) - 2)


def _survival(share: np.ndarray, edges: np.ndarray, days: np.ndarray) -> np.ndarray:
    """P(paid later than ``days`` | paid), per class (columns) for each value of ``days`` (rows)."""
    later = days + 1  # paid later than a days = paid at a + 1 or after
    b = _bin(later, edges)
    tail = np.cumsum(share[:, ::-1], axis=1)[:, ::-1]  # tail[:, j] = share of bins j..end
    after = np.concatenate([tail[:, 1:], np.zeros((share.shape[0], 1))], axis=1)  # bins j+1..end
    left, right = edges[b], edges[b + 1]
    width = right - left
    finite = np.isfinite(width)
    frac = np.where(finite, (right - later) / np.where(finite, width, 1.0), 0.0)
    frac = np.where(np.isinf(right), np.exp2(-np.maximum(later - left, 0) / _TAIL_HALF_LIFE), frac)
    frac = np.where(np.isinf(left), 1.0, frac)
    out: np.ndarray = (after[:, b] + share[:, b] * np.clip(frac, 0.0, 1.0)).T
    return out


#: Unpaid invoices are told apart by their days past due up to this many (older ones count as this old).
_MAX_OPEN_DAYS = 3650


@dataclass(frozen=True)
class _Typed:
    """Invoices reduced to what the likelihood reads: paid in bin b (type b), or unpaid d days past due, paid in
    part or not (type bins + part * (max + 1) + d). Every invoice of a type has the same likelihood, so each
    round computes a small table per type and gathers from it instead of recomputing per invoice."""

    kind: np.ndarray  # type of each invoice
    bins: int
    weight: np.ndarray  # recency weight of each invoice
    group: np.ndarray  # count group of each key

    @property
    def types(self) -> int:
        return self.bins + 2 * (_MAX_OPEN_DAYS + 1)

    def open_days(self) -> np.ndarray:
        """Days past due of the unpaid types (for part = 0 then part = 1)."""
        days = np.arange(_MAX_OPEN_DAYS + 1, dtype="float64")
        return np.concatenate([days, days])


def _typed(ev: Evidence, edges: np.ndarray, half_life: float | None) -> _Typed:
    bins = len(edges) - 1
    days = np.clip(np.nan_to_num(ev.days), 0, _MAX_OPEN_DAYS).astype("int64")
    kind = np.where(ev.paid, _bin(ev.days, edges), bins + ev.part_paid.astype("int64") * (_MAX_OPEN_DAYS + 1) + days)
    return _Typed(kind.astype("int64"), bins, _weights(ev, half_life), _count_group(ev))


def _type_log_likelihood(typed: _Typed, p: ClassPatterns) -> np.ndarray:
    """(types, classes): log-likelihood of an invoice of each type under each class."""
    paid = np.log(1 - p.never_paid)[None, :] + np.log(p.paid_share.T)
    days = typed.open_days()
    surv = _survival(p.paid_share, p.edges, days)
    part = (np.arange(len(days)) > _MAX_OPEN_DAYS)[:, None]
    unpaid = np.log(p.never_paid + (1 - p.never_paid) * surv) + np.log(np.where(part, p.part_paid, 1 - p.part_paid))
    out: np.ndarray = np.concatenate([paid, unpaid])
    return out


def _weights(ev: Evidence, half_life: float | None) -> np.ndarray:
    if not half_life:
        return np.ones(len(ev.key))
    out: np.ndarray = np.exp2(-np.maximum(ev.age, 0) / half_life)
    return out


def _count_group(ev: Evidence) -> np.ndarray:
    """Each key's group by how many invoices it has due (0 for none)."""
    due = np.bincount(ev.key, minlength=ev.keys)
    return np.searchsorted(np.array(_COUNT_GROUPS), due, side="right")


def _posterior(ev: Evidence, typed: _Typed, p: ClassPatterns) -> np.ndarray:
    """(keys, classes): probability of each class given all the key's invoices."""
    table = _type_log_likelihood(typed, p)
    total = np.empty((ev.keys, table.shape[1]))
    for c in range(table.shape[1]):
        total[:, c] = np.bincount(ev.key, weights=typed.weight * table[typed.kind, c], minlength=ev.keys)
    total += np.log(p.prior)[typed.group]
    total -= total.max(axis=1, keepdims=True)
    post = np.exp(total)
    post /= post.sum(axis=1, keepdims=True)
    return post


def fit_patterns(ev: Evidence, start: np.ndarray, classes: Classes) -> ClassPatterns:
    """Each class's pattern of payment, learnt from the accounts in ``ev`` starting from the classes ``start``.

    ``start`` holds each key's class by the median rule (index into GRADED_CLASSES; -1 for nothing due). The
    policy's patterns weigh as ``history.policy_weight`` invoices per class, so that a small company's
    classes stay close to the policy and a large one's learn their real shape.
    """
    h = classes.history
    edges = _edges(classes)
    policy_share, policy_never = _policy_patterns(edges, classes)
    k = len(GRADED_CLASSES)
    typed = _typed(ev, edges, h.recency_half_life_days)
    resp = np.zeros((ev.keys, k))
    has = start >= 0
    resp[has, start[has]] = 1.0
    # What each type of invoice is: paid (its bin), unpaid long enough to count as defaulted, paid in part.
    days = typed.open_days()
    is_paid = np.arange(typed.types) < typed.bins
    defaulted = np.concatenate([np.zeros(typed.bins, bool), days >= classes.non_payer.min_days_overdue])
    part = np.concatenate([np.zeros(typed.bins, bool), np.arange(len(days)) > _MAX_OPEN_DAYS])
    resolved = is_paid | defaulted
    policy_part = np.full(k, 0.1)
    groups = len(_COUNT_GROUPS) + 1
    patterns = ClassPatterns(edges, policy_share, policy_never, policy_part, np.full((groups, k), 1.0 / k))
    for _ in range(h.iterations):
        # Weighted count of each type of invoice in each class (the accounts weighed by how likely each class is).
        counts = np.stack(
            [
                np.bincount(typed.kind, weights=resp[:, c][ev.key] * typed.weight, minlength=typed.types)
                for c in range(k)
            ],
            1,
        )
        share = counts[: typed.bins].T + policy_share * h.policy_weight
        share /= share.sum(axis=1, keepdims=True)
        never = (counts[defaulted].sum(axis=0) + policy_never * h.policy_weight) / (
            counts[resolved].sum(axis=0) + h.policy_weight
        )
        paid_in_part = (counts[part].sum(axis=0) + policy_part * h.policy_weight) / (
            counts[~is_paid].sum(axis=0) + h.policy_weight
        )
        overall = (resp[has].sum(axis=0) + 1.0) / (has.sum() + k)
        by_group = np.stack([np.bincount(typed.group, weights=resp[:, c], minlength=groups) for c in range(k)], 1)
        prior = by_group + overall[None, :] * h.prior_weight
        prior /= prior.sum(axis=1, keepdims=True)
        patterns = ClassPatterns(edges, share, np.clip(never, 1e-4, 0.999), np.clip(paid_in_part, 1e-3, 0.999), prior)
        resp = _posterior(ev, typed, patterns)
        resp[~has] = 0.0
    return patterns


@dataclass(frozen=True)
class HistoryClasses:
    """Per key: the class (index into GRADED_CLASSES, -1 for nothing due), its probability and certainty."""

    label: np.ndarray
    probability: np.ndarray
    certainty: np.ndarray


def classify_history(ev: Evidence, patterns: ClassPatterns, classes: Classes) -> HistoryClasses:
    """The most probable class of each key given all its invoices; ``uncertain`` with few invoices or odds
    below ``history.min_probability``."""
    h = classes.history
    post = _posterior(ev, _typed(ev, patterns.edges, h.recency_half_life_days), patterns)
    due = np.bincount(ev.key, minlength=ev.keys)
    label = np.where(due > 0, post.argmax(axis=1), -1)
    probability = np.where(due > 0, post.max(axis=1), np.nan)
    sure = (due >= h.min_invoices) & (probability >= h.min_probability)
    certainty = np.where(due == 0, "", np.where(sure, "sure", "uncertain"))
    return HistoryClasses(label, np.round(probability, 4), certainty.astype(object))


def label_names(label: np.ndarray) -> np.ndarray:
    """Class names for indices into GRADED_CLASSES (-1: no_history)."""
    names = np.array([*GRADED_CLASSES, "no_history"], dtype=object)
    return names[np.where(label < 0, len(GRADED_CLASSES), label)]


def class_index(names: pd.Series | np.ndarray) -> np.ndarray:
    """Indices into GRADED_CLASSES for class names (-1 for no_history or anything else)."""
    lookup = {name: i for i, name in enumerate(GRADED_CLASSES)}
    return np.array([lookup.get(str(n), -1) for n in names], dtype="int64")


_EVIDENCE_SQL = """
create or replace temp table {table} as
select k.k as key,
       f.status = 'paid' as paid,
       f.status = 'overdue' and coalesce(f.open_amount < f.amount_due - 0.005, false) as part_paid,
       case when f.status = 'paid' then date_diff('day', f.due_on, f.fully_paid_on)
            else date_diff('day', f.due_on, {as_of}) end as days,
       date_diff('day', f.due_on, {as_of}) as age
from {relation} f join {numbers} k on k.ckey = f.{key}
where f.days_late is not null and f.status in ('paid', 'overdue')
"""

_REASON_SQL = """
with banded as (
    select key,
           case when not paid then 4 when days <= {on_time} then 0 when days <= {slight} then 1
                when days <= {significant} then 2 else 3 end as band,
           count(*) as n, min(days) as lo, max(days) as hi
    from {table} group by all
),
parts as (
    select key, band, sum(n) over (partition by key) as total,
           n || case band when 0 then ' paid on time'
                          when 4 then ' unpaid for '
                          else ' paid ' end
             || case when band = 0 then ''
                     when lo = hi then lo::bigint::varchar
                     else lo::bigint || '–' || hi::bigint end
             || case when band = 0 then '' when hi = 1 and lo = 1 then ' day' else ' days' end
             || case when band in (1, 2, 3) then ' late' else '' end as part
    from banded
)
select key,
       first(total) || case when first(total) = 1 then ' invoice due: ' else ' invoices due: ' end
           || string_agg(part, '; ' order by band) as history_text
from parts group by 1
"""


def evidence_in(
    con: duckdb.DuckDBPyConnection, relation: str, *, key: str, numbers: str, keys: int, as_of: dt.date, table: str
) -> Evidence:
    """The invoices due in ``relation`` (settled, with ``key``), numbered by table ``numbers(ckey, k)``.

    Leaves them in table ``table`` of ``con`` (for the reasons, see ``reasons_in``).
    """
    con.execute(
        _EVIDENCE_SQL.format(
            table=table, relation=relation, numbers=numbers, key=key, as_of=f"date '{as_of.isoformat()}'"
        )
    )
    frame: pd.DataFrame = con.sql(f"select * from {table}").df()
    return Evidence.from_frame(frame, keys)


def reasons_in(con: duckdb.DuckDBPyConnection, table: str, keys: int, classes: Classes) -> np.ndarray:
    """Per key, its history in words: '9 invoices due: 7 paid 20–40 days late; 2 unpaid for 120–150 days'."""
    sql = _REASON_SQL.format(
        table=table,
        on_time=classes.on_time_max_median_days_late,
        slight=classes.slight_delay_max_median_days_late,
        significant=classes.significant_delay_max_median_days_late,
    )
    frame = con.sql(sql).df()
    out = np.full(keys, "nothing due yet", dtype=object)
    out[frame["key"].to_numpy(dtype="int64")] = frame["history_text"].to_numpy(dtype=object)
    return out


def explain(history_text: np.ndarray, result: HistoryClasses, rule: pd.Series) -> np.ndarray:
    """The reason of each class: the history, how sure the class is and, when it differs, the median rule's."""
    names = label_names(result.label)
    shown = pd.Series(names).str.replace("_", " ", regex=False)
    pct = pd.Series(np.floor(np.nan_to_num(result.probability) * 100)).astype("int64").clip(upper=99).astype(str)
    pct = pct.where(np.nan_to_num(result.probability) < 0.99, "over 99")
    text = pd.Series(history_text, dtype=object) + "; " + shown + " (" + pct + " % likely"
    text = text.where(pd.Series(result.certainty) != "uncertain", text + ", uncertain")
    text = text + ")"
    rule_names = pd.Series(rule.to_numpy(), dtype=object)
    differs = (rule_names != pd.Series(names)) & (result.label >= 0)
    text = text.where(~differs, text + "; the median alone would say " + rule_names.str.replace("_", " "))
    text = text.where(result.label >= 0, pd.Series(history_text, dtype=object))
    return text.to_numpy(dtype=object)


def patterns_json(patterns: ClassPatterns, classes: Classes) -> dict[str, object]:
    """The learnt patterns as a run artefact: what each class learnt, the bins, and the settings used."""
    edges = [None if not np.isfinite(e) else float(e) for e in patterns.edges]
    return {
        "classes": list(GRADED_CLASSES),
        "summary": patterns.describe().to_dict(orient="records"),
        "bin_edges_days_from_due": edges,
        "paid_share": np.round(patterns.paid_share, 6).tolist(),
        "never_paid": np.round(patterns.never_paid, 6).tolist(),
        "part_paid": np.round(patterns.part_paid, 6).tolist(),
        "class_share_by_invoices_due": {
            "groups_from": [0, *_COUNT_GROUPS],
            "shares": np.round(patterns.prior, 6).tolist(),
        },
        "settings": classes.model_dump(mode="json"),
    }
