"""The clustering model: features are transformed, scaled and grouped by k-means or a Gaussian mixture.

Centres are kept in *feature units* (counts, days, shares of a channel) rather than in tonight's scaled
space, because the scaling is refitted every night: tomorrow's run maps last night's centres through its
own scaling, starts the model from them, and so finds the same segments again when the customers have not
changed much. The number of segments is chosen by the criterion of segments.yml on the first night and again
every ``choose_k_every_days`` (or when the model settings change, or, by silhouette or BIC, last night's
segments fit tonight's customers clearly worse than they fitted last night's); it is kept when chosen again
unless another number is clearly better (keep_previous_margin).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from transforms.segments.settings import ModelSettings

log = logging.getLogger(__name__)

#: Per group of the ColumnTransformer, how many leading steps are not inverted (imputing, encoding):
#: centres are stored as the output of these steps, i.e. in feature units.
_KEPT_STEPS = {"log": 1, "ratio": 1, "num": 1, "missing": 1, "cat": 2}


def _scale_by(weight: float) -> FunctionTransformer:
    return FunctionTransformer(
        lambda x: np.asarray(x, dtype=float) * weight,
        inverse_func=lambda x: np.asarray(x, dtype=float) / weight,
        feature_names_out="one-to-one",
        check_inverse=False,
    )


def _log_ratio(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.log(np.clip(np.asarray(x, dtype=float), 1e-3, None)))


def _log_pipeline(
    forward: Callable[[np.ndarray], np.ndarray],
    inverse: Callable[[np.ndarray], np.ndarray],
    units: np.ndarray | float = 1.0,
) -> Pipeline:
    """Median for empty values, a log, then standard scaling (counts: log(1 + x); ratios: log x).

    ``units`` (one per column) divides each value before the log: with log(1 + x) the 1 is one unit, so a duration
    in days and the same duration in months are not the same shape once logged (see ``ModelSettings.log_units``).
    """
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),  # a column empty tonight stays
            (
                "log",
                FunctionTransformer(
                    lambda x: forward(np.clip(np.asarray(x, dtype=float), 0, None) / units),
                    inverse_func=lambda y: inverse(np.asarray(y, dtype=float)) * units,
                    feature_names_out="one-to-one",
                    check_inverse=False,
                ),
            ),
            ("scale", StandardScaler()),
        ]
    )


def make_preprocessor(settings: ModelSettings) -> ColumnTransformer:
    """Counts and durations log-scaled (each in its unit), ratios log-scaled, other numbers scaled, chosen gaps
    flagged, categories one-hot (weighted)."""
    groups: list[tuple[str, Pipeline, list[str]]] = []
    if settings.log_features:
        units = np.array([settings.log_units.get(name, 1.0) for name in settings.log_features])
        groups.append(("log", _log_pipeline(np.log1p, np.expm1, units), list(settings.log_features)))
    if settings.ratio_features:
        groups.append(("ratio", _log_pipeline(_log_ratio, np.exp), list(settings.ratio_features)))
    if settings.numeric_features:
        groups.append(
            (
                "num",
                # keep_empty_features: a company without accounting has no payment numbers at all; the column stays
                # (imputed 0, scaled to 0) so the matrix keeps its shape instead of losing every feature
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                list(settings.numeric_features),
            )
        )
    if settings.flag_missing:
        groups.append(
            (
                "missing",
                Pipeline(
                    [("flag", MissingIndicator(features="all")), ("weight", _scale_by(settings.categorical_weight))]
                ),
                list(settings.flag_missing),
            )
        )
    if settings.categorical_features:
        groups.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                        ("weight", _scale_by(settings.categorical_weight)),
                    ]
                ),
                list(settings.categorical_features),
            )
        )
    return ColumnTransformer(groups, remainder="drop", verbose_feature_names_out=True)


def model_frame(features: pd.DataFrame, settings: ModelSettings) -> pd.DataFrame:
    """The model's input columns, numbers as floats (empty as NaN) and categories as text."""
    out = pd.DataFrame(index=features.index)
    numbers = [*settings.log_features, *settings.ratio_features, *settings.numeric_features, *settings.flag_missing]
    for col in dict.fromkeys(numbers):
        out[col] = pd.to_numeric(features[col], errors="coerce").astype(float)
    for col in settings.categorical_features:
        out[col] = features[col].astype("object").where(features[col].notna(), "unknown").astype(str)
    return out


