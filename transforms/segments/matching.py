"""Tonight's segments matched to last night's, so a segment keeps its id and name from night to night.

Clustering numbers its groups arbitrarily; analysts need "segment 3" to mean the same customers tomorrow.
Tonight's centres and last night's (both in tonight's model space) are paired by the Hungarian algorithm
on their distance; a pair further apart than ``max_distance`` is not the same segment any more.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def centre_distances(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Root-mean-square distance per model column between every new and every old centre."""
    diff = new[:, None, :] - old[None, :, :]
    return np.asarray(np.sqrt((diff**2).mean(axis=2)))


def match_segments(new: np.ndarray, old: np.ndarray | None, old_ids: list[int], *, max_distance: float) -> list[int]:
    """The id of each new centre: its matched old segment's id, or a new id above every id used so far."""
    next_id = max(old_ids, default=0) + 1
    ids: list[int | None] = [None] * len(new)
    if old is not None and len(old) and len(new):
        cost = centre_distances(new, old)
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            if cost[r, c] <= max_distance:
                ids[r] = old_ids[c]
    out: list[int] = []
    for found in ids:
        if found is None:
            out.append(next_id)
            next_id += 1
        else:
            out.append(found)
    return out
