"""Scoring a linkage against known truth: pairwise precision, recall and F1, and blocking recall.

Used by the tests (known answers: FEBRL, the Leipzig and Chicago benchmarks, the generator's truth), the
diagnostics page's truth section and the benchmarks. Pairs are compared as unordered pairs of record ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def pair_keys(left: pd.Series | np.ndarray, right: pd.Series | np.ndarray) -> pd.Index:
    """Unordered pairs of ids as one text key each ('a\\x1fb' with a <= b)."""
    a = pd.Series(np.asarray(left, dtype=object)).astype(str)
    b = pd.Series(np.asarray(right, dtype=object)).astype(str)
    lo = a.where(a <= b, b)
    hi = b.where(a <= b, a)
    return pd.Index(lo + "\x1f" + hi)


def cluster_pairs(ids: pd.Series | np.ndarray, clusters: pd.Series | np.ndarray) -> pd.DataFrame:
    """All pairs of ids that share a cluster (or true entity)."""
    frame = pd.DataFrame({"id": np.asarray(ids, dtype=object), "c": np.asarray(clusters)}).dropna()
    joined = frame.merge(frame, on="c", suffixes=("_l", "_r"))
    joined = joined[joined["id_l"].astype(str) < joined["id_r"].astype(str)]
    return pd.DataFrame({"id_l": joined["id_l"].to_numpy(), "id_r": joined["id_r"].to_numpy()})


def scores(predicted: pd.Index, truth: pd.Index) -> dict[str, float]:
    """Precision, recall and F1 of predicted pair keys against true pair keys, with the counts."""
    tp = len(predicted.intersection(truth))
    precision = tp / len(predicted) if len(predicted) else 1.0
    recall = tp / len(truth) if len(truth) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "predicted": len(predicted),
        "truth": len(truth),
    }


def cluster_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise scores of predicted clusters (record_id, cluster) against true entities (record_id, entity)."""
    pred = cluster_pairs(clusters["record_id"], clusters["cluster"])
    true = cluster_pairs(truth["record_id"], truth["entity"])
    return scores(pair_keys(pred["id_l"], pred["id_r"]), pair_keys(true["id_l"], true["id_r"]))


def threshold_curve(pairs: pd.DataFrame, truth: pd.Index, points: int = 41) -> pd.DataFrame:
    """Precision and recall of the scored pairs (record_id_l, record_id_r, match_probability) at thresholds
    from 0 to 1; recall is against all true pairs, so pairs never blocked count as missed."""
    keys = pair_keys(pairs["record_id_l"], pairs["record_id_r"])
    is_true = keys.isin(truth)
    prob = pairs["match_probability"].to_numpy()
    rows = []
    for t in np.linspace(0.0, 1.0, points):
        hit = prob >= min(t, 1 - 1e-12)
        tp = int((hit & is_true).sum())
        n = int(hit.sum())
        rows.append(
            {
                "threshold": float(t),
                "precision": tp / n if n else 1.0,
                "recall": tp / len(truth) if len(truth) else 1.0,
            }
        )
    return pd.DataFrame(rows)
