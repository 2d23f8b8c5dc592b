"""Linking records into customers: prepare, block, compare, fit, score, cluster - one call, one result.

``link_records`` is what the nightly linkage stage calls. Every step is a function of its own module so the
on-entry matcher can reuse prepare/compare/score on one new record and a saved model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from transforms.cores import usable_cores
from transforms.linkage.blocking import Candidates, block_codes, candidate_pairs
from transforms.linkage.cluster import cluster_links
from transforms.linkage.compare import RecordCodes, compare_pairs
from transforms.linkage.model import FittedModel, fit_model, match_weights, probability, random_pairs
from transforms.linkage.name_only import name_only_joins
from transforms.linkage.prepare import ID, linkage_keys, prepare_records
from transforms.linkage.review import RuleFn, review_list
from transforms.linkage.settings import LinkageSettings

log = logging.getLogger(__name__)

DECISION_COLUMNS = ("record_id_l", "record_id_r", "is_match")


@dataclass
class LinkResult:
    """Scored candidate pairs, clusters, pairs for a steward, the fitted model and the run's figures."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    review: pd.DataFrame
    model: FittedModel
    stats: dict[str, Any] = field(default_factory=dict)
    settings: LinkageSettings | None = None
    #: record_id, linkage_key (``prepare.linkage_keys``): what the next night compares to find changed records.
    record_keys: pd.DataFrame | None = None
    #: The prepared records (``prepare.prepare_records``): the next night reuses those that did not change.
    prepared: pd.DataFrame | None = None


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = round(now - self._t, 3)
        self._t = now


def pass_agreement(settings: LinkageSettings, prepared: pd.DataFrame, cands: Candidates) -> dict[str, np.ndarray]:
    """Per blocking pass, whether each pair agrees on all of the pass's keys (would be found by it).

    Compared as the pass's block numbers (one integer per record, those blocking made), not as the key texts: the
    pairs are candidates, so both records are linkable and equal numbers mean equal keys."""
    out = {}
    for spec in settings.blocking.passes:
        codes = cands.codes.get(spec.name)
        if codes is None:
            codes = block_codes(prepared, spec.keys)
        lc = codes[cands.left]
        out[spec.name] = (lc >= 0) & (lc == codes[cands.right])
    return out


