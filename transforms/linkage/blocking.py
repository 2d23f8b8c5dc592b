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
    first, and per-pass counts."""

    left: np.ndarray
    right: np.ndarray
    blocked_by: np.ndarray
    passes: list[dict[str, Any]] = field(default_factory=list)

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
    frame = pd.DataFrame({"code": codes[keep], "pos": keep})
    joined = frame.merge(frame, on="code", suffixes=("_l", "_r"))
    joined = joined[joined["pos_l"].to_numpy() < joined["pos_r"].to_numpy()]
    blocks = int((sizes >= 2).sum())
    return (
        joined["pos_l"].to_numpy(np.int64),
        joined["pos_r"].to_numpy(np.int64),
        blocks,
        int(big.sum()),
        int(sizes[big].sum()),
    )


def _allowed(prepared: pd.DataFrame, settings: LinkageSettings, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Which pairs the link type allows (within one source, across sources, or both)."""
    if settings.link_type == "dedupe_and_link" or settings.source_column is None:
        return np.ones(len(left), dtype=bool)
    src = prepared[SOURCE].to_numpy()
    same: np.ndarray = src[left] == src[right]
    return same if settings.link_type == "dedupe_only" else ~same


def block_pass(prepared: pd.DataFrame, settings: LinkageSettings, spec: BlockingPass) -> tuple[np.ndarray, ...]:
    """The pairs of one pass (positions), with its counts as a small array: blocks, skipped blocks, records."""
    cap = spec.max_block_size or settings.blocking.max_block_size
    left, right, blocks, skipped, skipped_records = _pairs_in_blocks(block_codes(prepared, spec.keys), cap)
    ok = _allowed(prepared, settings, left, right)
    return left[ok], right[ok], np.array([blocks, skipped, skipped_records])


def candidate_pairs(prepared: pd.DataFrame, settings: LinkageSettings) -> Candidates:
    """The union of every pass's pairs; a pair is credited to the first pass that found it."""
    n = len(prepared)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    names: list[np.ndarray] = []
    stats: list[dict[str, Any]] = []
    known = np.empty(0, dtype=np.int64)
    for spec in settings.blocking.passes:
        left, right, counts = block_pass(prepared, settings, spec)
        pair_key = left * n + right
        pair_key, first = np.unique(pair_key, return_index=True)
        new = ~np.isin(pair_key, known, assume_unique=True)
        known = np.union1d(known, pair_key)
        lefts.append(left[first][new])
        rights.append(right[first][new])
        names.append(np.full(int(new.sum()), spec.name, dtype=object))
        stats.append(
            {
                "pass": spec.name,
                "pairs": len(pair_key),
                "new_pairs": int(new.sum()),
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
        log.info("blocking pass %s: %d pairs, %d new", spec.name, len(pair_key), int(new.sum()))
    return Candidates(
        left=np.concatenate(lefts) if lefts else np.empty(0, np.int64),
        right=np.concatenate(rights) if rights else np.empty(0, np.int64),
        blocked_by=np.concatenate(names) if names else np.empty(0, dtype=object),
        passes=stats,
    )
