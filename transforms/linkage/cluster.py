"""Clusters of linked records (one cluster = one customer) that do not chain different people together.

Taking the connected components of the accepted links is fast but chains: A links to B, B to C, and A and C
end up one customer although they were born on different days and have different phones. So every component is
checked: all its pairs of records are compared, and where two members show strong evidence of being different
people (a conflict rule of linkage.yml: different date of birth and different phone, different valid tax ids,
different given name and different date of birth - a household) or a steward said they are different, the
component is rebuilt link by link, strongest first, refusing any link that would join a conflicting pair.
Steward must-links are applied first and always hold. Components without any conflict (the vast majority)
are kept as they are, so the record-by-record loop runs only where it is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)

#: Given position arrays (left, right) of record pairs, says which pairs are strong evidence of two people.
ConflictFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Clustering:
    """The cluster of every record (0..k-1) and the strength of its strongest link inside it (1.0 alone)."""

    labels: np.ndarray
    strength: np.ndarray
    stats: dict[str, int]


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out: np.ndarray = labels.astype(np.int64)
    return out


def _pairs_within(labels: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) of records sharing a label, among ``members``."""
    frame = pd.DataFrame({"c": labels[members], "p": members})
    joined = frame.merge(frame, on="c", suffixes=("_l", "_r"))
    keep = joined["p_l"].to_numpy() < joined["p_r"].to_numpy()
    return joined["p_l"].to_numpy()[keep], joined["p_r"].to_numpy()[keep]


def _find(parent: dict[int, int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _rebuild(
    nodes: list[int],
    edges: list[tuple[int, int, bool]],
    conflicts: dict[int, set[int]],
) -> dict[int, int]:
    """Greedy merging of one component's records along its links (given must-links first, then strongest first),
    refusing a merge that would put a conflicting pair in one cluster; returns node -> root."""
    parent = {x: x for x in nodes}
    members = {x: {x} for x in nodes}
    for a, b, must in edges:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        small, big = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        if not must and any(conflicts.get(x, set()) & members[big] for x in members[small]):
            continue
        parent[small] = big
        members[big] |= members.pop(small)
    return {x: _find(parent, x) for x in parent}


def _split_troubled(
    comp: np.ndarray, edges: pd.DataFrame, troubled: np.ndarray, conflicts: dict[int, set[int]], labels: np.ndarray
) -> None:
    """Rebuild every troubled component link by link, writing new labels (past ``comp.max()``) into ``labels``.

    Components are cut out of sorted arrays once, not searched for one by one: a million records can have
    tens of thousands of troubled components."""
    edge_comp = comp[edges["l"].to_numpy()]
    mine = np.isin(edge_comp, troubled)
    todo = edges[mine].assign(c=edge_comp[mine]).sort_values(["c", "must", "p"], ascending=[True, False, False])
    edge_c = todo["c"].to_numpy()
    edge_rows = list(zip(todo["l"].tolist(), todo["r"].tolist(), todo["must"].tolist(), strict=True))
    edge_cuts = np.searchsorted(edge_c, troubled, side="left"), np.searchsorted(edge_c, troubled, side="right")
    node_ids = np.flatnonzero(np.isin(comp, troubled))
    node_ids = node_ids[np.argsort(comp[node_ids], kind="stable")]
    node_c = comp[node_ids]
    node_cuts = np.searchsorted(node_c, troubled, side="left"), np.searchsorted(node_c, troubled, side="right")
    nodes_all = node_ids.tolist()
    next_label = int(comp.max()) + 1
    for i in range(len(troubled)):
        nodes = nodes_all[node_cuts[0][i] : node_cuts[1][i]]
        roots = _rebuild(nodes, edge_rows[edge_cuts[0][i] : edge_cuts[1][i]], conflicts)
        root_ids = {r: k for k, r in enumerate(sorted(set(roots.values())))}
        for node, root in roots.items():
            labels[node] = next_label + root_ids[root]
        next_label += len(root_ids)


def cluster_links(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    strength: np.ndarray,
    *,
    must: np.ndarray,
    conflict: ConflictFn,
    cannot: np.ndarray,
) -> Clustering:
    """Cluster ``n`` records along accepted links (positions ``left``/``right``, ``strength`` = match probability,
    ``must`` = a steward's must-link); ``cannot`` holds steward cannot-link pairs as keys ``smaller * n + larger``."""
    edges = pd.DataFrame({"l": left, "r": right, "p": strength, "must": must})
    if len(edges):
        bad = conflict(left, right) & ~must
        if len(cannot):
            bad |= np.isin(np.minimum(left, right) * n + np.maximum(left, right), cannot) & ~must
        edges = edges[~bad]
    comp = _components(n, edges["l"].to_numpy(), edges["r"].to_numpy())
    sizes = np.bincount(comp)
    multi = np.flatnonzero(sizes[comp] >= 3)
    cl, cr = _pairs_within(comp, multi)
    flagged = conflict(cl, cr) if len(cl) else np.zeros(0, bool)
    if len(cannot) and len(cl):
        flagged |= np.isin(cl * n + cr, cannot)
    bad_pairs = np.flatnonzero(flagged)
    labels = comp.copy()
    troubled = np.unique(comp[cl[bad_pairs]]) if len(bad_pairs) else np.empty(0, np.int64)
    if len(troubled):
        conflicts: dict[int, set[int]] = {}
        for a, b in zip(cl[bad_pairs], cr[bad_pairs], strict=True):
            conflicts.setdefault(int(a), set()).add(int(b))
            conflicts.setdefault(int(b), set()).add(int(a))
        in_troubled = np.isin(comp, troubled)
        _split_troubled(comp, edges, troubled, conflicts, labels)
        log.info(
            "clustering: %d linked groups held records with conflicting evidence and were split link by link "
            "(%d records)",
            len(troubled),
            int(in_troubled.sum()),
        )
    labels = pd.factorize(labels)[0].astype(np.int64)
    best = np.ones(n, dtype=np.float64)
    has_link = np.zeros(n, dtype=bool)
    inside = labels[edges["l"].to_numpy()] == labels[edges["r"].to_numpy()]
    kept = edges[inside]
    if len(kept):
        strongest = (
            pd.concat([kept[["l", "p"]].rename(columns={"l": "x"}), kept[["r", "p"]].rename(columns={"r": "x"})])
            .groupby("x")["p"]
            .max()
        )
        best[strongest.index.to_numpy()] = strongest.to_numpy()
        has_link[strongest.index.to_numpy()] = True
    stats = {
        "links": len(edges),
        "components": len(sizes),
        "split_components": len(troubled),
        "clusters": int(labels.max() + 1) if n else 0,
        "largest_cluster": int(np.bincount(labels).max()) if n else 0,
    }
    return Clustering(labels=labels, strength=best, stats=stats)