def to_feature_units(pre: ColumnTransformer, z: np.ndarray) -> pd.DataFrame:
    """Points of the model space (e.g. centres) back in feature units, one column per model column."""
    names = pre.get_feature_names_out()
    parts = []
    for name, pipe, _ in pre.transformers_:
        if name not in _KEPT_STEPS:
            continue
        sl = pre.output_indices_[name]
        parts.append(pd.DataFrame(pipe[_KEPT_STEPS[name] :].inverse_transform(z[:, sl]), columns=names[sl]))
    return pd.concat(parts, axis=1)[list(names)]


def to_model_space(pre: ColumnTransformer, points: pd.DataFrame) -> np.ndarray:
    """Points in feature units (e.g. last night's centres) in tonight's model space; columns unknown tonight
    are dropped and columns new tonight are taken as 0 (a category nobody had)."""
    names = list(pre.get_feature_names_out())
    aligned = points.reindex(columns=names).fillna(0.0)
    out = np.zeros((len(points), len(names)))
    for name, pipe, _ in pre.transformers_:
        if name not in _KEPT_STEPS:
            continue
        sl = pre.output_indices_[name]
        out[:, sl] = pipe[_KEPT_STEPS[name] :].transform(aligned.iloc[:, sl].to_numpy(dtype=float))
    return out


@dataclass
class FittedSegments:
    """Tonight's grouping: a local label per customer, centres in feature units, and how k was chosen."""

    labels: np.ndarray
    centres: pd.DataFrame
    centres_z: np.ndarray
    z: np.ndarray
    k: int
    scores: dict[int, float]
    warm_started: bool
    criterion: str
    preprocessor: ColumnTransformer
    notes: list[str] = field(default_factory=list)
    #: Whether every k of the range was tried tonight (False: last night's k kept without trying the others).
    k_chosen: bool = True
    #: The criterion's value of the fit tonight's segments come from.
    score: float | None = None


def _estimator(k: int, settings: ModelSettings, init: np.ndarray | None, *, seed: int, n_init: int) -> Any:
    """The clustering estimator of the settings (k-means, or a Gaussian mixture with diagonal covariances)."""
    if settings.algorithm == "gaussian_mixture":
        return GaussianMixture(
            n_components=k,
            covariance_type="diag",
            random_state=seed,
            n_init=1 if init is not None else n_init,
            means_init=init,
            reg_covar=1e-4,
        )
    if init is not None:
        return KMeans(n_clusters=k, init=init, n_init=1, random_state=seed)
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed)


