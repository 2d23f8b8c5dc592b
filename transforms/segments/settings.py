"""The segment settings (``segments.yml``): features, the clustering model, names, exports and analysts' rules.

Bundled defaults in ``data/segments.yml``; a company's file of the same name beside its sources file is
merged over them (see transforms.settings.layered), and a mistake is reported with the file and the key.
Rules are parsed here, so a condition that names an unknown column fails before the night's work starts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transforms.lineage import RUN_STAMP
from transforms.segments.columns import FEATURE_COLUMNS, NUMERIC_FEATURES, RULE_COLUMNS, TEXT_FEATURES
from transforms.segments.expression import ExpressionError, compile_condition
from transforms.settings.layered import load_for_sources, load_layered
from transforms.warehouse.table_schemas import columns_except

DEFAULT_FILE = Path(__file__).parent / "data" / "segments.yml"
CHANNELS: tuple[str, ...] = ("radio", "newspaper", "events", "web", "referral")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,50}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _words(v: dict[str, list[str]]) -> dict[str, list[str]]:
    for key, words in v.items():
        if not words or any(not isinstance(w, str) or not w.strip() for w in words):
            raise ValueError(f"{key}: list at least one non-empty word")
    return v


class FeatureSettings(_Frozen):
    """How the per-customer features are computed."""

    window_days: int = Field(default=1095, ge=30, le=7300)
    recent_complaint_days: int = Field(default=90, ge=1, le=3650)
    recent_days: int = Field(default=365, ge=1, le=3650)
    frequency_min_days: int = Field(default=365, ge=1, le=3650)
    base_currency: str | None = None
    currency_rates: dict[str, float] = Field(default_factory=dict)
    brand_attributes: list[str] = Field(default_factory=lambda: ["preferred_brands"])
    category_attributes: list[str] = Field(default_factory=lambda: ["preferred_categories"])
    top_preferences: int = Field(default=3, ge=1, le=20)
    interaction_types: dict[str, list[str]] = Field(default_factory=dict)
    complaint_tags: list[str] = Field(default_factory=list)
    channels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{3}", v):
            raise ValueError(f"{v!r} is not an ISO 4217 currency code such as PLN or EUR")
        return v.upper() if v else None

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for code, rate in v.items():
            if not re.fullmatch(r"[A-Za-z]{3}", code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code")
            if rate <= 0:
                raise ValueError(f"{code}: the rate must be above 0")
        return {k.upper(): float(r) for k, r in v.items()}

    @field_validator("interaction_types")
    @classmethod
    def _types(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in v:
            if key not in ("call", "visit"):
                raise ValueError(f"{key!r}: list the words of call and of visit")
        return _words(v)

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in v:
            if not _NAME_RE.match(key) or key in ("other", "unknown"):
                raise ValueError(f"{key!r}: a channel is a lower-case name such as radio (not other or unknown)")
        return _words(v)


class ModelSettings(_Frozen):
    """The clustering: algorithm, range of k, criterion, seed and the feature groups."""

    algorithm: Literal["kmeans", "gaussian_mixture"] = "kmeans"
    k_min: int = Field(default=4, ge=2, le=30)
    k_max: int = Field(default=9, ge=2, le=30)
    criterion: Literal["stability", "silhouette", "bic"] = "stability"
    criterion_sample: int = Field(default=5000, ge=200, le=100_000)
    stability_pairs: int = Field(default=10, ge=1, le=50)
    seed: int = 20261123
    keep_previous_margin: float = Field(default=0.03, ge=0.0)
    choose_k_every_days: int = Field(default=7, ge=1, le=366)
    max_match_distance: float = Field(default=1.5, gt=0.0)
    log_features: list[str] = Field(default_factory=list)
    log_units: dict[str, float] = Field(default_factory=dict)
    ratio_features: list[str] = Field(default_factory=list)
    numeric_features: list[str] = Field(default_factory=list)
    categorical_features: list[str] = Field(default_factory=list)
    flag_missing: list[str] = Field(default_factory=list)
    categorical_weight: float = Field(default=0.5, gt=0.0, le=5.0)

    @field_validator("log_features", "ratio_features", "numeric_features", "flag_missing")
    @classmethod
    def _numbers(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in NUMERIC_FEATURES:
                raise ValueError(f"{name!r} is not a numeric feature: use one of {', '.join(NUMERIC_FEATURES)}")
        return v

    @field_validator("log_units")
    @classmethod
    def _units(cls, v: dict[str, float]) -> dict[str, float]:
        # Not checked against log_features: a company's file that replaces that list must not fail on the
        # defaults' units (mappings are merged, lists replaced); a unit of a feature not logged changes nothing.
        for name, unit in v.items():
            if name not in NUMERIC_FEATURES:
                raise ValueError(f"{name!r} is not a numeric feature: use one of {', '.join(NUMERIC_FEATURES)}")
            if unit <= 0:
                raise ValueError(f"{name}: the unit must be above 0 (e.g. 30.44 to count days in months)")
        return v

    @field_validator("categorical_features")
    @classmethod
    def _texts(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in TEXT_FEATURES:
                raise ValueError(f"{name!r} is not a text feature: use one of {', '.join(TEXT_FEATURES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ModelSettings:
        if self.k_min > self.k_max:
            raise ValueError("k_min must not be above k_max")
        if self.algorithm == "kmeans" and self.criterion == "bic":
            raise ValueError("criterion bic needs algorithm gaussian_mixture (k-means has no likelihood)")
        names = self.features
        if not names:
            raise ValueError(
                "list at least one feature in log_features, ratio_features, numeric_features or categorical_features"
            )
        if len(set(names)) != len(names):
            raise ValueError("a feature is listed in two groups")
        return self

    @property
    def features(self) -> list[str]:
        """Every model input, in group order."""
        return [*self.log_features, *self.ratio_features, *self.numeric_features, *self.categorical_features]


class NamingSettings(_Frozen):
    """When a segment's median counts as high or low against everyone's."""

    high_ratio: float = Field(default=1.5, gt=1.0)
    low_ratio: float = Field(default=0.67, gt=0.0, lt=1.0)


class ExportSettings(_Frozen):
    """Which columns a campaign export holds, and which of them are personal data."""

    personal_columns: list[str] = Field(default_factory=list)
    contact_columns: list[str] = Field(default_factory=list)


class RuleSegment(_Frozen):
    """An analyst's segment: a name, what it means in words, and the condition (see expression.py)."""

    name: str
    description: str = ""
    where: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError(
                f"{v!r}: a rule name is lower-case letters, digits and _ (it becomes marts.segment_<name>)"
            )
        return v

    @field_validator("where")
    @classmethod
    def _where(cls, v: str) -> str:
        try:
            compile_condition(v, RULE_COLUMNS)
        except ExpressionError as exc:
            raise ValueError(str(exc)) from exc
        return v

    @property
    def sql_condition(self) -> str:
        """The condition as SQL (identifiers quoted, literals escaped)."""
        return compile_condition(self.where, RULE_COLUMNS)


class SegmentSettings(_Frozen):
    """The whole ``segments.yml``."""

    features: FeatureSettings = Field(default_factory=FeatureSettings)
    model: ModelSettings
    naming: NamingSettings = Field(default_factory=NamingSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    rules: list[RuleSegment] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique(cls, v: list[RuleSegment]) -> list[RuleSegment]:
        names = [r.name for r in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
        return v

    @model_validator(mode="after")
    def _export_columns(self) -> SegmentSettings:
        # A list reads the golden record (core.customer) and the features.
        known = {*FEATURE_COLUMNS, *columns_except("core.customer", RUN_STAMP)}
        for name in [*self.export.contact_columns, *self.export.personal_columns]:
            if name not in known:
                raise ValueError(f"export: unknown column {name!r}")
        return self


def load_segments(sources_file: str | Path | None = None) -> tuple[SegmentSettings, str]:
    """The settings a run uses (bundled defaults, or the company's segments.yml over them) and their origin."""
    return load_for_sources(SegmentSettings, DEFAULT_FILE, sources_file)


def load_segments_file(path: str | Path | None = None) -> SegmentSettings:
    """The bundled defaults with one given file merged over them (for tests and the command line)."""
    return load_layered(SegmentSettings, DEFAULT_FILE, path)
