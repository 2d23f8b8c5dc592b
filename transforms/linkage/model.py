"""The Fellegi-Sunter model: m and u per comparison level, the prior, term frequencies; fitting and scoring.

u (how often two different people agree at a level by chance) is counted on random record pairs, where
matches are vanishingly rare, so it needs no labels. m (how often the same person's records agree at a level)
is estimated by expectation-maximisation with u fixed, once per blocking pass on the pairs that pass finds,
and only for the comparisons that pass's keys do not touch: a pair found by phone tells us nothing about how
often the same person's two phones agree. Where stewards' decisions exist, the confirmed matches give m
directly and are blended in. The fitted model is a plain JSON-safe dictionary, so the nightly run can save it
with the run and the on-entry matcher can load it without refitting.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from transforms.linkage.compare import tf_values
from transforms.linkage.prepare import LINKABLE, SOURCE
from transforms.linkage.settings import Comparison, LinkageSettings

log = logging.getLogger(__name__)


@dataclass
class ComparisonParams:
    """m and u per level of one comparison (index = level), and its term-frequency table when it has one."""

    name: str
    labels: list[str]
    m: list[float]
    u: list[float]
    term_frequency: bool = False
    tf: dict[str, float] = field(default_factory=dict)
    tf_default: float = 0.0
    in_model: bool = True

    def weights(self) -> np.ndarray:
        """log2(m/u) per level."""
        out: np.ndarray = np.log2(np.asarray(self.m) / np.asarray(self.u))
        return out


@dataclass
class FittedModel:
    """A fitted model: per-comparison parameters, the prior share of matches among candidate pairs, provenance."""

    comparisons: list[ComparisonParams]
    prior: float
    meta: dict[str, Any] = field(default_factory=dict)

    def params(self, name: str) -> ComparisonParams:
        return next(c for c in self.comparisons if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (floats, strings, lists, dicts)."""
        return {
            "prior": float(self.prior),
            "meta": self.meta,
            "comparisons": [
                {
                    "name": c.name,
                    "labels": list(c.labels),
                    "m": [float(x) for x in c.m],
                    "u": [float(x) for x in c.u],
                    "term_frequency": c.term_frequency,
                    "tf": {str(k): float(v) for k, v in c.tf.items()},
                    "tf_default": float(c.tf_default),
                    "in_model": c.in_model,
                }
                for c in self.comparisons
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedModel:
        return cls(
            comparisons=[ComparisonParams(**c) for c in data["comparisons"]],
            prior=float(data["prior"]),
            meta=dict(data.get("meta", {})),
        )

    def as_frame(self) -> pd.DataFrame:
        """One row per comparison level: m, u and the match weight log2(m/u)."""
        rows = []
        for c in self.comparisons:
            for level, (label, m, u) in enumerate(zip(c.labels, c.m, c.u, strict=True)):
                rows.append({"comparison": c.name, "level": level, "label": label, "m": m, "u": u})
        frame = pd.DataFrame(rows)
        frame["weight"] = np.log2(frame["m"] / frame["u"])
        return frame


# ------------------------------------------------------------------------------------------------------- scoring


def match_weights(model: FittedModel, levels: pd.DataFrame) -> np.ndarray:
    """log2 Bayes factor of every pair: the sum of its levels' weights (0 where missing), with exact agreement on
    a term-frequency comparison weighted by how rare the agreeing value is."""
    total = np.zeros(len(levels), dtype=np.float64)
    for c in model.comparisons:
        if not c.in_model:
            continue
        lv = levels[f"cmp_{c.name}"].to_numpy(dtype=np.int64)
        w = np.append(c.weights(), 0.0)  # index -1 (missing) -> 0
        total += w[lv]
        tf_col = f"tf_{c.name}"
        if c.term_frequency and tf_col in levels.columns:
            values = levels[tf_col]
            hit = values.notna().to_numpy()
            if hit.any():
                freq = values[hit].map(c.tf).astype(float).fillna(c.tf_default).to_numpy()
                u_top = c.u[-1]
                total[hit] += np.log2(u_top / np.maximum(freq, model.meta.get("tf_minimum", 1e-6)))
    return total


def probability(weights: np.ndarray, prior: float) -> np.ndarray:
    """Match probability from a log2 Bayes factor and the prior share of matches."""
    logit = weights + np.log2(prior / (1.0 - prior))
    out: np.ndarray = 1.0 / (1.0 + np.exp2(-np.clip(logit, -200, 200)))
    return out


# ------------------------------------------------------------------------------------------------------- fitting


def random_pairs(prepared: pd.DataFrame, settings: LinkageSettings, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` random pairs of distinct linkable records (as a 2 x k array of positions) that the link type
    allows."""
    pos = np.flatnonzero(prepared[LINKABLE].to_numpy(dtype=bool))
    if len(pos) < 2:
        return np.empty((2, 0), dtype=np.int64)
    draw = min(n, len(pos) * (len(pos) - 1) // 2)
    left = pos[rng.integers(0, len(pos), draw)]
    right = pos[rng.integers(0, len(pos), draw)]
    ok = left != right
    if settings.link_type != "dedupe_and_link" and settings.source_column:
        src = prepared[SOURCE].to_numpy()
        same = src[left] == src[right]
        ok &= same if settings.link_type == "dedupe_only" else ~same
    return np.vstack([np.minimum(left, right)[ok], np.maximum(left, right)[ok]])


def possible_pairs(prepared: pd.DataFrame, settings: LinkageSettings) -> int:
    """How many pairs of linkable records the link type allows."""
    linkable = prepared[prepared[LINKABLE].to_numpy(dtype=bool)]
    n = len(linkable)
    everything = n * (n - 1) // 2
    if settings.link_type == "dedupe_and_link" or not settings.source_column:
        return everything
    sizes = linkable[SOURCE].value_counts().to_numpy(dtype=np.int64)
    within = int((sizes * (sizes - 1) // 2).sum())
    return within if settings.link_type == "dedupe_only" else everything - within


def level_distribution(
    levels: np.ndarray, n_levels: int, smoothing: float, weights: np.ndarray | None = None
) -> list[float]:
    """Share of each level among the non-missing values (each level starts at ``smoothing``)."""
    seen = levels >= 0
    w = None if weights is None else weights[seen]
    counts = np.bincount(levels[seen], weights=w, minlength=n_levels)[:n_levels].astype(np.float64) + smoothing
    return [float(x) for x in counts / counts.sum()]


def term_frequencies(prepared: pd.DataFrame, cmp: Comparison, size: int) -> tuple[dict[str, float], float]:
    """Share of linkable records holding each value (the ``size`` most common), and the share used for any other
    value: that of one record when every value held twice or more is in the table, else that of the rarest value
    kept - a value left out is no more common than it. Taking one record's share for them all would make a name
    that eight records share, but is not among the ``size`` most common, count as a name nobody else has; the
    larger the company, the more such names and the more strangers linked on a name alone."""
    linkable = prepared[prepared[LINKABLE].to_numpy(dtype=bool)]
    values = pd.Series(tf_values(cmp, linkable)).dropna().astype(str)
    if values.empty:
        return {}, 1.0
    all_freq = values.value_counts(normalize=True)
    freq = all_freq.head(size)
    other = float(all_freq.iloc[size]) if len(all_freq) > size else 1.0 / len(values)
    return {str(k): float(v) for k, v in freq.items()}, max(other, 1.0 / len(values))


def _patterns(levels: pd.DataFrame, names: list[str], rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct level vectors (of ``rows``, default all) and how many pairs have each: EM works on these, not
    on every pair. Each vector is packed into one integer (levels are small), so ten million pairs take a second."""
    cols = [levels[f"cmp_{n}"].to_numpy() for n in names]  # one column at a time: no copy of the whole frame
    cols = [c if rows is None else c[rows] for c in cols]  # small integers stay small until packed
    if not cols or len(cols[0]) == 0:
        return np.empty((0, len(names)), dtype=np.int64), np.empty(0, dtype=np.float64)
    low = [int(c.min()) for c in cols]
    widths = [int(c.max()) - lo + 1 for c, lo in zip(cols, low, strict=True)]
    if float(np.prod(np.asarray(widths, dtype=np.float64))) >= 2.0**62:  # too many levels to pack into one integer
        found, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
        return found.astype(np.int64), counts.astype(np.float64)
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for c, lo, width in zip(cols, low, widths, strict=True):
        key *= width
        key += c
        key -= lo
    codes, packed = pd.factorize(key)  # hashing: a few thousand distinct vectors among millions of pairs
    counts = np.bincount(codes, minlength=len(packed))
    order = np.argsort(packed)  # in level order, not order of appearance: EM's sums do not depend on the pairs' order
    packed, counts = packed[order], counts[order]
    found = np.empty((len(packed), len(names)), dtype=np.int64)
    for k in reversed(range(len(names))):
        found[:, k] = packed % widths[k] + low[k]
        packed = packed // widths[k]
    return found, counts.astype(np.float64)


def expectation_maximisation(
    patterns: np.ndarray,
    counts: np.ndarray,
    m: list[np.ndarray],
    u: list[np.ndarray],
    prior: float,
    *,
    iterations: int,
    tolerance: float,
    smoothing: float,
    fit_m: bool = True,
) -> tuple[list[np.ndarray], float, int]:
    """m (unless ``fit_m`` is False) and the prior by EM with u fixed; returns m, prior and the iterations run."""
    m = [x.copy() for x in m]
    log_u = sum(np.where(patterns[:, k] >= 0, np.log(np.append(u[k], 1.0)[patterns[:, k]]), 0.0) for k in range(len(u)))
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007
        log_m = sum(
            np.where(patterns[:, k] >= 0, np.log(np.append(m[k], 1.0)[patterns[:, k]]), 0.0) for k in range(len(m))
        )
        a = np.log(prior) + log_m
        b = np.log(1.0 - prior) + log_u
        post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        weighted = post * counts
        new_prior = float(np.clip(weighted.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        shift = abs(new_prior - prior)
        if fit_m:
            for k in range(len(m)):
                col = patterns[:, k]
                seen = col >= 0
                tally = (
                    np.bincount(col[seen], weights=weighted[seen], minlength=len(m[k]))[: len(m[k])] + smoothing * 1e-3
                )
                new = tally / tally.sum()
                shift = max(shift, float(np.abs(new - m[k]).max()))
                m[k] = new
        prior = new_prior
        if shift < tolerance:
            break
    return m, prior, done


def _starting_m(n_levels: int) -> np.ndarray:
    """A neutral starting guess: most of a match's mass on the best level, the rest spread below it."""
    start = np.full(n_levels, 0.1 / max(n_levels - 1, 1))
    start[-1] = 0.9
    out: np.ndarray = start / start.sum()
    return out


def base_columns(settings: LinkageSettings, columns: tuple[str, ...] | list[str]) -> set[str]:
    """The input columns a set of (possibly derived) columns is computed from."""
    out: set[str] = set()
    todo = list(columns)
    while todo:
        col = todo.pop()
        if col in settings.derived:
            todo += settings.derived[col].source
        else:
            out.add(col)
    return out


def fit_model(
    settings: LinkageSettings,
    prepared: pd.DataFrame,
    u_levels: pd.DataFrame,
    candidate_levels: pd.DataFrame,
    pass_agrees: dict[str, np.ndarray],
    *,
    labelled: pd.DataFrame | None,
    seed: int,
) -> FittedModel:
    """Fit m, u, the prior and the term frequencies.

    ``u_levels``: levels of random pairs. ``candidate_levels``: levels of the candidate pairs.
    ``pass_agrees``: per blocking pass, which candidate pairs agree on all of that pass's keys.
    ``labelled``: levels of steward-decided pairs with an ``is_match`` column (may be None).
    """
    tr = settings.training
    names = [c.name for c in settings.comparisons]
    n_levels = [c.top_level + 1 for c in settings.comparisons]
    u = [
        np.asarray(level_distribution(u_levels[f"cmp_{c.name}"].to_numpy(np.int64), n, tr.smoothing))
        for c, n in zip(settings.comparisons, n_levels, strict=True)
    ]
    rng = np.random.default_rng(seed)
    sums = [np.zeros(n) for n in n_levels]
    mass = np.zeros(len(names))
    priors: dict[str, float] = {}
    for spec in settings.blocking.passes:
        rows = np.flatnonzero(pass_agrees[spec.name])
        if len(rows) < 10:
            continue
        if len(rows) > tr.em_max_pairs:
            rows = np.sort(rng.choice(rows, tr.em_max_pairs, replace=False))
        keys = base_columns(settings, spec.keys)
        free = [
            k
            for k, c in enumerate(settings.comparisons)
            if c.in_model and not (base_columns(settings, settings.columns_of(c)) & keys)
        ]
        if not free:
            continue
        pats, counts = _patterns(candidate_levels, [names[k] for k in free], rows)
        m_start = [_starting_m(n_levels[k]) for k in free]
        m_fit, prior, its = expectation_maximisation(
            pats,
            counts,
            m_start,
            [u[k] for k in free],
            tr.prior_start,
            iterations=tr.em_max_iterations,
            tolerance=tr.em_tolerance,
            smoothing=tr.smoothing,
        )
        priors[spec.name] = prior
        expected = prior * len(rows)
        for j, k in enumerate(free):
            sums[k] += m_fit[j] * expected
            mass[k] += expected
        log.info("EM on pass %s: %d pairs, %d iterations, share of matches %.3f", spec.name, len(rows), its, prior)
    m = [sums[k] / mass[k] if mass[k] > 0 else _starting_m(n_levels[k]) for k in range(len(names))]
    if labelled is not None and not labelled.empty:
        matches = labelled[labelled["is_match"].astype(bool)]
        for k, name in enumerate(names):
            lv = matches[f"cmp_{name}"].to_numpy(np.int64)
            n_seen = int((lv >= 0).sum())
            if n_seen:
                m_lab = np.asarray(level_distribution(lv, n_levels[k], tr.smoothing * 0.1))
                m[k] = (n_seen * m_lab + tr.label_weight * m[k]) / (n_seen + tr.label_weight)
    m = [np.maximum(x, 1e-6) / np.maximum(x, 1e-6).sum() for x in m]
    used = [k for k, c in enumerate(settings.comparisons) if c.in_model]
    prior_candidates = tr.prior_start
    if len(candidate_levels):
        pats, counts = _patterns(candidate_levels, [names[k] for k in used])
        _, prior_candidates, _ = expectation_maximisation(
            pats,
            counts,
            [m[k] for k in used],
            [u[k] for k in used],
            tr.prior_start,
            iterations=tr.em_max_iterations * 5,
            tolerance=tr.em_tolerance,
            smoothing=tr.smoothing,
            fit_m=False,
        )
    # The prior is the chance that two records drawn at random match (the matches expected among the
    # candidates, spread over every pair that could have been compared): the blocking pass that found a pair is
    # not evidence the model weighs, so a pair found only by a common full name starts as unlikely as any other.
    possible = possible_pairs(prepared, settings)
    prior = float(np.clip(prior_candidates * len(candidate_levels) / max(possible, 1), 1e-12, 0.5))
    params = []
    for k, c in enumerate(settings.comparisons):
        tf: dict[str, float] = {}
        tf_default = 0.0
        if c.term_frequency:
            tf, tf_default = term_frequencies(prepared, c, tr.tf_table_size)
        params.append(
            ComparisonParams(
                name=c.name,
                labels=c.level_labels,
                m=[float(x) for x in m[k]],
                u=[float(x) for x in u[k]],
                term_frequency=c.term_frequency,
                tf=tf,
                tf_default=tf_default,
                in_model=c.in_model,
            )
        )
    meta = {
        "seed": seed,
        "records": len(prepared),
        "candidate_pairs": len(candidate_levels),
        "random_pairs": len(u_levels),
        "labelled_pairs": 0 if labelled is None else len(labelled),
        "pass_priors": priors,
        "prior_among_candidates": float(prior_candidates),
        "possible_pairs": int(possible),
        "tf_minimum": tr.tf_minimum,
        "versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in ("pandas", "numpy", "rapidfuzz", "recordlinkage")},
        },
    }
    return FittedModel(comparisons=params, prior=float(prior), meta=meta)