def conflict_rules(
    settings: LinkageSettings, prepared: pd.DataFrame, codes: RecordCodes | None = None
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function giving, for pairs of positions, the index (in ``settings.conflicts``) of the first conflict rule
    each pair breaks - strong evidence of two people - or -1 where it breaks none."""
    names = sorted({n for c in settings.conflicts for n in (*c.disagree, *c.unless_agree)})
    if not names:
        return lambda left, right: np.full(len(left), -1, dtype=np.int64)
    subset = settings.model_copy(update={"comparisons": settings.with_parts(names)})

    def rules(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        rule_of = np.full(len(left), -1, dtype=np.int64)
        if len(left) == 0:
            return rule_of
        levels = compare_pairs(subset, prepared, left, right, codes=codes)
        for i, rule in enumerate(settings.conflicts):
            all_differ = np.ones(len(left), dtype=bool)
            for n in rule.disagree:
                all_differ &= levels[f"cmp_{n}"].to_numpy() == 0
            for n in rule.unless_agree:
                all_differ &= levels[f"cmp_{n}"].to_numpy() <= 0
            rule_of[(rule_of < 0) & all_differ] = i
        return rule_of

    return rules


def conflict_checker(settings: LinkageSettings, prepared: pd.DataFrame, codes: RecordCodes | None = None) -> Any:
    """A function telling, for pairs of positions, whether the records strongly disagree (a conflict rule)."""
    rules = conflict_rules(settings, prepared, codes)
    return lambda left, right: rules(left, right) >= 0


def _decision_positions(decisions: pd.DataFrame | None, prepared: pd.DataFrame) -> pd.DataFrame:
    """Decided pairs as positions (l < r) with is_match; pairs naming unknown records are dropped."""
    if decisions is None or decisions.empty:
        return pd.DataFrame(
            {
                "l": pd.Series([], dtype=np.int64),
                "r": pd.Series([], dtype=np.int64),
                "is_match": pd.Series([], dtype=bool),
            }
        )
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"decisions: missing column(s) {', '.join(missing)}")
    pos = pd.Series(np.arange(len(prepared)), index=prepared[ID].to_numpy())
    a = decisions["record_id_l"].astype(str).map(pos)
    b = decisions["record_id_r"].astype(str).map(pos)
    ok = a.notna() & b.notna() & (a != b)
    if (~ok).any():
        log.info("decisions: %d pairs name records not in tonight's data and are ignored", int((~ok).sum()))
    pa, pb = a[ok].astype(np.int64).to_numpy(), b[ok].astype(np.int64).to_numpy()
    out = pd.DataFrame(
        {
            "l": np.minimum(pa, pb),
            "r": np.maximum(pa, pb),
            "is_match": decisions.loc[ok, "is_match"].astype(bool).to_numpy(),
        }
    )
    # The latest verdict on a pair wins (decisions come in the order they were made).
    return out.drop_duplicates(["l", "r"], keep="last").reset_index(drop=True)


def scored_pairs(
    ids: np.ndarray, cands: Candidates, weights: np.ndarray, prob: np.ndarray, levels: pd.DataFrame
) -> pd.DataFrame:
    """Each candidate pair by its two record ids, with its match weight and probability, its comparison levels
    (term frequencies left out) and the blocking pass that found it: the pairs a night scores, full or
    incremental."""
    columns: dict[str, np.ndarray] = {
        "record_id_l": ids[cands.left],
        "record_id_r": ids[cands.right],
        "match_weight": weights,
        "match_probability": prob,
        **{c: levels[c].to_numpy() for c in levels.columns if not c.startswith("tf_")},
        "blocked_by": cands.blocked_by,
    }
    # The arrays as they are, not copied into one block per type: a large night holds tens of millions of pairs.
    pairs = pd.DataFrame(columns, copy=False)
    return pairs


def pairs_for_review(
    pairs: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    accepted: np.ndarray,
    *,
    labels: np.ndarray,
    decided: pd.DataFrame,
    cannot: np.ndarray,
    rules: RuleFn,
    ids: np.ndarray,
    settings: LinkageSettings,
) -> tuple[pd.DataFrame, int, int]:
    """The steward's review list of a night's scored pairs (full or incremental): the pairs the model is unsure of
    and the likely pairs that ended in two customers, less those a steward already decided. Returns the list, how
    many pairs qualified before its cap, and how many likely pairs were kept apart."""
    n = len(ids)
    is_decided = np.isin(left * n + right, decided["l"].to_numpy() * n + decided["r"].to_numpy())
    in_band = (prob >= settings.thresholds.review_lower) & (prob < settings.thresholds.match)
    # A likely pair that ends in two customers was kept apart by a conflict rule (or a steward's verdict on
    # another pair): the steward sees it too, with the reason, rather than nobody.
    apart = accepted & (labels[left] != labels[right])
    shown = np.flatnonzero((in_band | apart) & ~is_decided)
    review, found = review_list(
        pairs.iloc[shown].reset_index(drop=True),
        left[shown],
        right[shown],
        apart[shown],
        labels=labels,
        rules=rules,
        cannot=cannot,
        ids=ids,
        settings=settings,
    )
    return review, found, int((apart & ~is_decided).sum())


def link_records(
    records: pd.DataFrame,
    settings: LinkageSettings,
    *,
    decisions: pd.DataFrame | None = None,
    seed: int = 0,
) -> LinkResult:
    """Link the records within and across sources (as ``settings.link_type`` says) into clusters."""
    timer = _Timer()
    prepared = prepare_records(records, settings, processes=usable_cores())
    n = len(prepared)
    if prepared[ID].duplicated().any():
        raise ValueError(f"records: {settings.id_column} is not unique")
    timer.lap("prepare")

    cands: Candidates = candidate_pairs(prepared, settings)
    timer.lap("blocking")
    codes = RecordCodes(prepared)
    levels = compare_pairs(settings, prepared, cands.left, cands.right, codes=codes)
    timer.lap("compare")

    rng = np.random.default_rng(seed)
    rp = random_pairs(prepared, settings, settings.training.u_random_pairs, rng)
    u_levels = compare_pairs(settings, prepared, rp[0], rp[1], codes=codes)
    timer.lap("random_pairs")

    decided = _decision_positions(decisions, prepared)
    labelled = None
    if len(decided):
        labelled = compare_pairs(settings, prepared, decided["l"].to_numpy(), decided["r"].to_numpy(), codes=codes)
        labelled["is_match"] = decided["is_match"].to_numpy()
    agrees = pass_agreement(settings, prepared, cands)
    model = fit_model(settings, prepared, u_levels, levels, agrees, labelled=labelled, seed=seed)
    del rp, u_levels, agrees, labelled  # the training pairs are done with: a large night frees them here
    timer.lap("fit")

    weights = match_weights(model, levels)
    prob = probability(weights, model.prior)
    timer.lap("score")

    accepted = prob >= settings.thresholds.match
    must = decided[decided["is_match"].to_numpy(dtype=bool)]
    cannot = decided[~decided["is_match"].to_numpy(dtype=bool)]
    edge_l = np.concatenate([cands.left[accepted], must["l"].to_numpy()])
    edge_r = np.concatenate([cands.right[accepted], must["r"].to_numpy()])
    edge_p = np.concatenate([prob[accepted], np.ones(len(must))])
    edge_must = np.concatenate([np.zeros(int(accepted.sum()), bool), np.ones(len(must), bool)])
    rules = conflict_rules(settings, prepared, codes)
    clustering = cluster_links(
        n,
        edge_l,
        edge_r,
        edge_p,
        must=edge_must,
        conflict=lambda left, right: rules(left, right) >= 0,
        cannot=(cannot["l"].to_numpy() * n + cannot["r"].to_numpy()),
    )
    joins = name_only_joins(prepared, clustering.labels, model, settings)
    if len(joins.records):
        # A record left a customer of its own takes the one whose name it carries; labels stay 0..k-1.
        joined = clustering.labels.copy()
        joined[joins.records] = joins.labels
        strength = clustering.strength.copy()
        strength[joins.records] = joins.probability
        clustering = replace(clustering, labels=pd.factorize(joined)[0].astype(np.int64), strength=strength)
    timer.lap("cluster")

    ids = prepared[ID].to_numpy()
    pairs = scored_pairs(ids, cands, weights, prob, levels)
    del levels  # its columns are now the pairs' (a second copy of every candidate pair's levels otherwise)
    review, review_found, kept_apart = pairs_for_review(
        pairs,
        cands.left,
        cands.right,
        prob,
        accepted,
        labels=clustering.labels,
        decided=decided,
        cannot=cannot["l"].to_numpy() * n + cannot["r"].to_numpy(),
        rules=rules,
        ids=ids,
        settings=settings,
    )
    clusters = pd.DataFrame({"record_id": ids, "cluster": clustering.labels, "match_probability": clustering.strength})
    timer.lap("outputs")
    stats: dict[str, Any] = {
        "records": n,
        "linkable_records": int(prepared["_linkable"].sum()),
        "blocking": cands.passes,
        "candidate_pairs": len(cands),
        "accepted_pairs": int(accepted.sum()),
        "review_pairs": len(review),
        "review_pairs_found": review_found,
        "kept_apart_pairs": kept_apart,
        "name_only_records": joins.name_only_records,
        "name_only_joined": len(joins.records),
        "decisions": len(decided),
        "clustering": clustering.stats,
        "seconds": timer.seconds,
    }
    log.info(
        "linkage: %d records, %d candidate pairs, %d links, %d clusters, %d pairs to review",
        n,
        len(cands),
        int(accepted.sum()),
        clustering.stats["clusters"],
        len(review),
    )
    return LinkResult(
        pairs=pairs,
        clusters=clusters,
        review=review,
        model=model,
        stats={"night": "full", **stats},
        settings=settings,
        record_keys=pd.DataFrame({"record_id": ids, "linkage_key": linkage_keys(records, settings)}),
        prepared=prepared,
    )
