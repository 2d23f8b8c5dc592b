"""The reliability settings (``reliability.yml``): class cut-offs, trend, DSO window, model, hand-typed notes.

Bundled defaults in ``data/reliability.yml``; a company's file of the same name beside its sources file is
merged over them (see transforms.settings.layered), and a mistake is reported with the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transforms.settings.layered import load_for_sources, load_layered

DEFAULT_FILE = Path(__file__).parent / "data" / "reliability.yml"

ReliabilityClass = Literal["on_time", "slight_delay", "significant_delay", "non_payer", "no_history"]
#: The classes a customer with invoices due can get, best first (no_history is for nothing due).
GRADED_CLASSES: tuple[str, ...] = ("on_time", "slight_delay", "significant_delay", "non_payer")
_FIELD_RE = re.compile(r"^(attributes\.)?[^\W\d][\w]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NonPayer(_Frozen):
    """When a customer is a non-payer: enough of its due invoices left unpaid long after the due date."""

    min_days_overdue: int = Field(default=120, ge=1)
    min_share_defaulted: float = Field(default=0.5, gt=0.0, le=1.0)


class HistorySettings(_Frozen):
    """How the class is read from the whole history (transforms.receivables.history_class)."""

    min_invoices: int = Field(default=3, ge=1)
    min_probability: float = Field(default=0.8, ge=0.25, le=1.0)
    recency_half_life_days: float | None = Field(default=1095, gt=0)
    policy_weight: float = Field(default=50.0, gt=0)
    prior_weight: float = Field(default=50.0, gt=0)
    iterations: int = Field(default=10, ge=1, le=100)


class Classes(_Frozen):
    """Upper limits of the median days late of each class; above the last one a customer is a non-payer."""

    on_time_max_median_days_late: float = Field(default=0, ge=0)
    slight_delay_max_median_days_late: float = Field(default=30, gt=0)
    significant_delay_max_median_days_late: float = Field(default=120, gt=0)
    non_payer: NonPayer = Field(default_factory=NonPayer)
    method: Literal["history", "median"] = "history"
    history: HistorySettings = Field(default_factory=HistorySettings)

    @model_validator(mode="after")
    def _ascending(self) -> Classes:
        limits = [
            self.on_time_max_median_days_late,
            self.slight_delay_max_median_days_late,
            self.significant_delay_max_median_days_late,
        ]
        if limits != sorted(limits) or len(set(limits)) != len(limits):
            raise ValueError(
                "the limits must grow: on_time_max_median_days_late < slight_delay_max_median_days_late"
                " < significant_delay_max_median_days_late"
            )
        return self


class Trend(_Frozen):
    """The window of 'recent' behaviour and the smallest change that counts."""

    recent_months: int = Field(default=6, ge=1, le=60)
    min_change_days: float = Field(default=7, ge=0)


class ModelSettings(_Frozen):
    """The late-payment model: what 'late' means and how it is tested against the rule."""

    late_days: int = Field(default=30, ge=0)
    backtest_periods: int = Field(default=3, ge=1, le=12)
    backtest_months: int = Field(default=3, ge=1, le=12)
    min_training_invoices: int = Field(default=200, ge=10)
    max_training_invoices: int = Field(default=200_000, ge=1000)
    trees: int = Field(default=100, ge=10, le=2000)
    threads: int = Field(default=1, ge=1, le=64)
    seed: int = 20261120
    retrain_every_days: int = Field(default=7, ge=1, le=366)
    retrain_when_history_changes: float = Field(default=0.1, ge=0.0)


class NoteSettings(_Frozen):
    """The hand-typed reliability field: where it is and which written words mean which class."""

    field: str = "reliability_note"
    report_when_no_history: bool = False
    phrases: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("field")
    @classmethod
    def _field_name(cls, v: str) -> str:
        if not _FIELD_RE.match(v):
            raise ValueError(f"{v!r} is not a field name: write e.g. reliability_note or attributes.payment_note")
        return v

    @field_validator("phrases")
    @classmethod
    def _classes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in v.items():
            if name not in GRADED_CLASSES:
                raise ValueError(f"unknown class {name!r}: use {', '.join(GRADED_CLASSES)}")
            if any(not isinstance(w, str) or not w.strip() for w in words):
                raise ValueError(f"{name}: every phrase must be non-empty text")
        return v


class ReliabilitySettings(_Frozen):
    """The whole ``reliability.yml``."""

    base_currency: str | None = None
    classes: Classes = Field(default_factory=Classes)
    trend: Trend = Field(default_factory=Trend)
    dso_window_days: int = Field(default=365, ge=30)
    model: ModelSettings = Field(default_factory=ModelSettings)
    note: NoteSettings = Field(default_factory=NoteSettings)

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{3}", v):
            raise ValueError(f"{v!r} is not an ISO 4217 currency code such as PLN or EUR")
        return v.upper() if v else None


def load_reliability(sources_file: str | Path | None = None) -> tuple[ReliabilitySettings, str]:
    """The settings a run uses (bundled defaults, or the company's reliability.yml over them) and their origin."""
    return load_for_sources(ReliabilitySettings, DEFAULT_FILE, sources_file)


def load_reliability_file(path: str | Path | None = None) -> ReliabilitySettings:
    """The bundled defaults with one given file merged over them (for tests and the command line)."""
    return load_layered(ReliabilitySettings, DEFAULT_FILE, path)
