"""The data-quality settings (``quality.yml``): mandatory fields, staleness, document numbers, severities.

The bundled file ``data/quality.yml`` holds the company's defaults. A company may put its own
``quality.yml`` beside its ``sources.yml``; it is merged over the defaults (mappings key by key, lists
replaced), then the result is validated, and any mistake is reported with the company file's name and
the bad key.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transforms.quality.rules import RULE_IDS, Severity
from transforms.settings.errors import SettingsError
from transforms.settings.layered import company_file, load_for_sources, load_layered
from transforms.settings.sources import CUSTOMER_FIELDS

DEFAULT_FILE = Path(__file__).parent / "data" / "quality.yml"
#: The file name a company's own settings take beside its sources file.
COMPANY_FILE_NAME = "quality.yml"

ContactKind = Literal["journal", "spreadsheet", "accounting_customers"]
_ATTR_RE = re.compile(r"^attributes\.[a-z][a-z0-9_]*$")
_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "responsible")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_field(name: str) -> str:
    if name in _FIELDS or _ATTR_RE.match(name):
        return name
    close = difflib.get_close_matches(name, _FIELDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown field {name!r}{hint}: use a customer field or attributes.<name>")


def _person_kinds() -> list[ContactKind]:
    return ["journal", "spreadsheet"]


class Mandatory(_Frozen):
    """Which fields every customer record must have, and in which kinds of source."""

    applies_to: list[ContactKind] = Field(default_factory=_person_kinds)
    fields: list[str] = Field(default_factory=list)
    one_of: list[list[str]] = Field(default_factory=list)
    extra: list[str] = Field(default_factory=list)
    not_for_companies: list[str] = Field(default_factory=lambda: ["date_of_birth"])

    @field_validator("fields", "extra", "not_for_companies")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return [_check_field(f) for f in v]

    @field_validator("one_of")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        for group in v:
            if len(group) < 2:
                raise ValueError("each one_of group lists at least two fields, e.g. [phone, email]")
        return [[_check_field(f) for f in group] for group in v]

    @property
    def single_fields(self) -> tuple[str, ...]:
        """The fields required one by one (the standard and a company's additions), without repeats."""
        return tuple(dict.fromkeys([*self.fields, *self.extra]))


class DocumentNumbers(_Frozen):
    """Regular expressions an invoice and a credit-note number must match."""

    invoice: str = r"^FV/\d{4}/\d{6}$"
    credit_note: str = r"^FK/\d{4}/\d{6}$"

    @field_validator("invoice", "credit_note")
    @classmethod
    def _compiles(cls, v: str) -> str:
        return _regex(v)


def _regex(v: str) -> str:
    try:
        re.compile(v)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return v


class RuleSetting(_Frozen):
    """How much one rule matters: its severity and, for critical rules, the share of failing rows tolerated.

    ``min_rows`` overrides ``gate.min_rows`` for this rule.
    """

    severity: Severity
    tolerance: float = Field(default=0.0, ge=0.0, le=1.0)
    min_rows: int | None = Field(default=None, ge=0)


class Gate(_Frozen):
    """When a share-based tolerance may stop a run.

    A file with fewer checked rows than ``min_rows`` never stops a run on a rule whose tolerance is a share
    (above 0): two bad rows of three are 67 %, which says nothing about the export. Rules with tolerance 0
    stop the run on any failure, whatever the file's size.
    """

    min_rows: int = Field(default=20, ge=0)


class Freshness(_Frozen):
    """How old a source file may be (days between its last modification and the run's as-of date).

    ``max_age_days`` applies to every source; ``sources`` sets it per source name. None means not checked,
    which is the default: most companies export some files daily and others monthly, so the age is theirs
    to state.
    """

    max_age_days: int | None = Field(default=None, ge=0)
    sources: dict[str, int | None] = Field(default_factory=dict)

    def limit(self, source_name: str) -> int | None:
        """The age limit of one source, in days (None: not checked)."""
        if source_name in self.sources:
            return self.sources[source_name]
        return self.max_age_days


def _default_weights() -> dict[Severity, float]:
    return {"critical": 3.0, "warning": 2.0, "info": 1.0}


class Report(_Frozen):
    """How the control report scores employees: weight of a failing check per severity."""

    severity_weights: dict[Severity, float] = Field(default_factory=_default_weights)


class QualitySettings(_Frozen):
    """The whole ``quality.yml``."""

    version: Literal[1] = 1
    mandatory: Mandatory = Field(default_factory=Mandatory)
    stale_after_days: int = Field(default=730, ge=1)
    email_pattern: str
    document_numbers: DocumentNumbers = Field(default_factory=DocumentNumbers)
    gate: Gate = Field(default_factory=Gate)
    freshness: Freshness = Field(default_factory=Freshness)
    report: Report = Field(default_factory=Report)
    rules: dict[str, RuleSetting]

    @field_validator("email_pattern")
    @classmethod
    def _email_compiles(cls, v: str) -> str:
        return _regex(v)

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        for key in v:
            if key not in RULE_IDS:
                close = difflib.get_close_matches(key, RULE_IDS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown rule {key!r}{hint}")
        return v

    @model_validator(mode="after")
    def _all_rules(self) -> QualitySettings:
        missing = [r for r in RULE_IDS if r not in self.rules]
        if missing:
            raise ValueError(f"rules: no severity given for {', '.join(missing)}")
        return self

    def rule(self, rule_id: str) -> RuleSetting:
        """The severity and tolerance of one rule."""
        return self.rules[rule_id]

    def min_rows(self, rule_id: str) -> int:
        """Checked rows a file needs before this rule's share-based tolerance can stop a run."""
        own = self.rules[rule_id].min_rows
        return self.gate.min_rows if own is None else own


def load_quality_settings(company_file: str | Path | None = None) -> QualitySettings:
    """The bundled defaults, with a company's own file merged over them when one is given."""
    return load_layered(QualitySettings, DEFAULT_FILE, company_file)


def find_company_file(sources_file: str | Path) -> Path | None:
    """A company's ``quality.yml`` beside its sources file, when there is one."""
    return company_file(sources_file, COMPANY_FILE_NAME)


def check_source_names(settings: QualitySettings, names: list[str], origin: str) -> None:
    """Refuse per-source settings that name no source of the sources file (a typo would silently do nothing)."""
    problems = []
    for key in settings.freshness.sources:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"  - freshness.sources.{key}: no source of that name in the sources file{hint}")
    if problems:
        raise SettingsError(f"{origin}: {len(problems)} problem(s)\n" + "\n".join(problems))


def settings_for_sources(sources_file: str | Path) -> tuple[QualitySettings, str]:
    """The settings a run uses and where they came from (the company's file or ``bundled defaults``)."""
    return load_for_sources(QualitySettings, DEFAULT_FILE, sources_file)