def _fit(
    z: np.ndarray, k: int, settings: ModelSettings, init: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """(labels, centres in model space, criterion value) of one k; larger is better for every criterion here."""
    gaussian = settings.algorithm == "gaussian_mixture"
    model = _estimator(k, settings, init, seed=settings.seed, n_init=3 if gaussian else 10)
    labels = model.fit_predict(z)
    centres = model.means_ if gaussian else model.cluster_centers_
    if settings.criterion == "bic":
        score = -float(model.bic(z))
    elif settings.criterion == "stability":
        score = _stability(z, k, settings)
    else:
        score = _silhouette(z, labels, settings)
    return labels, centres, score


def _stability(z: np.ndarray, k: int, settings: ModelSettings) -> float:
    """How reproducible k segments are: the model fitted on two random samples of the customers, each labelling
    every customer; the mean adjusted Rand index between the two labellings over ``stability_pairs`` pairs.

    A k that matches groups really present in the data is found again from any sample (index near 1); a k that
    cuts a group in two, or merges two, cuts it differently from sample to sample. Each sample's model gets three
    starts: with one, a start stuck in a poor local optimum reads as instability and the choice of k turns random.
    """
    if len(z) < 2 * k:
        return -1.0
    rng = np.random.default_rng(settings.seed)
    size = max(min(settings.criterion_sample, len(z) // 2), k)
    scores = []
    for pair in range(settings.stability_pairs):
        labellings = []
        for side in (0, 1):
            rows = rng.choice(len(z), size=size, replace=False)
            model = _estimator(k, settings, None, seed=settings.seed + 2 * pair + side, n_init=3)
            labellings.append(model.fit(z[rows]).predict(z))
        scores.append(adjusted_rand_score(*labellings))
    return float(np.mean(scores))


def _silhouette(z: np.ndarray, labels: np.ndarray, settings: ModelSettings) -> float:
    if len(np.unique(labels)) < 2:
        return -1.0
    size = min(settings.criterion_sample, len(z))
    return float(silhouette_score(z, labels, sample_size=size, random_state=settings.seed))


def _better_by(new: float, old: float, settings: ModelSettings) -> bool:
    """Whether ``new`` beats ``old`` by the margin (points of stability or silhouette, or a share of |BIC|)."""
    if settings.criterion == "bic":
        return new - old > settings.keep_previous_margin * abs(old)
    return new - old > settings.keep_previous_margin


def fit_segments(
    features: pd.DataFrame,
    settings: ModelSettings,
    previous_centres: pd.DataFrame | None = None,
    *,
    choose_k: bool = True,
    previous_score: float | None = None,
) -> FittedSegments:
    """Group the customers; with last night's centres (feature units), start from them and keep their number.

    With ``choose_k`` False (a night soon after k was last chosen, see ``choose_k_every_days``) only last night's
    segments are fitted again from their centres: trying every k costs a fit per k (and, for stability, many
    more on samples), most of the stage on a large company. k is still chosen again when the fit from last
    night's centres scores below ``previous_score`` (last night's) by more than ``keep_previous_margin``.
    """
    frame = model_frame(features, settings)
    pre = make_preprocessor(settings)
    z = pre.fit_transform(frame)
    notes: list[str] = []
    warm_fit: tuple[np.ndarray, np.ndarray, float] | None = None
    init: np.ndarray | None = None
    if previous_centres is not None and 1 < len(previous_centres) <= len(frame):
        init = to_model_space(pre, previous_centres)
        warm_fit = _fit(z, len(init), settings, init)
        if not choose_k and (previous_score is None or not _better_by(previous_score, warm_fit[2], settings)):
            labels, centres, score = warm_fit
            log.info("segments: k=%d kept from last night (%s %.3f)", len(init), settings.criterion, score)
            return FittedSegments(
                labels=np.asarray(labels),
                centres=to_feature_units(pre, centres),
                centres_z=np.asarray(centres),
                z=z,
                k=len(init),
                scores={len(init): score},
                warm_started=True,
                criterion=settings.criterion,
                preprocessor=pre,
                notes=notes,
                k_chosen=False,
                score=score,
            )
        if not choose_k:
            notes.append(
                f"last night's {len(init)} segments score {warm_fit[2]:.3f} tonight against {previous_score:.3f} "
                "last night: k chosen again"
            )
    k_max = max(min(settings.k_max, len(frame) - 1), 1)
    ks = list(range(settings.k_min, k_max + 1)) or [min(settings.k_min, len(frame))]
    scores: dict[int, float] = {}
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k in ks:
        labels, centres, score = _fit(z, k, settings, None)
        scores[k], fits[k] = score, (labels, centres)
    best = max(scores, key=lambda k: scores[k])
    warm = False
    chosen, score = best, scores[best]
    labels, centres = fits[best]
    if warm_fit is not None and init is not None:
        w_labels, w_centres, w_score = warm_fit
        if _better_by(scores[best], w_score, settings):
            notes.append(f"k={best} beats last night's {len(init)} segments ({scores[best]:.3f} vs {w_score:.3f})")
        else:
            labels, centres, chosen, warm, score = w_labels, w_centres, len(init), True, w_score
            scores.setdefault(chosen, w_score)
    log.info("segments: k=%d (%s), warm start %s", chosen, settings.criterion, warm)
    return FittedSegments(
        labels=np.asarray(labels),
        centres=to_feature_units(pre, centres),
        centres_z=np.asarray(centres),
        z=z,
        k=chosen,
        scores=scores,
        warm_started=warm,
        criterion=settings.criterion,
        preprocessor=pre,
        notes=notes,
        score=score,
    )
