"""The steward's review list: which pairs, why each is there, which come first, and how many.

Two kinds of pairs need a person: those the model is unsure about (a match probability between the review
thresholds), and those it finds likely but a conflict rule kept in two customers (born on different days with
different phones, a household member ...) - the rule may be right, or one record may hold a typo. Each pair says
why it is there, in words.

A company ten times larger has ten times as many doubtful pairs, more than a steward can read; so the pairs are
ranked by what a wrong decision would cost and the list is cut at ``review.max_share_of_records`` of the night's
records. The cost of a pair is the records of the customers the decision joins or splits (both customers when the
records sit in two, that one customer when they already sit together) times how unsure the model is
(1 at probability 0.5, falling to 0 at 0 and 1); a pair a rule kept apart is as unsure as can be, the model and the
rule saying opposite things.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from transforms.linkage.settings import LinkageSettings

log = logging.getLogger(__name__)

#: Given position arrays (left, right), the index of the conflict rule each pair breaks (-1: none).
RuleFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _members(labels: np.ndarray, wanted: np.ndarray) -> pd.DataFrame:
    """Positions of the records of the clusters ``wanted`` (columns c, p)."""
    pos = np.flatnonzero(np.isin(labels, wanted))
    return pd.DataFrame({"c": labels[pos], "p": pos})


def kept_apart_reasons(
    left: np.ndarray,
    right: np.ndarray,
    *,
    labels: np.ndarray,
    rules: RuleFn,
    cannot: np.ndarray,
    ids: np.ndarray,
    settings: LinkageSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Why each pair (positions in two clusters) was kept apart, in words: the rule the pair itself breaks, or the
    two records, one in each customer, that a rule (or a steward's verdict) says are two people; and whether the
    pair itself breaks a rule."""
    n = len(labels)
    out = np.full(len(left), "kept apart by a conflict rule", dtype=object)
    direct = rules(left, right)
    for i, rule in enumerate(settings.conflicts):
        out[direct == i] = f"kept apart by rule {rule.name}: {rule.in_words}"
    todo = np.flatnonzero(direct < 0)
    if len(todo) == 0:
        return out, direct >= 0
    ca, cb = labels[left[todo]], labels[right[todo]]
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    wanted = pd.DataFrame({"lo": lo, "hi": hi}).drop_duplicates()
    members = _members(labels, np.union1d(wanted["lo"], wanted["hi"]))
    cross = wanted.merge(members.rename(columns={"c": "lo", "p": "a"}), on="lo").merge(
        members.rename(columns={"c": "hi", "p": "b"}), on="hi"
    )
    a, b = cross["a"].to_numpy(), cross["b"].to_numpy()
    cross["rule"] = rules(np.minimum(a, b), np.maximum(a, b))
    cross["steward"] = np.isin(np.minimum(a, b) * n + np.maximum(a, b), cannot)
    cross = cross[(cross["rule"] >= 0) | cross["steward"]].drop_duplicates(["lo", "hi"])
    words: dict[tuple[int, int], str] = {}
    rows = zip(cross["lo"].tolist(), cross["hi"].tolist(), cross["a"].tolist(), cross["b"].tolist(), strict=True)
    for (x, y, p, q), rule in zip(rows, cross["rule"].tolist(), strict=True):
        why = (
            f"rule {settings.conflicts[rule].name}: {settings.conflicts[rule].in_words}"
            if rule >= 0
            else "a steward's verdict that they are different people"
        )
        words[(x, y)] = f"joining them would put {ids[p]} and {ids[q]} in one customer, kept apart by {why}"
    found = [words.get((x, y)) for x, y in zip(lo.tolist(), hi.tolist(), strict=True)]
    out[todo] = [w if w is not None else out[todo[k]] for k, w in enumerate(found)]
    return out, direct >= 0


def review_priority(
    probability: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    *,
    kept_apart: np.ndarray,
    by_own_rule: np.ndarray,
    labels: np.ndarray,
    match: float,
) -> np.ndarray:
    """What a wrong decision on each pair would cost: records of the customers it joins or splits, times doubt.

    Doubt is 1 - |2p - 1| for a pair the model is unsure about; 1 for a likely pair kept apart only because other
    records of the two customers conflict (nothing in the pair itself says two people: on the generated company
    a sixth of these are one person); and for a pair that itself breaks a rule, the doubt of the surest pair the
    model still asks about (probability ``match``) - the rule is strong evidence, right for nearly every such pair."""
    sizes = np.bincount(labels, minlength=1)
    cl, cr = labels[left], labels[right]
    records = np.where(cl == cr, sizes[cl], sizes[cl] + sizes[cr]).astype(np.float64)
    doubt = 1.0 - np.abs(2.0 * probability - 1.0)
    doubt = np.where(kept_apart, np.where(by_own_rule, 1.0 - abs(2.0 * match - 1.0), 1.0), doubt)
    out: np.ndarray = doubt * records
    return out


def review_list(
    pairs: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    kept_apart: np.ndarray,
    *,
    labels: np.ndarray,
    rules: RuleFn,
    cannot: np.ndarray,
    ids: np.ndarray,
    settings: LinkageSettings,
) -> tuple[pd.DataFrame, int]:
    """The night's review list (``pairs``, row-aligned with positions ``left``/``right`` and ``kept_apart``) with a
    ``review_reason`` and ``review_priority``, most consequential first and cut at the settings' share of records;
    and how many pairs qualified before the cut."""
    prob = pairs["match_probability"].to_numpy(dtype=np.float64)
    reason = np.empty(len(pairs), dtype=object)
    by_own_rule = np.zeros(len(pairs), dtype=bool)
    unsure = ~kept_apart
    reason[unsure] = [f"the model is unsure: match probability {p:.2f}" for p in prob[unsure]]
    if kept_apart.any():
        reason[kept_apart], by_own_rule[kept_apart] = kept_apart_reasons(
            left[kept_apart],
            right[kept_apart],
            labels=labels,
            rules=rules,
            cannot=cannot,
            ids=ids,
            settings=settings,
        )
    cl, cr = labels[left], labels[right]
    out = pairs.assign(
        review_reason=reason,
        review_priority=review_priority(
            prob,
            left,
            right,
            kept_apart=kept_apart,
            by_own_rule=by_own_rule,
            labels=labels,
            match=settings.thresholds.match,
        ),
        _customers=np.minimum(cl, cr) * len(labels) + np.maximum(cl, cr),
    )
    # One decision joins or splits two customers: the pair of records that matters most stands for the others.
    out = out.sort_values(["review_priority", "match_probability"], ascending=False, kind="stable")
    out = out.drop_duplicates("_customers").drop(columns="_customers")
    cap = max(1, int(settings.review.max_share_of_records * len(labels)))
    if len(out) > cap:
        log.warning(
            "review: %d pairs of customers qualify, the %d most consequential are listed "
            "(review.max_share_of_records %.3g)",
            len(out),
            cap,
            settings.review.max_share_of_records,
        )
    return out.head(cap).reset_index(drop=True), len(out)
