"""Incremental nights: link only what changed since last night, with the last full night's model.

A customer base changes by a few percent a night, yet a full relink compares and refits everything. An incremental
night starts from what the last night kept (``KeptLinkage``): the fitted model, the scored pairs worth remembering
(match probability at or above the review threshold, with their comparison levels), each record's linkage key (a
hash of its prepared evidence) and its customer. Tonight's records whose key is new or different are the changed
ones; they are compared, through the same blocking passes as a full night, against every record (as the on-entry
matcher compares one record) and scored with the kept model. Last night's pairs between two unchanged records are
still valid: the same two records under the same model score the same.

Only the customers the changes can affect are clustered again: the connected components (over the accepted links)
holding a changed record, a record of a customer that lost or changed a record, or a record of a changed steward
decision, widened to whole customers of last night until nothing more is reached. Every other customer keeps its
records as they were, so the stable ids (``transforms.customers.identity``) give it its id again. Name-only records
are looked at again against the customers formed, as on a full night, and the review list is ranked again from
the remembered and the new pairs, so an incremental night writes the same outputs as a full one.

What a full relink would do differently: refit the model on tonight's pairs (term frequencies included) and skip a
block that tonight's new records pushed past its size cap. ``full_relink_reason`` says when to pay for one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from transforms.cores import usable_cores
from transforms.linkage.blocking import Candidates, _allowed, block_codes, union_of_passes
from transforms.linkage.cluster import cluster_links
from transforms.linkage.compare import RecordCodes, compare_pairs
from transforms.linkage.link import (
    LinkResult,
    _decision_positions,
    conflict_rules,
    link_records,
    pairs_for_review,
    scored_pairs,
)
from transforms.linkage.model import FittedModel, match_weights, probability
from transforms.linkage.name_only import name_only_joins
from transforms.linkage.prepare import ID, LINKABLE, linkage_keys, prepare_records
from transforms.linkage.settings import LinkageSettings
from transforms.row_hash import KEYS_VERSION

log = logging.getLogger(__name__)

#: Bump when what a night keeps for the next one changes shape: a night finding another version links in full.
#: The record keys' own version is part of it (keys made another way cannot be compared).
STATE_VERSION = f"2/{KEYS_VERSION}"
#: The columns of a kept pair besides its comparison levels (cmp_*).
PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_weight", "match_probability", "blocked_by")


@dataclass
class KeptLinkage:
    """What last night left for tonight to link incrementally.

    ``link_incremental`` lets go of the large frames (kept pairs, record keys, prepared records) as soon as it has
    used them, so that a night of a million customers does not hold last night's and tonight's at once: a
    ``KeptLinkage`` serves one night."""

    model: FittedModel
    #: Scored pairs at or above the review threshold: PAIR_COLUMNS and cmp_<comparison> levels.
    pairs: pd.DataFrame
    #: record_id, linkage_key: each record's prepared evidence as a 64-bit hash.
    record_keys: pd.DataFrame
    #: record_id, customer_id, match_probability (other columns not read): last night's customer of each record.
    customers: pd.DataFrame
    #: record_id_l, record_id_r, is_match: the stewards' decisions last night applied.
    decisions: pd.DataFrame
    #: Last night's prepared records (``prepare.prepare_records``); None: prepare every record again.
    prepared: pd.DataFrame | None = None

    def take(self, name: Literal["pairs", "record_keys", "prepared"]) -> Any:
        """One of the large frames, handed over: this holder keeps no reference to it any more."""
        frame = getattr(self, name)
        setattr(self, name, None)
        return frame


def settings_hash(settings: LinkageSettings) -> str:
    """A hash of the settings that shape the links (the incremental section itself left out): a night whose hash
    differs from the last full night's links everything again."""
    data = settings.model_dump(mode="json", by_alias=True, exclude={"incremental"})
    text = json.dumps({"state": STATE_VERSION, "settings": data}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def kept_pairs(pairs: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """The scored pairs a night keeps for the next: those at or above the review threshold (every pair that can
    become a link or a review pair), with their comparison levels."""
    cols = [*PAIR_COLUMNS, *(c for c in pairs.columns if c.startswith("cmp_"))]
    keep = pairs["match_probability"].to_numpy(dtype=np.float64) >= settings.thresholds.review_lower
    return pairs.loc[keep, cols].reset_index(drop=True)


def full_relink_reason(
    *,
    asked: bool,
    settings: LinkageSettings,
    as_of: dt.date,
    state: dict[str, Any] | None,
    has_previous: bool,
    changed_share: float,
) -> str | None:
    """Why tonight must be a full relink, in words, or None when it may link only what changed.

    ``state``: the previous night's linkage state (its ``link.state``), None when there is none to read.
    ``changed_share``: new, edited and removed records over tonight's records."""
    rules = settings.incremental
    if asked:
        return "a full relink was asked for (--full)"
    if not rules.enabled:
        return "incremental nights are off (linkage.yml incremental.enabled)"
    if not has_previous:
        return "no earlier night: every record is new"
    if state is None:
        return "last night's linkage state is missing from its run folder"
    if state.get("version") != STATE_VERSION:
        return "last night's linkage state was written by another version"
    if state.get("settings_hash") != settings_hash(settings):
        return "the linkage settings changed since the last full relink"
    last_full = dt.date.fromisoformat(str(state["last_full_as_of"]))
    age = (as_of - last_full).days
    if age < 0:
        return f"tonight is older than the last full relink ({last_full})"
    if age >= rules.full_every_days:
        return (
            f"the last full relink ({last_full}) is {age} days old "
            f"(incremental.full_every_days: {rules.full_every_days})"
        )
    if changed_share > rules.max_changed_share:
        return (
            f"{changed_share:.1%} of the records changed "
            f"(more than incremental.max_changed_share: {rules.max_changed_share:.0%})"
        )
    return None


# ------------------------------------------------------------------------------------------------ candidates


def _pairs_touching(codes: np.ndarray, cap: int, changed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (left < right) sharing a block with a changed record at one end at least; blocks above ``cap``
    skipped, as a full night skips them."""
    usable = np.flatnonzero(codes >= 0)
    if len(usable) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    sizes = np.bincount(codes[usable])
    fit = usable[(sizes[codes[usable]] >= 2) & (sizes[codes[usable]] <= cap)]
    hot = np.unique(codes[fit[changed[fit]]])
    members = fit[np.isin(codes[fit], hot)]
    frame = pd.DataFrame({"c": codes[members], "p": members, "new": changed[members]})
    joined = frame[frame["new"]].merge(frame, on="c", suffixes=("_l", "_r"))
    a, b = joined["p_l"].to_numpy(), joined["p_r"].to_numpy()
    keep = (a != b) & (~joined["new_r"].to_numpy() | (a < b))
    a, b = a[keep], b[keep]
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


def candidates_touching(prepared: pd.DataFrame, settings: LinkageSettings, changed: np.ndarray) -> Candidates:
    """Tonight's candidate pairs with a changed record at one end at least: each pass's blocks, as a full night
    builds them, holding a changed record; a pair is credited to the first pass that found it."""
    n = len(prepared)
    keys: list[np.ndarray] = []
    stats: list[dict[str, Any]] = []
    for spec in settings.blocking.passes:
        codes = block_codes(prepared, spec.keys)
        left, right = _pairs_touching(codes, spec.max_block_size or settings.blocking.max_block_size, changed)
        ok = _allowed(prepared, settings, left, right)
        keys.append(left[ok] * n + right[ok])
    if not keys:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, dtype=object), stats)
    sizes = [len(k) for k in keys]
    which, left, right = union_of_passes(keys, n)
    new_pairs = np.bincount(which, minlength=len(sizes))
    for spec, pairs, new in zip(settings.blocking.passes, sizes, new_pairs, strict=True):
        stats.append({"pass": spec.name, "pairs": pairs, "new_pairs": int(new)})
    names = np.array([spec.name for spec in settings.blocking.passes], dtype=object)
    return Candidates(left=left, right=right, blocked_by=names[which], passes=stats)


# ------------------------------------------------------------------------------------------------ the night


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    labels: np.ndarray = connected_components(graph, directed=False)[1].astype(np.int64)
    return labels


def _touched(seeds: np.ndarray, comp: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """The seeds widened to whole link components and whole customers of last night, until nothing more joins."""
    touched = seeds.copy()
    while True:
        wider = touched | np.isin(comp, np.unique(comp[touched]))
        known = customer >= 0
        wider |= known & np.isin(customer, np.unique(customer[wider & known]))
        if int(wider.sum()) == int(touched.sum()):
            return wider
        touched = wider


def _decision_keys(frame: pd.DataFrame) -> set[tuple[str, str, bool]]:
    if frame is None or frame.empty:
        return set()
    a = frame["record_id_l"].astype(str).tolist()
    b = frame["record_id_r"].astype(str).tolist()
    verdicts = frame["is_match"].astype(bool).tolist()
    return {(min(x, y), max(x, y), v) for x, y, v in zip(a, b, verdicts, strict=True)}


def _prepared(
    records: pd.DataFrame, settings: LinkageSettings, kept: KeptLinkage, ids: np.ndarray, changed: np.ndarray
) -> pd.DataFrame:
    """Tonight's prepared records in tonight's order: last night's rows for the unchanged records (preparing is row
    by row, so they are what preparing again would give), the changed ones prepared now. Last night's frame is
    let go of as soon as its rows are copied."""
    cores = usable_cores()
    before = kept.take("prepared")
    if before is None:
        return prepare_records(records, settings, processes=cores)
    at = pd.Index(before[ID]).get_indexer(ids[~changed])
    if (at < 0).any():  # a record last night did not prepare: prepare everything
        del before
        return prepare_records(records, settings, processes=cores)
    if not changed.any():
        same: pd.DataFrame = before.iloc[at].reset_index(drop=True)
        return same
    fresh = prepare_records(records[changed], settings, processes=cores)
    if set(fresh.columns) != set(before.columns):  # prepared by other code: prepare everything
        del before, fresh
        return prepare_records(records, settings, processes=cores)
    # Last night's rows and the fresh ones in one frame, then each of tonight's records picked from it.
    columns = list(fresh.columns)
    where = np.empty(len(ids), dtype=np.int64)
    where[~changed] = at
    where[changed] = len(before) + np.arange(int(changed.sum()))
    both = pd.concat([before, fresh[list(before.columns)]], ignore_index=True)
    del before, fresh
    out = both.take(where).reset_index(drop=True)
    del both
    if list(out.columns) != columns:
        out = out[columns]
    out[LINKABLE] = out[LINKABLE].astype(bool)
    return out


def link_incremental(
    records: pd.DataFrame,
    settings: LinkageSettings,
    kept: KeptLinkage,
    *,
    decisions: pd.DataFrame | None = None,
) -> LinkResult:
    """Link tonight's records from last night's (see the module docstring); the same result as ``link_records``."""
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        seconds[step] = round(now - t0, 3)
        t0 = now

    model = kept.model
    ids = records[settings.id_column].astype(str).to_numpy(dtype=object)
    if pd.Series(ids).duplicated().any():
        raise ValueError(f"records: {settings.id_column} is not unique")
    n = len(ids)
    keys = linkage_keys(records, settings)
    known = kept.take("record_keys").drop_duplicates("record_id")
    at = pd.Index(known["record_id"]).get_indexer(ids)  # last night's row of each record (-1: new)
    old_keys = known["linkage_key"].to_numpy(dtype=np.uint64)
    changed = (at < 0) | (old_keys[np.maximum(at, 0)] != keys)
    removed = known["record_id"][~known["record_id"].isin(ids)].tolist()
    del known, at, old_keys
    share = (int(changed.sum()) + len(removed)) / max(n, 1)
    if share > settings.incremental.max_changed_share:
        # The night was judged by the records' fingerprints; their linkage evidence says more changed (another
        # version of the libraries that read the staged rows may key every record anew): comparing them all against
        # each other incrementally would cost more than a full relink, which is what is done.
        reason = (
            f"{share:.1%} of the records' linkage evidence changed "
            f"(more than incremental.max_changed_share: {settings.incremental.max_changed_share:.0%})"
        )
        log.warning("incremental linkage: %s; linking everything again", reason)
        full = link_records(records, settings, decisions=decisions)
        full.stats["full_reason"] = reason
        return full
    prepared = _prepared(records, settings, kept, ids, changed)
    lap("prepare")

    cands = candidates_touching(prepared, settings, changed)
    codes = RecordCodes(prepared)
    levels = compare_pairs(settings, prepared, cands.left, cands.right, codes=codes)
    weights = match_weights(model, levels)
    prob = probability(weights, model.prior)
    lap("compare")

    # Tonight's pairs worth keeping: last night's between unchanged records, and the new ones at or above review.
    pos = pd.Series(np.arange(n), index=ids)
    before = kept.take("pairs")
    kl = before["record_id_l"].map(pos)
    kr = before["record_id_r"].map(pos)
    present = (kl.notna() & kr.notna()).to_numpy()
    kl_i = kl.fillna(0).astype(np.int64).to_numpy()
    kr_i = kr.fillna(0).astype(np.int64).to_numpy()
    still = present & ~changed[kl_i] & ~changed[kr_i]
    new_pairs = scored_pairs(ids, cands, weights, prob, levels)
    worth = prob >= settings.thresholds.review_lower
    old_pairs = before[still].reset_index(drop=True)
    del before
    pairs = pd.concat([old_pairs, new_pairs[worth].reset_index(drop=True)], ignore_index=True)
    del old_pairs, new_pairs
    pl = np.concatenate([kl_i[still], cands.left[worth]])
    pr = np.concatenate([kr_i[still], cands.right[worth]])
    swap = pl > pr
    pl, pr = np.where(swap, pr, pl), np.where(swap, pl, pr)
    p = pairs["match_probability"].to_numpy(dtype=np.float64)

    decided = _decision_positions(decisions, prepared)
    must = decided[decided["is_match"].to_numpy(dtype=bool)]
    cannot = decided[~decided["is_match"].to_numpy(dtype=bool)]
    cannot_keys = cannot["l"].to_numpy() * n + cannot["r"].to_numpy()
    accepted = p >= settings.thresholds.match
    edge_l = np.concatenate([pl[accepted], must["l"].to_numpy()])
    edge_r = np.concatenate([pr[accepted], must["r"].to_numpy()])
    edge_p = np.concatenate([p[accepted], np.ones(len(must))])
    edge_must = np.concatenate([np.zeros(int(accepted.sum()), bool), np.ones(len(must), bool)])

    # What the changes can reach: changed records, the customers that lost or changed a record, changed decisions.
    last = kept.customers.drop_duplicates("record_id").set_index("record_id")
    customer_of = pd.Series(ids).map(last["customer_id"])
    customer = pd.factorize(customer_of, use_na_sentinel=True)[0].astype(np.int64)
    hit_customers = set(kept.customers.loc[kept.customers["record_id"].isin(removed), "customer_id"])
    hit_customers |= set(customer_of[changed].dropna())
    seeds = changed | (customer < 0) | customer_of.isin(hit_customers).to_numpy()
    moved_decisions = _decision_keys(kept.decisions) ^ _decision_keys(
        pd.DataFrame(
            {"record_id_l": ids[decided["l"]], "record_id_r": ids[decided["r"]], "is_match": decided["is_match"]}
        )
    )
    decided_ids = {r for lo, hi, _ in moved_decisions for r in (lo, hi)}
    seeds |= pd.Series(ids).isin(decided_ids).to_numpy()
    comp = _components(n, edge_l, edge_r)
    touched = _touched(seeds, comp, customer)
    lap("reach")

    rules = conflict_rules(settings, prepared, codes)
    inside = touched[edge_l]
    clustering = cluster_links(
        n,
        edge_l[inside],
        edge_r[inside],
        edge_p[inside],
        must=edge_must[inside],
        conflict=lambda left, right: rules(left, right) >= 0,
        cannot=cannot_keys,
    )
    linkable = prepared[LINKABLE].to_numpy(dtype=bool)
    # The untouched keep last night's customers; name-only records (not linked, no steward's link) start alone and
    # are looked at again below.
    in_edge = np.zeros(n, dtype=bool)
    in_edge[edge_l] = True
    in_edge[edge_r] = True
    as_before = ~touched & (linkable | in_edge)
    labels = clustering.labels.copy()
    labels[as_before] = int(labels.max(initial=-1)) + 1 + customer[as_before]
    labels = pd.factorize(labels)[0].astype(np.int64)
    strength = clustering.strength.copy()
    strength[as_before] = last["match_probability"].reindex(ids[as_before]).fillna(1.0).to_numpy(dtype=np.float64)
    joins = name_only_joins(prepared, labels, model, settings)
    if len(joins.records):
        labels[joins.records] = joins.labels
        strength[joins.records] = joins.probability
        labels = pd.factorize(labels)[0].astype(np.int64)
    lap("cluster")

    review, review_found, kept_apart = pairs_for_review(
        pairs,
        pl,
        pr,
        p,
        accepted,
        labels=labels,
        decided=decided,
        cannot=cannot_keys,
        rules=rules,
        ids=ids,
        settings=settings,
    )
    clusters = pd.DataFrame({"record_id": ids, "cluster": labels, "match_probability": strength})
    lap("outputs")
    stats: dict[str, Any] = {
        "night": "incremental",
        "records": n,
        "linkable_records": int(linkable.sum()),
        "changed_records": int(changed.sum()),
        "removed_records": len(removed),
        "changed_decisions": len(moved_decisions),
        "touched_records": int(touched.sum()),
        "blocking": cands.passes,
        "candidate_pairs": len(cands),
        "kept_pairs": int(still.sum()),
        "accepted_pairs": int(accepted.sum()),
        "review_pairs": len(review),
        "review_pairs_found": review_found,
        "kept_apart_pairs": kept_apart,
        "name_only_records": joins.name_only_records,
        "name_only_joined": len(joins.records),
        "decisions": len(decided),
        "clustering": {**clustering.stats, "clusters": int(labels.max() + 1) if n else 0},
        "seconds": seconds,
    }
    log.info(
        "incremental linkage: %d records, %d changed, %d removed, %d re-clustered; %d new candidate pairs, "
        "%d pairs to review",
        n,
        int(changed.sum()),
        len(removed),
        int(touched.sum()),
        len(cands),
        len(review),
    )
    return LinkResult(
        pairs=pairs,
        clusters=clusters,
        review=review,
        model=model,
        stats=stats,
        settings=settings,
        record_keys=pd.DataFrame({"record_id": ids, "linkage_key": keys}),
        prepared=prepared,
    )
