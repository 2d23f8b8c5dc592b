"""Candidate pairs: records that share a blocking key in at least one of several passes.

Comparing every record with every other is out of reach past a few thousand records, so only pairs sharing a
key are compared (same phone; same e-mail key; same date of birth and surname key; ...). Each pass alone misses
the pairs whose key is missing or mistyped; their union rarely does. A key shared by too many records (a shop's
switchboard number, "Anna Nowak" in Warsaw) would produce a block of millions of pairs that says little; such
blocks are skipped and counted in the log, the other passes still find those records' true partners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from transforms.linkage.prepare import LINKABLE, SOURCE
from transforms.linkage.settings import BlockingPass, LinkageSettings

log = logging.getLogger(__name__)


@dataclass
class Candidates:
    """Candidate pairs as row positions into the prepared frame (``left < right``), the pass that found each
    first, per-pass counts, and each pass's block number per record (``block_codes``, kept for the model)."""

    left: np.ndarray
    right: np.ndarray
    blocked_by: np.ndarray
    passes: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)


def block_codes(prepared: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One integer per record for the combination of its key values; -1 where a key is missing or the record
    is not linked."""
    usable = prepared[LINKABLE].to_numpy(dtype=bool) & prepared[keys].notna().all(axis=1).to_numpy()
    codes = np.full(len(prepared), -1, dtype=np.int64)
    if usable.any():
        sub = prepared.loc[usable, keys]
        codes[usable] = sub.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return codes


def _pairs_in_blocks(codes: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """All pairs of positions sharing a code, blocks above ``cap`` skipped; also blocks, skipped blocks and
    skipped records."""
    pos = np.flatnonzero(codes >= 0)
    if len(pos) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0, 0, 0
    sizes = np.bincount(codes[pos])
    big = sizes > cap
    keep = pos[(sizes[codes[pos]] >= 2) & ~big[codes[pos]]]
    keep = keep[np.argsort(codes[keep], kind="stable")]  # blocks one after another, positions rising within each
    counts = int((sizes >= 2).sum()), int(big.sum()), int(sizes[big].sum())
    if len(keep) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), *counts
    # Each record pairs with the records after it in its block: no join, no pair made twice.
    after = sizes[codes[keep]] - 1 - _rank_in_block(codes[keep])
    left = np.repeat(keep, after)
    first_partner = np.repeat(np.arange(len(keep)) + 1 - np.cumsum(after) + after, after)
    right = keep[first_partner + np.arange(len(left))]
    return left, right, *counts


def _rank_in_block(sorted_codes: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of equal codes of a sorted array."""
    starts = np.r_[0, np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(sorted_codes)]))
    ranks: np.ndarray = np.arange(len(sorted_codes)) - run_start
    return ranks


def _allowed(prepared: pd.DataFrame, settings: LinkageSettings, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Which pairs the link type allows (within one source, across sources, or both)."""
    if settings.link_type == "dedupe_and_link" or settings.source_column is None:
        return np.ones(len(left), dtype=bool)
    src = prepared[SOURCE].to_numpy()
    same: np.ndarray = src[left] == src[right]
    return same if settings.link_type == "dedupe_only" else ~same


def block_pass(prepared: pd.DataFrame, settings: LinkageSettings, spec: BlockingPass) -> tuple[np.ndarray, ...]:
    """The pairs of one pass (positions), with its counts as a small array (blocks, skipped blocks, records) and
    the block number of every record."""
    cap = spec.max_block_size or settings.blocking.max_block_size
    codes = block_codes(prepared, spec.keys)
    left, right, blocks, skipped, skipped_records = _pairs_in_blocks(codes, cap)
    ok = _allowed(prepared, settings, left, right)
    return left[ok], right[ok], np.array([blocks, skipped, skipped_records]), codes


def union_of_passes(keys: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of the passes' pairs, given per pass as keys ``left * n + right`` (no repeats within a pass):
    for every distinct pair, the pass that found it first, and its two positions; ordered by pass, then pair.

    One sort over every pass, where a union per pass would sort the growing set again and again. ``keys`` is
    emptied as its arrays are joined: at a million customers the passes find tens of millions of pairs, and only
    one copy of them is held at a time besides the sort's order."""
    sizes = [len(k) for k in keys]
    everything = np.concatenate(keys) if keys else np.empty(0, np.int64)
    keys.clear()
    order = np.argsort(everything, kind="stable")  # equal keys stay in pass order
    everything = everything[order]
    new = np.ones(len(everything), dtype=bool)
    np.not_equal(everything[1:], everything[:-1], out=new[1:])
    pair = everything[new]
    del everything
    passes = np.repeat(np.arange(len(sizes), dtype=np.int16), sizes)
    which = passes[order[new]]
    del passes, order, new
    ranked = np.lexsort((pair, which))
    which, pair = which[ranked], pair[ranked]
    return which, pair // max(n, 1), pair % max(n, 1)


def candidate_pairs(prepared: pd.DataFrame, settings: LinkageSettings) -> Candidates:
    """The union of every pass's pairs; a pair is credited to the first pass that found it."""
    n = len(prepared)
    keys: list[np.ndarray] = []
    found = []
    for spec in settings.blocking.passes:
        left, right, counts, codes = block_pass(prepared, settings, spec)
        keys.append(left * n + right)  # the positions are read back from the key: one array per pass, not two
        found.append((len(left), counts, codes))
        del left, right
    which, left, right = union_of_passes(keys, n)
    new_pairs = np.bincount(which, minlength=len(found))
    stats: list[dict[str, Any]] = []
    for spec, (pairs, counts, _), new in zip(settings.blocking.passes, found, new_pairs, strict=True):
        stats.append(
            {
                "pass": spec.name,
                "pairs": pairs,
                "new_pairs": int(new),
                "blocks": int(counts[0]),
                "skipped_blocks": int(counts[1]),
                "skipped_records": int(counts[2]),
            }
        )
        if counts[1]:
            log.warning(
                "blocking pass %s: skipped %d keys shared by more than %d records (%d records in all); "
                "other passes still compare them",
                spec.name,
                counts[1],
                spec.max_block_size or settings.blocking.max_block_size,
                counts[2],
            )
        log.info("blocking pass %s: %d pairs, %d new", spec.name, pairs, int(new))
    names = np.array([spec.name for spec in settings.blocking.passes], dtype=object)
    if not found:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, dtype=object), stats)
    return Candidates(
        left=left,
        right=right,
        blocked_by=names[which],
        passes=stats,
        codes={spec.name: codes for spec, (_, _, codes) in zip(settings.blocking.passes, found, strict=True)},
    )
